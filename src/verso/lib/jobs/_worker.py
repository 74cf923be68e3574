"""The worker: claims due jobs, runs their handlers, renews leases, schedules cron, reports heartbeats.

Several workers (threads of one process, processes, hosts) can share one database: claims never
overlap, and a worker that dies simply stops renewing its leases so another one re-runs its jobs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from verso import settings as settings_module
from verso.lib import clock
from verso.lib.db import upsert
from verso.lib.jobs._cron import schedule_due, sync_cron
from verso.lib.jobs._errors import JobTimeoutError, UnknownJobError
from verso.lib.jobs._models import WorkerHeartbeat
from verso.lib.jobs._queue import ClaimedJob, claim_jobs, mark_completed, mark_failed, renew_lease
from verso.lib.jobs._registry import JobContext, registry

log = logging.getLogger("verso.jobs")


def default_worker_id() -> str:
    """``host:pid:random`` so restarts and several workers in one process never share an id."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class _LeaseRenewal:
    """Extends one running job's lease every ``lease/3`` seconds until stopped."""

    def __init__(self, worker: Worker, claimed: ClaimedJob) -> None:
        self._worker = worker
        self._claimed = claimed
        self._stop = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        interval = max(self._worker.lease_seconds / 3, 0.05)
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), interval)
                return
            except TimeoutError:
                pass
            try:
                async with self._worker.session_maker() as session:
                    renewed = await renew_lease(
                        session,
                        job_ids=[self._claimed.id],
                        worker_id=self._worker.worker_id,
                        lease_seconds=self._worker.lease_seconds,
                    )
                if not renewed:
                    log.warning("job lease lost while running", extra=self._worker.job_extra(self._claimed))
                    return
            except Exception:
                log.exception("job lease renewal failed", extra=self._worker.job_extra(self._claimed))

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(self._task, return_exceptions=True)


class Worker:
    """Runs jobs from the database queue; settings give the defaults of every knob."""

    def __init__(
        self,
        worker_id: str | None = None,
        concurrency: int | None = None,
        poll_seconds: float | None = None,
        lease_seconds: float | None = None,
        *,
        grace_seconds: float = 30.0,
        heartbeat_seconds: float = 10.0,
        session_maker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        settings = settings_module.get_settings()
        self.worker_id = worker_id or default_worker_id()
        self.concurrency = max(1, concurrency if concurrency is not None else settings.worker_concurrency)
        self.poll_seconds = poll_seconds if poll_seconds is not None else settings.worker_poll_seconds
        self.lease_seconds = float(lease_seconds if lease_seconds is not None else settings.job_lease_seconds)
        self.grace_seconds = grace_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self._session_maker = session_maker
        self.tasks_processed = 0
        self.tasks_failed = 0
        self.started_at = clock.utcnow()
        self._running: set[asyncio.Task[None]] = set()
        self._last_heartbeat = 0.0

    @property
    def session_maker(self) -> async_sessionmaker[AsyncSession]:
        if self._session_maker is None:
            from verso.lib import db

            self._session_maker = db.session_factory()
        return self._session_maker

    def job_extra(self, claimed: ClaimedJob, **more: Any) -> dict[str, Any]:
        """Structured log fields for one job run."""
        return {
            "worker_id": self.worker_id,
            "job_id": claimed.id,
            "job_name": claimed.name,
            "attempt": claimed.attempt,
            "max_attempts": claimed.max_attempts,
            **more,
        }

    # -- one batch ------------------------------------------------------------------------------

    async def run_once(self, limit: int | None = None, *, cron: bool = True) -> int:
        """Schedule due cron occurrences, claim one batch of due jobs, run it; returns how many ran."""
        if cron:
            await self.schedule_cron()
        claimed = await self.claim(limit or self.concurrency)
        if claimed:
            await asyncio.gather(*(self.execute(job) for job in claimed))
        return len(claimed)

    async def claim(self, limit: int) -> list[ClaimedJob]:
        async with self.session_maker() as session:
            return await claim_jobs(
                session, worker_id=self.worker_id, limit=limit, lease_seconds=self.lease_seconds
            )

    async def schedule_cron(self) -> int:
        """Enqueue due scheduled tasks; never raises (a broken schedule must not stop the jobs)."""
        try:
            async with self.session_maker() as session:
                return len(await schedule_due(session))
        except Exception:
            log.exception("cron scheduling failed", extra={"worker_id": self.worker_id})
            return 0

    async def execute(self, claimed: ClaimedJob) -> None:
        """Run one claimed job to an outcome; never raises (except cancellation)."""
        started = time.perf_counter()
        try:
            definition = registry.get(claimed.name)
        except UnknownJobError as exc:
            await self._record_failure(claimed, exc, started)
            return
        renewal = _LeaseRenewal(self, claimed)
        try:
            async with self.session_maker() as session:
                ctx = JobContext(
                    job_id=claimed.id,
                    name=claimed.name,
                    attempt=claimed.attempt,
                    max_attempts=claimed.max_attempts,
                    session=session,
                    session_maker=self.session_maker,
                )
                try:
                    async with asyncio.timeout(definition.timeout_seconds) as deadline:
                        await definition.handler(dict(claimed.payload), ctx)
                except Exception as exc:
                    await renewal.stop()
                    await session.rollback()
                    if isinstance(exc, TimeoutError) and deadline.expired():
                        exc = JobTimeoutError(claimed.name, definition.timeout_seconds)
                    await self._record_failure(claimed, exc, started)
                    return
                await renewal.stop()
                try:
                    still_ours = await mark_completed(
                        session, job_id=claimed.id, worker_id=self.worker_id, attempt=claimed.attempt
                    )
                    if not still_ours:
                        await session.rollback()
                        log.warning(
                            "job finished after its lease was taken over; its work was rolled back",
                            extra=self.job_extra(claimed),
                        )
                        return
                    await session.commit()
                except Exception as exc:
                    await session.rollback()
                    await self._record_failure(claimed, exc, started)
                    return
            self.tasks_processed += 1
            log.info("job completed", extra=self.job_extra(claimed, duration_ms=_ms_since(started)))
        except Exception:
            log.exception("job run crashed", extra=self.job_extra(claimed))
        finally:
            await renewal.stop()

    async def _record_failure(self, claimed: ClaimedJob, exc: BaseException, started: float) -> None:
        self.tasks_processed += 1
        self.tasks_failed += 1
        try:
            async with self.session_maker() as session:
                status = await mark_failed(
                    session,
                    job_id=claimed.id,
                    worker_id=self.worker_id,
                    attempt=claimed.attempt,
                    max_attempts=claimed.max_attempts,
                    error=exc,
                )
        except Exception:
            log.exception("could not record a job failure", extra=self.job_extra(claimed))
            return
        extra = self.job_extra(claimed, status=status, error=f"{type(exc).__name__}: {exc}")
        extra["duration_ms"] = _ms_since(started)
        if status == "dead_letter":
            log.error("job gave up after its last attempt", extra=extra, exc_info=exc)
        else:
            log.warning("job failed", extra=extra, exc_info=exc)

    # -- the loop -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then let running jobs finish for up to ``grace_seconds``."""
        self.started_at = clock.utcnow()
        log.info("worker started", extra={"worker_id": self.worker_id, "concurrency": self.concurrency})
        await self._sync_cron()
        await self.heartbeat()
        stop_waiter = asyncio.get_running_loop().create_task(stop.wait())
        try:
            while not stop.is_set():
                if time.monotonic() - self._last_heartbeat >= self.heartbeat_seconds:
                    await self.heartbeat()
                await self.schedule_cron()
                free = self.concurrency - len(self._running)
                busy = free <= 0
                if free > 0:
                    claimed = await self._claim_safely(free)
                    for job in claimed:
                        self._start(job)
                    busy = len(claimed) == free  # a full batch: more may be due, look again soon
                waiters: set[asyncio.Future[Any]] = {stop_waiter}
                if busy:
                    waiters |= self._running
                await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop_waiter.cancel()
            await self._drain()
            await self.heartbeat(stopped=True)
            log.info(
                "worker stopped",
                extra={
                    "worker_id": self.worker_id,
                    "tasks_processed": self.tasks_processed,
                    "tasks_failed": self.tasks_failed,
                },
            )

    def _start(self, claimed: ClaimedJob) -> None:
        task = asyncio.get_running_loop().create_task(self.execute(claimed), name=f"job-{claimed.id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _claim_safely(self, limit: int) -> list[ClaimedJob]:
        try:
            return await self.claim(limit)
        except Exception:
            log.exception("claiming jobs failed", extra={"worker_id": self.worker_id})
            return []

    async def _sync_cron(self) -> None:
        try:
            async with self.session_maker() as session:
                await sync_cron(session)
        except Exception:
            log.exception("cron sync failed", extra={"worker_id": self.worker_id})

    async def _drain(self) -> None:
        """Graceful stop: wait for running jobs, then cancel stragglers (their leases will expire)."""
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=self.grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            log.warning(
                "jobs still running at shutdown were interrupted; they run again when their lease expires",
                extra={"worker_id": self.worker_id, "count": len(pending)},
            )

    async def heartbeat(self, *, stopped: bool = False) -> None:
        """Upsert this worker's heartbeat row; never raises."""
        self._last_heartbeat = time.monotonic()
        now = clock.utcnow()
        values = {
            "worker_id": self.worker_id,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": self.started_at,
            "last_seen_at": now,
            "stopped_at": now if stopped else None,
            "tasks_processed": self.tasks_processed,
            "tasks_failed": self.tasks_failed,
            "created_at": now,
            "updated_at": now,
        }
        try:
            async with self.session_maker() as session:
                insert = upsert(session, WorkerHeartbeat)
                statement = insert.values(**values).on_conflict_do_update(
                    index_elements=["worker_id"],
                    set_={
                        key: insert.excluded[key]
                        for key in (
                            "hostname",
                            "pid",
                            "started_at",
                            "last_seen_at",
                            "stopped_at",
                            "tasks_processed",
                            "tasks_failed",
                            "updated_at",
                        )
                    },
                )
                await session.execute(statement)
                await session.commit()
        except Exception:
            log.exception("worker heartbeat failed", extra={"worker_id": self.worker_id})


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def run_worker_forever(stop: asyncio.Event, **options: Any) -> None:
    """Run one worker configured from settings (``options`` override) until ``stop`` is set."""
    await Worker(**options).run(stop)
