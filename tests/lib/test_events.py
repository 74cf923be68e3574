"""Domain events reach listeners only after the publishing transaction commits."""

from __future__ import annotations

import asyncio

import pytest

from verso.lib.audit import Actor, audit
from verso.lib.events import EventBus, bus, listener, publish


@pytest.fixture
def received():
    got: list[tuple[str, dict]] = []

    @listener("order.created", "order.paid")
    async def record(name: str, payload: dict) -> None:
        got.append((name, payload))

    @listener("order.created")
    async def broken(name: str, payload: dict) -> None:
        raise RuntimeError("a listener bug must not reach the publisher")

    saved = dict(bus._listeners)
    bus.register([record, broken])
    yield got
    bus._listeners.clear()
    bus._listeners.update(saved)


async def test_delivered_after_commit_not_before(db_session, received) -> None:
    publish(db_session, "order.created", number="VRS-1")
    audit(db_session, Actor(), "order.created")
    await bus.drain()
    assert received == []
    await db_session.commit()
    await bus.drain()
    assert received == [("order.created", {"number": "VRS-1"})]


async def test_dropped_on_rollback(db_session, received) -> None:
    publish(db_session, "order.paid", number="VRS-2")
    await db_session.rollback()
    await db_session.commit()
    await bus.drain()
    assert received == []


async def test_a_failing_listener_does_not_stop_the_others(db_session, received, caplog) -> None:
    publish(db_session, "order.created", number="VRS-3")
    await db_session.commit()
    await bus.drain()
    assert received == [("order.created", {"number": "VRS-3"})]
    assert "event listener failed" in caplog.text


async def test_event_without_listeners_is_fine(db_session) -> None:
    publish(db_session, "nobody.listens", x=1)
    await db_session.commit()
    await bus.drain()


def test_register_is_idempotent() -> None:
    local = EventBus()

    @listener("a")
    async def handler(name: str, payload: dict) -> None: ...

    local.register([handler, handler])
    assert len(local._listeners["a"]) == 1


async def test_draining_waits_for_a_delivery_on_another_loop() -> None:
    """A test client serves the app on a loop of its own: draining from the test's loop waits for
    that loop's deliveries instead of failing to gather them."""
    import threading

    delivered = threading.Event()
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever, daemon=True)
    thread.start()

    async def deliver() -> None:
        await asyncio.sleep(0.1)
        delivered.set()

    async def start() -> None:
        task = asyncio.get_running_loop().create_task(deliver())
        bus._tasks.add(task)
        task.add_done_callback(bus._tasks.discard)

    asyncio.run_coroutine_threadsafe(start(), other).result()
    await bus.drain()
    assert delivered.is_set() and not bus._tasks
    other.call_soon_threadsafe(other.stop)
    thread.join()
    other.close()
