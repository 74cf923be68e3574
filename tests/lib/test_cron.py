"""Cron schedules: next-run computation, syncing definitions to ``cron_task``, and the scheduler step.

Runs on SQLite and PostgreSQL. Definitions go into an emptied registry restored after each test;
time is frozen so occurrences are exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from verso.lib import clock, jobs
from verso.lib.jobs import (
    CronNotFoundError,
    CronTask,
    Job,
    JobContext,
    JobRegistry,
    UnknownJobError,
    Worker,
    cron,
    job,
    next_occurrence,
    run_cron_now,
    schedule_due,
    sync_cron,
    validate_schedule,
)

# Wednesday 2030-01-02 10:15 UTC
T0 = datetime(2030, 1, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def reg() -> Iterator[JobRegistry]:
    saved = jobs.registry.snapshot()
    jobs.registry.clear()
    yield jobs.registry
    jobs.registry.restore(saved)


@pytest.fixture
def ticks(reg: JobRegistry) -> list[dict[str, Any]]:
    """``test.tick`` records its payloads."""
    seen: list[dict[str, Any]] = []

    @job("test.tick")
    async def tick(payload: dict[str, Any], ctx: JobContext) -> None:
        seen.append(payload)

    reg.register([tick])
    return seen


async def cron_row(session_maker: Any, name: str) -> CronTask:
    async with session_maker() as session:
        return (await session.execute(select(CronTask).where(CronTask.name == name))).scalar_one()


async def job_count(session_maker: Any) -> int:
    async with session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


def redefine(reg: JobRegistry, *schedules: jobs.CronDefinition) -> None:
    """Keep the registered handlers, replace the schedules (as after a code change and restart)."""
    handlers = [reg.get(name) for name in reg.names()]
    reg.clear()
    reg.register([*handlers, *schedules])


async def sync(session_maker: Any) -> list[CronTask]:
    async with session_maker() as session:
        return await sync_cron(session)


# -- schedules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("@hourly", datetime(2030, 1, 2, 11, 0, tzinfo=UTC)),
        ("@daily", datetime(2030, 1, 3, 0, 0, tzinfo=UTC)),
        ("@weekly", datetime(2030, 1, 6, 0, 0, tzinfo=UTC)),  # Sunday midnight
        ("@monthly", datetime(2030, 2, 1, 0, 0, tzinfo=UTC)),
        ("*/20 * * * *", datetime(2030, 1, 2, 10, 20, tzinfo=UTC)),
        ("30 9 * * 1-5", datetime(2030, 1, 3, 9, 30, tzinfo=UTC)),  # next weekday 09:30
        ("0 3 * * 6", datetime(2030, 1, 5, 3, 0, tzinfo=UTC)),
    ],
)
def test_next_occurrence(schedule: str, expected: datetime) -> None:
    assert next_occurrence(schedule, T0) == expected


def test_next_occurrence_is_strictly_after() -> None:
    on_the_hour = datetime(2030, 1, 2, 11, 0, tzinfo=UTC)
    assert next_occurrence("@hourly", on_the_hour) == datetime(2030, 1, 2, 12, 0, tzinfo=UTC)
    assert next_occurrence("@daily", datetime(2030, 1, 2, 23, 59, 59, tzinfo=UTC)) == datetime(
        2030, 1, 3, tzinfo=UTC
    )


@pytest.mark.parametrize("schedule", ["bogus", "@fortnightly", "61 * * * *", "* * * *", "0 0 * * * *", ""])
def test_invalid_schedules_are_refused_clearly(schedule: str) -> None:
    with pytest.raises(ValueError, match="not a valid schedule"):
        validate_schedule(schedule)
    with pytest.raises(ValueError, match="five-field cron expression"):
        cron("test.bad", schedule, "test.tick")


def test_schedules_are_normalised() -> None:
    assert validate_schedule("  @Daily ") == "@daily"
    assert validate_schedule("0  3 * *   1") == "0 3 * * 1"


# -- sync_cron -----------------------------------------------------------------------------------------


async def test_sync_creates_rows_with_their_first_run(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register(
        [cron("test.hourly", "@hourly", "test.tick", {"k": 1}), cron("test.daily", "@daily", "test.tick")]
    )
    rows = await sync(session_maker)
    assert [(r.name, r.enabled, r.next_run_at, r.payload) for r in rows] == [
        ("test.daily", True, datetime(2030, 1, 3, tzinfo=UTC), {}),
        ("test.hourly", True, datetime(2030, 1, 2, 11, tzinfo=UTC), {"k": 1}),
    ]
    assert len(await sync(session_maker)) == 2  # idempotent


async def test_sync_recomputes_a_changed_schedule_and_keeps_an_unchanged_one(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron("test.report", "@daily", "test.tick"), cron("test.steady", "@weekly", "test.tick")])
    await sync(session_maker)
    clock.freeze(T0 + timedelta(hours=1))  # 11:15
    redefine(
        reg,
        cron("test.report", "*/30 * * * *", "test.tick", {"v": 2}),
        cron("test.steady", "@weekly", "test.tick"),
    )
    await sync(session_maker)
    changed = await cron_row(session_maker, "test.report")
    assert (changed.schedule, changed.next_run_at, changed.payload) == (
        "*/30 * * * *",
        datetime(2030, 1, 2, 11, 30, tzinfo=UTC),
        {"v": 2},
    )
    unchanged = await cron_row(session_maker, "test.steady")
    assert unchanged.next_run_at == datetime(2030, 1, 6, tzinfo=UTC)


async def test_sync_disables_vanished_definitions_and_revives_returning_ones(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    definition = cron("test.old", "@hourly", "test.tick")
    reg.register([definition])
    await sync(session_maker)
    redefine(reg)
    await sync(session_maker)
    assert (await cron_row(session_maker, "test.old")).enabled is False
    clock.freeze(T0 + timedelta(hours=5))
    assert await schedule_due_in(session_maker) == []  # disabled rows never fire

    reg.register([definition])
    await sync(session_maker)
    revived = await cron_row(session_maker, "test.old")
    assert revived.enabled is True
    assert revived.next_run_at == datetime(2030, 1, 2, 16, tzinfo=UTC)  # missed runs are not replayed


async def test_sync_refuses_a_schedule_for_an_unregistered_job(reg: JobRegistry, session_maker: Any) -> None:
    reg.register([cron("test.orphan", "@daily", "test.nobody")])
    async with session_maker() as session:
        with pytest.raises(UnknownJobError, match=r"test\.nobody"):
            await sync_cron(session)


# -- the scheduler step ----------------------------------------------------------------------------------


async def schedule_due_in(session_maker: Any) -> list[Job]:
    async with session_maker() as session:
        return await schedule_due(session)


async def test_a_due_schedule_enqueues_once_and_moves_to_the_next_occurrence(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron("test.hourly", "@hourly", "test.tick", {"k": "v"})])
    await sync(session_maker)
    assert await schedule_due_in(session_maker) == []  # 10:15, due at 11:00

    clock.freeze(datetime(2030, 1, 2, 11, 0, 3, tzinfo=UTC))
    enqueued = await schedule_due_in(session_maker)
    assert [(j.name, j.payload, j.idempotency_key) for j in enqueued] == [
        ("test.tick", {"k": "v"}, "cron:test.hourly:2030-01-02T11:00:00+00:00")
    ]
    row = await cron_row(session_maker, "test.hourly")
    assert row.last_run_at == clock.utcnow()
    assert row.next_run_at == datetime(2030, 1, 2, 12, tzinfo=UTC)
    assert row.last_job_id == enqueued[0].id
    assert await schedule_due_in(session_maker) == []  # same occurrence, second tick
    assert await job_count(session_maker) == 1


async def test_a_stale_second_scheduler_does_not_enqueue_the_occurrence_again(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron("test.hourly", "@hourly", "test.tick")])
    await sync(session_maker)
    clock.freeze(datetime(2030, 1, 2, 11, 0, tzinfo=UTC))
    first = await schedule_due_in(session_maker)
    # Another process that read the row before it advanced fires the same occurrence.
    async with session_maker() as session:
        await session.execute(
            update(CronTask)
            .where(CronTask.name == "test.hourly")
            .values(next_run_at=datetime(2030, 1, 2, 11, 0, tzinfo=UTC))
        )
        await session.commit()
    second = await schedule_due_in(session_maker)
    assert [j.id for j in second] == [j.id for j in first]
    assert await job_count(session_maker) == 1


async def test_concurrent_schedulers_enqueue_one_occurrence_once(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron(f"test.c{n}", "@hourly", "test.tick", {"n": n}) for n in range(5)])
    await sync(session_maker)
    clock.freeze(datetime(2030, 1, 2, 11, 0, 1, tzinfo=UTC))
    await asyncio.gather(*(schedule_due_in(session_maker) for _ in range(4)))
    async with session_maker() as session:
        keys = (await session.execute(select(Job.idempotency_key))).scalars().all()
    assert sorted(keys) == [f"cron:test.c{n}:2030-01-02T11:00:00+00:00" for n in range(5)]


async def test_missed_occurrences_are_not_replayed(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron("test.hourly", "@hourly", "test.tick")])
    await sync(session_maker)
    clock.freeze(datetime(2030, 1, 2, 15, 30, tzinfo=UTC))  # 11:00 .. 15:00 all missed
    assert len(await schedule_due_in(session_maker)) == 1
    assert len(await schedule_due_in(session_maker)) == 0
    row = await cron_row(session_maker, "test.hourly")
    assert row.next_run_at == datetime(2030, 1, 2, 16, tzinfo=UTC)


async def test_the_worker_tick_schedules_and_runs_due_cron_jobs(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron("test.daily", "@daily", "test.tick", {"from": "cron"})])
    await sync(session_maker)
    worker = Worker("cron-worker", concurrency=2, lease_seconds=60, session_maker=session_maker)
    assert await worker.run_once() == 0
    clock.freeze(datetime(2030, 1, 3, 0, 0, 2, tzinfo=UTC))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert ticks == [{"from": "cron"}]


async def test_run_cron_now_enqueues_without_moving_the_schedule(
    ticks: list[dict[str, Any]], reg: JobRegistry, session_maker: Any
) -> None:
    clock.freeze(T0)
    reg.register([cron("test.daily", "@daily", "test.tick", {"k": 1})])
    await sync(session_maker)
    async with session_maker() as session:
        queued = await run_cron_now(session, "test.daily")
        await session.commit()
    assert (queued.name, queued.payload, queued.run_at) == ("test.tick", {"k": 1}, T0)
    row = await cron_row(session_maker, "test.daily")
    assert (row.last_job_id, row.last_run_at, row.next_run_at) == (
        queued.id,
        T0,
        datetime(2030, 1, 3, tzinfo=UTC),
    )
    async with session_maker() as session:
        with pytest.raises(CronNotFoundError, match=r"test\.nope"):
            await run_cron_now(session, "test.nope")
