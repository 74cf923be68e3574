"""Queue operations for admins and ``/health``, the worker loop, heartbeats and pruning.

Runs on SQLite and PostgreSQL; handlers go into an emptied registry restored after each test.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from verso.lib import clock, jobs
from verso.lib.jobs import (
    Job,
    JobContext,
    JobNotFoundError,
    JobRegistry,
    JobStateError,
    Worker,
    WorkerHeartbeat,
    cancel_job,
    enqueue,
    job,
    latest_heartbeats,
    queue_stats,
    retry_job,
)

T0 = datetime(2030, 1, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def reg() -> Iterator[JobRegistry]:
    saved = jobs.registry.snapshot()
    jobs.registry.clear()
    yield jobs.registry
    jobs.registry.restore(saved)


@pytest.fixture
def flaky(reg: JobRegistry) -> dict[str, bool]:
    """``test.flaky`` fails while ``state["fail"]`` is true."""
    state = {"fail": True}

    @job("test.flaky", max_attempts=1)
    async def flaky_job(payload: dict[str, Any], ctx: JobContext) -> None:
        if state["fail"]:
            raise RuntimeError("upstream down")

    reg.register([flaky_job])
    return state


def make_worker(session_maker: Any, worker_id: str = "w1", **options: Any) -> Worker:
    options.setdefault("concurrency", 2)
    options.setdefault("poll_seconds", 0.01)
    options.setdefault("lease_seconds", 60)
    return Worker(worker_id, session_maker=session_maker, **options)


async def add(session_maker: Any, name: str = "test.flaky", **options: Any) -> int:
    async with session_maker() as session:
        queued = await enqueue(session, name, **options)
        await session.commit()
        return queued.id


async def load(session_maker: Any, job_id: int) -> Job:
    async with session_maker() as session:
        return (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()


async def set_status(session_maker: Any, job_id: int, status: str) -> None:
    async with session_maker() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(status=status))
        await session.commit()


# -- retry and cancel --------------------------------------------------------------------------------


async def test_retry_a_dead_job_resets_attempts_and_keeps_the_error_until_success(
    flaky: dict[str, bool], session_maker: Any
) -> None:
    clock.freeze(T0)
    job_id = await add(session_maker)
    worker = make_worker(session_maker)
    assert await worker.run_once() == 1
    dead = await load(session_maker, job_id)
    assert (dead.status, dead.last_error) == ("dead_letter", "RuntimeError: upstream down")

    clock.freeze(T0 + timedelta(hours=1))
    async with session_maker() as session:
        retried = await retry_job(session, job_id)
        await session.commit()
    assert (retried.status, retried.attempts, retried.run_at) == ("pending", 0, T0 + timedelta(hours=1))
    assert retried.last_error == "RuntimeError: upstream down"
    assert retried.finished_at is None

    flaky["fail"] = False
    assert await worker.run_once() == 1
    done = await load(session_maker, job_id)
    assert (done.status, done.attempts, done.last_error, done.last_traceback) == ("completed", 1, None, None)


@pytest.mark.parametrize("status", ["failed", "cancelled", "dead_letter"])
async def test_retry_accepts_failed_cancelled_and_dead(
    flaky: dict[str, bool], session_maker: Any, status: str
) -> None:
    job_id = await add(session_maker)
    await set_status(session_maker, job_id, status)
    async with session_maker() as session:
        assert (await retry_job(session, job_id)).status == "pending"
        await session.commit()


@pytest.mark.parametrize(
    ("status", "message"),
    [("pending", "already waiting"), ("processing", "running now"), ("completed", "already completed")],
)
async def test_retry_refuses_jobs_that_did_not_fail(
    flaky: dict[str, bool], session_maker: Any, status: str, message: str
) -> None:
    job_id = await add(session_maker)
    await set_status(session_maker, job_id, status)
    async with session_maker() as session:
        with pytest.raises(JobStateError, match=message):
            await retry_job(session, job_id)


async def test_cancel_a_pending_job_keeps_it_from_running(flaky: dict[str, bool], session_maker: Any) -> None:
    job_id = await add(session_maker)
    async with session_maker() as session:
        cancelled = await cancel_job(session, job_id)
        await session.commit()
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    assert await make_worker(session_maker).run_once() == 0


async def test_cancel_a_failed_job_waiting_for_its_retry(reg: JobRegistry, session_maker: Any) -> None:
    @job("test.fails", max_attempts=5)
    async def fails(payload: dict[str, Any], ctx: JobContext) -> None:
        raise RuntimeError("nope")

    reg.register([fails])
    clock.freeze(T0)
    job_id = await add(session_maker, "test.fails")
    assert await make_worker(session_maker).run_once() == 1
    async with session_maker() as session:
        assert (await cancel_job(session, job_id)).status == "cancelled"
        await session.commit()
    clock.freeze(T0 + timedelta(days=1))
    assert await make_worker(session_maker).run_once() == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("processing", "running now and cannot be stopped"),
        ("completed", "already completed"),
        ("dead_letter", "given up"),
        ("cancelled", "already cancelled"),
    ],
)
async def test_cancel_refuses_running_and_finished_jobs(
    flaky: dict[str, bool], session_maker: Any, status: str, message: str
) -> None:
    job_id = await add(session_maker)
    await set_status(session_maker, job_id, status)
    async with session_maker() as session:
        with pytest.raises(JobStateError, match=message):
            await cancel_job(session, job_id)
    assert (await load(session_maker, job_id)).status == status


async def test_retry_and_cancel_of_a_missing_job(session_maker: Any) -> None:
    async with session_maker() as session:
        with pytest.raises(JobNotFoundError, match="Job 999 does not exist"):
            await retry_job(session, 999)
        with pytest.raises(JobNotFoundError):
            await cancel_job(session, 999)


# -- statistics --------------------------------------------------------------------------------------


async def test_queue_stats_counts_and_lag(flaky: dict[str, bool], session_maker: Any) -> None:
    clock.freeze(T0)
    await add(session_maker, run_at=T0 - timedelta(seconds=90))  # due for 90 s
    await add(session_maker)  # due now
    await add(session_maker, run_at=T0 + timedelta(hours=1))  # not due: no lag
    dead = await add(session_maker)
    await set_status(session_maker, dead, "dead_letter")
    failed = await add(session_maker, run_at=T0 - timedelta(seconds=30))
    await set_status(session_maker, failed, "failed")
    async with session_maker() as session:
        stats = await queue_stats(session)
    assert stats.counts == {
        "pending": 3,
        "processing": 0,
        "completed": 0,
        "failed": 1,
        "dead_letter": 1,
        "cancelled": 0,
    }
    assert (stats.pending, stats.failures_total, stats.dead_total) == (3, 1, 1)
    assert stats.oldest_due_lag_seconds == pytest.approx(90)


async def test_queue_stats_of_an_empty_queue(session_maker: Any) -> None:
    async with session_maker() as session:
        stats = await queue_stats(session)
    assert stats.oldest_due_lag_seconds == 0 and set(stats.counts.values()) == {0}


# -- the worker loop -----------------------------------------------------------------------------------


async def wait_for(condition: Any, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_worker_loop_runs_jobs_and_reports_heartbeats(reg: JobRegistry, session_maker: Any) -> None:
    done: list[int] = []

    @job("test.quick")
    async def quick(payload: dict[str, Any], ctx: JobContext) -> None:
        await asyncio.sleep(0.01)
        done.append(payload["n"])

    reg.register([quick])
    async with session_maker() as session:
        for n in range(7):
            await enqueue(session, "test.quick", {"n": n})
        await session.commit()
    stop = asyncio.Event()
    worker = make_worker(session_maker, "loop-1", concurrency=3, heartbeat_seconds=0.05)
    task = asyncio.create_task(worker.run(stop))

    async def all_done() -> bool:
        return len(done) == 7

    await wait_for(all_done)
    async with session_maker() as session:
        beats = await latest_heartbeats(session)
    assert [b.worker_id for b in beats] == ["loop-1"] and beats[0].stopped_at is None
    stop.set()
    await asyncio.wait_for(task, 10)
    async with session_maker() as session:
        beat = (await latest_heartbeats(session))[0]
    assert (beat.tasks_processed, beat.tasks_failed, beat.pid) == (7, 0, os.getpid())
    assert beat.stopped_at is not None and not beat.is_alive()
    assert sorted(done) == list(range(7))


async def test_graceful_stop_lets_a_running_job_finish(reg: JobRegistry, session_maker: Any) -> None:
    started = asyncio.Event()

    @job("test.steady")
    async def steady(payload: dict[str, Any], ctx: JobContext) -> None:
        started.set()
        await asyncio.sleep(0.3)

    reg.register([steady])
    job_id = await add(session_maker, "test.steady")
    stop = asyncio.Event()
    task = asyncio.create_task(make_worker(session_maker, grace_seconds=5).run(stop))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert (await load(session_maker, job_id)).status == "completed"


async def test_a_job_outliving_the_grace_period_is_left_to_its_lease(
    reg: JobRegistry, session_maker: Any
) -> None:
    started = asyncio.Event()

    @job("test.stuck")
    async def stuck(payload: dict[str, Any], ctx: JobContext) -> None:
        started.set()
        await asyncio.sleep(30)

    reg.register([stuck])
    job_id = await add(session_maker, "test.stuck")
    stop = asyncio.Event()
    task = asyncio.create_task(make_worker(session_maker, grace_seconds=0.05).run(stop))
    await asyncio.wait_for(started.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    row = await load(session_maker, job_id)
    assert row.status == "processing" and row.lease_expires_at is not None


# -- pruning -----------------------------------------------------------------------------------------


async def test_prune_deletes_old_completed_jobs_and_stale_heartbeats(
    flaky: dict[str, bool], session_maker: Any
) -> None:
    jobs.register(jobs.jobs)  # the package's own list, as the app registers it
    clock.freeze(T0)
    old_done, recent_done, old_dead = [await add(session_maker) for _ in range(3)]
    async with session_maker() as session:
        for job_id, status, finished in (
            (old_done, "completed", T0 - timedelta(days=8)),
            (recent_done, "completed", T0 - timedelta(days=6)),
            (old_dead, "dead_letter", T0 - timedelta(days=30)),
        ):
            await session.execute(
                update(Job).where(Job.id == job_id).values(status=status, finished_at=finished)
            )
        for worker_id, seen in (("gone", T0 - timedelta(days=2)), ("here", T0 - timedelta(minutes=1))):
            session.add(
                WorkerHeartbeat(worker_id=worker_id, hostname="h", pid=1, started_at=seen, last_seen_at=seen)
            )
        await session.commit()
        prune_id = (await enqueue(session, "jobs.prune")).id
        await session.commit()
    assert await make_worker(session_maker).run_once(cron=False) == 1
    async with session_maker() as session:
        remaining = set((await session.execute(select(Job.id))).scalars())
        workers = set((await session.execute(select(WorkerHeartbeat.worker_id))).scalars())
    assert remaining == {recent_done, old_dead, prune_id}
    assert workers == {"here"}
