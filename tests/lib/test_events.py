"""Domain events reach listeners only after the publishing transaction commits."""

from __future__ import annotations

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
