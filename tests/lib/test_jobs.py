"""The job queue: enqueue, claim, run, retry, dead-letter, lease recovery and concurrent workers.

Every test runs on SQLite and on PostgreSQL. Handlers are registered into an emptied registry for the
test (``reg`` fixture) and the registry is restored afterwards. Time is frozen with ``clock.freeze``
wherever the rule depends on it; the worker reads "now" only through ``clock.utcnow``.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from verso.lib import clock, jobs
from verso.lib.jobs import (
    Job,
    JobContext,
    JobRegistry,
    JobTimeoutError,
    RegistryConflictError,
    UnknownJobError,
    Worker,
    backoff_delay,
    enqueue,
    job,
)
from verso.lib.jobs._queue import LEASE_LOST_ERROR, claim_jobs

T0 = datetime(2030, 1, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def reg() -> Iterator[JobRegistry]:
    saved = jobs.registry.snapshot()
    jobs.registry.clear()
    yield jobs.registry
    jobs.registry.restore(saved)


def make_worker(session_maker: Any, worker_id: str = "w1", **options: Any) -> Worker:
    options.setdefault("concurrency", 4)
    options.setdefault("poll_seconds", 0.01)
    options.setdefault("lease_seconds", 60)
    return Worker(worker_id, session_maker=session_maker, **options)


async def drain(worker: Worker) -> int:
    total = 0
    while ran := await worker.run_once(cron=False):
        total += ran
    return total


async def load(session_maker: Any, job_id: int) -> Job:
    async with session_maker() as session:
        return (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()


async def count_jobs(session_maker: Any) -> int:
    async with session_maker() as session:
        return int(await session.scalar(select(func.count()).select_from(Job)) or 0)


def recorder(reg: JobRegistry, name: str = "test.record", **options: Any) -> list[tuple[Any, ...]]:
    """Register a handler that records (payload value, attempt, is_last_attempt) per run."""
    calls: list[tuple[Any, ...]] = []

    @job(name, **options)
    async def handler(payload: dict[str, Any], ctx: JobContext) -> None:
        calls.append((payload.get("n"), ctx.attempt, ctx.is_last_attempt))

    reg.register([handler])
    return calls


# -- backoff -------------------------------------------------------------------------------------


def test_backoff_grows_exponentially_without_jitter_at_the_top() -> None:
    top = [backoff_delay(n, base=10, cap=10_000, rng=lambda: 1.0) for n in range(1, 7)]
    assert top == [10, 20, 40, 80, 160, 320]


def test_backoff_is_capped() -> None:
    assert backoff_delay(30, base=10, cap=3600, rng=lambda: 1.0) == 3600
    assert backoff_delay(10_000, rng=lambda: 1.0) == 3600  # no overflow for absurd attempts
    assert backoff_delay(30, base=10, cap=3600, rng=lambda: 0.0) == 1800


def test_backoff_jitter_stays_within_half_and_full_delay() -> None:
    rng = random.Random(7).random
    for attempt in range(1, 15):
        nominal = min(3600.0, 10.0 * 2 ** (attempt - 1))
        samples = [backoff_delay(attempt, rng=rng) for _ in range(200)]
        assert all(nominal / 2 <= s <= nominal for s in samples)
        assert max(samples) - min(samples) > nominal / 4  # actually jittered


def test_backoff_refuses_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt"):
        backoff_delay(0)


# -- registry --------------------------------------------------------------------------------------


def test_registry_is_idempotent_and_refuses_a_different_handler(reg: JobRegistry) -> None:
    @job("test.a")
    async def a(payload: dict[str, Any], ctx: JobContext) -> None:
        return None

    @job("test.a")
    async def other(payload: dict[str, Any], ctx: JobContext) -> None:
        return None

    schedule = jobs.cron("test.a.daily", "@daily", "test.a")
    reg.register([a, schedule])
    reg.register([a, jobs.cron("test.a.daily", "@daily", "test.a")])  # same again: fine
    assert reg.names() == ["test.a"]
    assert reg.cron_names() == ["test.a.daily"]
    with pytest.raises(RegistryConflictError, match=r"test\.a"):
        reg.register([other])
    with pytest.raises(RegistryConflictError):
        reg.register([jobs.cron("test.a.daily", "@hourly", "test.a")])
    with pytest.raises(TypeError):
        reg.register([object()])  # type: ignore[list-item]
    assert reg.get("test.a") is a


def test_registry_snapshot_and_restore(reg: JobRegistry) -> None:
    recorder(reg)
    saved = reg.snapshot()
    reg.clear()
    assert reg.names() == []
    reg.restore(saved)
    assert reg.names() == ["test.record"]


def test_the_package_exports_its_own_maintenance_jobs() -> None:
    names = {item.name for item in jobs.jobs}
    assert names == {"jobs.prune"}
    schedules = [item for item in jobs.jobs if isinstance(item, jobs.CronDefinition)]
    assert schedules[0].schedule == "@daily"


# -- enqueue ---------------------------------------------------------------------------------------


async def test_unknown_job_name_is_refused_at_enqueue(reg: JobRegistry, session_maker: Any) -> None:
    async with session_maker() as session:
        with pytest.raises(UnknownJobError, match=r"test\.nope"):
            await enqueue(session, "test.nope", {})
        await session.commit()
    assert await count_jobs(session_maker) == 0


@pytest.mark.parametrize("priority", [11, -11, 100])
async def test_priority_outside_the_range_is_refused(
    reg: JobRegistry, db_session: Any, priority: int
) -> None:
    recorder(reg)
    with pytest.raises(ValueError, match="priority"):
        await enqueue(db_session, "test.record", priority=priority)


async def test_enqueue_is_part_of_the_callers_transaction(reg: JobRegistry, session_maker: Any) -> None:
    recorder(reg)
    async with session_maker() as session:
        queued = await enqueue(session, "test.record", {"n": 1})
        assert queued.id is not None and queued.status == "pending"
        await session.rollback()
    assert await count_jobs(session_maker) == 0


async def test_payload_must_be_json(reg: JobRegistry, db_session: Any) -> None:
    recorder(reg)
    with pytest.raises(ValueError, match="JSON"):
        await enqueue(db_session, "test.record", {"when": datetime.now(UTC)})


async def test_idempotency_key_returns_the_existing_job(reg: JobRegistry, session_maker: Any) -> None:
    recorder(reg)
    async with session_maker() as session:
        first = await enqueue(session, "test.record", {"n": 1}, idempotency_key="order:7:receipt")
        again = await enqueue(session, "test.record", {"n": 2}, idempotency_key="order:7:receipt")
        assert again.id == first.id
        await session.commit()
    async with session_maker() as session:
        later = await enqueue(session, "test.record", {"n": 3}, idempotency_key="order:7:receipt")
        await session.commit()
    assert later.id == first.id and later.payload == {"n": 1}
    assert await count_jobs(session_maker) == 1


async def test_idempotency_key_is_race_safe_across_sessions(reg: JobRegistry, session_maker: Any) -> None:
    recorder(reg)

    async def attempt(n: int) -> int:
        async with session_maker() as session:
            queued = await enqueue(session, "test.record", {"n": n}, idempotency_key="race-key")
            await session.commit()
            return queued.id

    ids = await asyncio.gather(*(attempt(n) for n in range(5)))
    assert len(set(ids)) == 1
    assert await count_jobs(session_maker) == 1


# -- claiming and ordering ---------------------------------------------------------------------------


async def test_jobs_run_by_priority_then_age(reg: JobRegistry, session_maker: Any) -> None:
    calls = recorder(reg)
    clock.freeze(T0)
    async with session_maker() as session:
        await enqueue(session, "test.record", {"n": "low"}, priority=-10)
        await enqueue(session, "test.record", {"n": "normal-old"}, run_at=T0 - timedelta(minutes=5))
        await enqueue(session, "test.record", {"n": "high"}, priority=10)
        await enqueue(session, "test.record", {"n": "normal-new"})
        await session.commit()
    worker = make_worker(session_maker, concurrency=1)
    assert await drain(worker) == 4
    assert [c[0] for c in calls] == ["high", "normal-old", "normal-new", "low"]


async def test_a_job_due_in_the_future_is_not_claimed(reg: JobRegistry, session_maker: Any) -> None:
    calls = recorder(reg)
    clock.freeze(T0)
    async with session_maker() as session:
        later = await enqueue(session, "test.record", {"n": 1}, run_at=T0 + timedelta(hours=1))
        await session.commit()
    worker = make_worker(session_maker)
    assert await worker.run_once() == 0
    clock.freeze(T0 + timedelta(minutes=59, seconds=59))
    assert await worker.run_once() == 0
    clock.freeze(T0 + timedelta(hours=1))
    assert await worker.run_once() == 1
    assert calls == [(1, 1, False)]
    done = await load(session_maker, later.id)
    assert done.status == "completed" and done.finished_at == T0 + timedelta(hours=1)


async def test_concurrent_claims_never_overlap(reg: JobRegistry, session_maker: Any) -> None:
    recorder(reg)
    async with session_maker() as session:
        for n in range(50):
            await enqueue(session, "test.record", {"n": n})
        await session.commit()

    async def claimer(k: int) -> list[int]:
        async with session_maker() as session:
            claimed = await claim_jobs(session, worker_id=f"c{k}", limit=7, lease_seconds=60)
        return [c.id for c in claimed]

    batches = await asyncio.gather(*(claimer(k) for k in range(10)))
    claimed_ids = [i for batch in batches for i in batch]
    assert len(claimed_ids) == len(set(claimed_ids)) == 50


async def test_two_workers_never_run_the_same_job(reg: JobRegistry, session_maker: Any) -> None:
    runs: Counter[int] = Counter()
    by_worker: Counter[str] = Counter()

    @job("test.race")
    async def race(payload: dict[str, Any], ctx: JobContext) -> None:
        runs[payload["n"]] += 1
        await asyncio.sleep(0.001)

    reg.register([race])
    async with session_maker() as session:
        for n in range(50):
            await enqueue(session, "test.race", {"n": n})
        await session.commit()
    first, second = (
        make_worker(session_maker, "w1", concurrency=5),
        make_worker(session_maker, "w2", concurrency=5),
    )
    ran_first, ran_second = await asyncio.gather(drain(first), drain(second))
    by_worker.update({"w1": ran_first, "w2": ran_second})
    assert ran_first + ran_second == 50
    assert sorted(runs) == list(range(50))
    assert set(runs.values()) == {1}
    async with session_maker() as session:
        rows = (await session.execute(select(Job.status, Job.attempts))).all()
    assert {(status, attempts) for status, attempts in rows} == {("completed", 1)}
    assert first.tasks_processed + second.tasks_processed == 50


# -- outcomes ----------------------------------------------------------------------------------------


async def test_handler_writes_commit_with_the_job(reg: JobRegistry, session_maker: Any) -> None:
    children = recorder(reg, "test.child")

    @job("test.parent")
    async def parent(payload: dict[str, Any], ctx: JobContext) -> None:
        await enqueue(ctx.session, "test.child", {"n": "from-parent"})

    reg.register([parent])
    async with session_maker() as session:
        await enqueue(session, "test.parent")
        await session.commit()
    worker = make_worker(session_maker)
    assert await drain(worker) == 2
    assert children == [("from-parent", 1, False)]


async def test_failures_retry_with_backoff_then_dead_letter_keeping_the_error(
    reg: JobRegistry, session_maker: Any
) -> None:
    recorder(reg, "test.child")
    seen: list[tuple[int, bool]] = []

    @job("test.boom", max_attempts=3)
    async def boom(payload: dict[str, Any], ctx: JobContext) -> None:
        seen.append((ctx.attempt, ctx.is_last_attempt))
        await enqueue(ctx.session, "test.child", {"n": ctx.attempt})  # must be rolled back
        raise ValueError(f"boom {ctx.attempt}")

    reg.register([boom])
    clock.freeze(T0)
    async with session_maker() as session:
        queued = await enqueue(session, "test.boom")
        await session.commit()
    worker = make_worker(session_maker)

    assert await worker.run_once() == 1
    row = await load(session_maker, queued.id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "ValueError: boom 1")
    assert row.last_traceback and "ValueError: boom 1" in row.last_traceback
    assert T0 + timedelta(seconds=5) <= row.run_at <= T0 + timedelta(seconds=10)
    assert row.locked_by is None and row.lease_expires_at is None
    assert await worker.run_once() == 0  # waiting for its backoff

    clock.freeze(row.run_at)
    assert await worker.run_once() == 1
    row = await load(session_maker, queued.id)
    assert (row.status, row.attempts) == ("failed", 2)
    assert clock.utcnow() + timedelta(seconds=10) <= row.run_at <= clock.utcnow() + timedelta(seconds=20)

    clock.freeze(row.run_at)
    assert await worker.run_once() == 1
    row = await load(session_maker, queued.id)
    assert (row.status, row.attempts, row.last_error) == ("dead_letter", 3, "ValueError: boom 3")
    assert row.finished_at == clock.utcnow()
    assert seen == [(1, False), (2, False), (3, True)]

    clock.freeze(T0 + timedelta(days=30))
    assert await worker.run_once() == 0
    assert await count_jobs(session_maker) == 1  # the children were rolled back with each failure
    assert (worker.tasks_processed, worker.tasks_failed) == (3, 3)


async def test_a_timeout_counts_as_a_failure(reg: JobRegistry, session_maker: Any) -> None:
    @job("test.slow", timeout_seconds=0.05, max_attempts=2)
    async def slow(payload: dict[str, Any], ctx: JobContext) -> None:
        await asyncio.sleep(5)

    reg.register([slow])
    async with session_maker() as session:
        queued = await enqueue(session, "test.slow")
        await session.commit()
    assert await make_worker(session_maker).run_once() == 1
    row = await load(session_maker, queued.id)
    assert row.status == "failed"
    assert row.last_error == f"JobTimeoutError: {JobTimeoutError('test.slow', 0.05)}"


async def test_a_job_whose_handler_disappeared_fails_and_retries(
    reg: JobRegistry, session_maker: Any
) -> None:
    recorder(reg, "test.gone")
    async with session_maker() as session:
        queued = await enqueue(session, "test.gone")
        await session.commit()
    reg.clear()
    assert await make_worker(session_maker).run_once() == 1
    row = await load(session_maker, queued.id)
    assert (
        row.status == "failed"
        and row.last_error == "UnknownJobError: No job named 'test.gone' is registered."
    )


# -- leases ------------------------------------------------------------------------------------------


async def test_a_job_of_a_dead_worker_runs_again_after_its_lease_expires(
    reg: JobRegistry, session_maker: Any
) -> None:
    calls = recorder(reg)
    clock.freeze(T0)
    async with session_maker() as session:
        queued = await enqueue(session, "test.record", {"n": 1})
        await session.commit()
    async with session_maker() as session:
        taken = await claim_jobs(session, worker_id="dead", limit=5, lease_seconds=60)
    assert [t.id for t in taken] == [queued.id]

    survivor = make_worker(session_maker, "alive", lease_seconds=60)
    assert await survivor.run_once() == 0  # still leased
    clock.freeze(T0 + timedelta(seconds=60))
    assert await survivor.run_once() == 0  # lease ends at exactly T0+60: not yet expired
    clock.freeze(T0 + timedelta(seconds=61))
    assert await survivor.run_once() == 1
    assert calls == [(1, 2, False)]
    row = await load(session_maker, queued.id)
    assert (row.status, row.attempts, row.locked_by) == ("completed", 2, None)


async def test_a_lost_last_attempt_goes_to_dead_letter_without_running(
    reg: JobRegistry, session_maker: Any
) -> None:
    calls = recorder(reg)
    clock.freeze(T0)
    async with session_maker() as session:
        queued = await enqueue(session, "test.record", {"n": 1}, max_attempts=1)
        await session.commit()
    async with session_maker() as session:
        await claim_jobs(session, worker_id="dead", limit=1, lease_seconds=30)
    clock.freeze(T0 + timedelta(minutes=5))
    assert await make_worker(session_maker).run_once() == 0
    assert calls == []
    row = await load(session_maker, queued.id)
    assert (row.status, row.last_error) == ("dead_letter", LEASE_LOST_ERROR)
    assert row.last_error == "worker lost: lease expired on the last attempt"


async def test_a_long_job_renews_its_lease(reg: JobRegistry, session_maker: Any) -> None:
    leases: list[datetime] = []

    @job("test.long")
    async def long_job(payload: dict[str, Any], ctx: JobContext) -> None:
        for _ in range(2):
            await asyncio.sleep(0.35)
            async with ctx.open_session() as session:
                leases.append(await session.scalar(select(Job.lease_expires_at).where(Job.id == ctx.job_id)))

    reg.register([long_job])
    async with session_maker() as session:
        queued = await enqueue(session, "test.long")
        await session.commit()
    started = datetime.now(UTC)
    assert await make_worker(session_maker, lease_seconds=0.3).run_once() == 1
    assert len(leases) == 2
    assert leases[0] > started + timedelta(seconds=0.3)  # renewed beyond the first lease
    assert leases[1] > leases[0]
    assert (await load(session_maker, queued.id)).status == "completed"


async def test_completion_is_refused_when_the_lease_was_taken_over(
    reg: JobRegistry, session_maker: Any
) -> None:
    recorder(reg, "test.child")

    @job("test.slowpoke")
    async def slowpoke(payload: dict[str, Any], ctx: JobContext) -> None:
        async with ctx.open_session() as other:  # another worker reclaimed it meanwhile
            await other.execute(update(Job).where(Job.id == ctx.job_id).values(locked_by="thief", attempts=2))
            await other.commit()
        await enqueue(ctx.session, "test.child", {"n": "late"})

    reg.register([slowpoke])
    async with session_maker() as session:
        queued = await enqueue(session, "test.slowpoke")
        await session.commit()
    assert await make_worker(session_maker).run_once() == 1
    row = await load(session_maker, queued.id)
    assert (row.status, row.locked_by) == ("processing", "thief")
    assert await count_jobs(session_maker) == 1  # the late handler's write was rolled back
