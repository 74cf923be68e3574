"""Operations on the queue for the admin pages and ``/health``: retry, cancel, statistics, pruning.

These work inside the caller's session and do not commit (one admin action is one transaction,
committed by the request), except where a docstring says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.lib import clock
from verso.lib.jobs._errors import JobNotFoundError, JobStateError
from verso.lib.jobs._models import (
    CANCELLED,
    COMPLETED,
    DEAD_LETTER,
    FAILED,
    PENDING,
    PROCESSING,
    STATUSES,
    Job,
    WorkerHeartbeat,
)
from verso.lib.jobs._registry import JobContext, cron, job

RETRYABLE = (DEAD_LETTER, FAILED, CANCELLED)
CANCELLABLE = (PENDING, FAILED)
COMPLETED_RETENTION = timedelta(days=7)
HEARTBEAT_RETENTION = timedelta(days=1)


async def _load(session: AsyncSession, job_id: int) -> Job:
    found = await session.execute(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    )
    job_row = found.scalar_one_or_none()
    if job_row is None:
        raise JobNotFoundError(job_id)
    return job_row


async def retry_job(session: AsyncSession, job_id: int) -> Job:
    """Put a dead, failed or cancelled job back in the queue now, with a fresh retry budget.

    ``last_error`` is kept so the admin still sees why it failed until a run succeeds.
    """
    now = clock.utcnow()
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(RETRYABLE))
        .values(
            status=PENDING,
            attempts=0,
            run_at=now,
            locked_by=None,
            lease_expires_at=None,
            started_at=None,
            finished_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    job_row = await _load(session, job_id)
    if not result.rowcount:  # type: ignore[attr-defined]
        messages = {
            PENDING: "is already waiting to run",
            PROCESSING: "is running now",
            COMPLETED: "has already completed",
        }
        reason = messages.get(job_row.status, f"is {job_row.status}")
        raise JobStateError(f"Job {job_id} {reason}; only failed, dead or cancelled jobs can be retried.")
    return job_row


async def cancel_job(session: AsyncSession, job_id: int) -> Job:
    """Stop a job that is waiting (pending, or failed and waiting for its retry) from running."""
    now = clock.utcnow()
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(CANCELLABLE))
        .values(status=CANCELLED, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    job_row = await _load(session, job_id)
    if not result.rowcount:  # type: ignore[attr-defined]
        messages = {
            PROCESSING: "is running now and cannot be stopped; wait for it to finish",
            COMPLETED: "has already completed",
            DEAD_LETTER: "has already given up (dead letter); there is nothing to cancel",
            CANCELLED: "is already cancelled",
        }
        reason = messages.get(job_row.status, f"is {job_row.status}")
        raise JobStateError(f"Job {job_id} {reason}.")
    return job_row


@dataclass(frozen=True, slots=True)
class QueueStats:
    """A snapshot of the queue for dashboards, ``/health`` and ``/metrics``."""

    counts: dict[str, int] = field(default_factory=dict)
    oldest_due_lag_seconds: float = 0.0
    """How long the oldest due pending/failed job has waited past its ``run_at`` (0 when none)."""

    @property
    def pending(self) -> int:
        return self.counts.get(PENDING, 0)

    @property
    def processing(self) -> int:
        return self.counts.get(PROCESSING, 0)

    @property
    def failures_total(self) -> int:
        """Jobs waiting for a retry after a failure."""
        return self.counts.get(FAILED, 0)

    @property
    def dead_total(self) -> int:
        return self.counts.get(DEAD_LETTER, 0)


async def queue_stats(session: AsyncSession) -> QueueStats:
    """Counts by status (every status present, zeros included) and the lag of the oldest due job."""
    now = clock.utcnow()
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in rows.all():
        counts[status] = int(count)
    oldest = await session.scalar(
        select(func.min(Job.run_at)).where(Job.status.in_((PENDING, FAILED)), Job.run_at <= now)
    )
    lag = 0.0
    if oldest is not None:
        if oldest.tzinfo is None:  # aggregate results bypass the column type on SQLite
            oldest = oldest.replace(tzinfo=now.tzinfo)
        lag = max(0.0, (now - oldest).total_seconds())
    return QueueStats(counts=counts, oldest_due_lag_seconds=lag)


async def latest_heartbeats(session: AsyncSession, *, limit: int = 50) -> list[WorkerHeartbeat]:
    """Workers by most recently seen first."""
    rows = await session.execute(
        select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen_at.desc(), WorkerHeartbeat.id).limit(limit)
    )
    return list(rows.scalars().all())


async def prune(session: AsyncSession) -> dict[str, int]:
    """Delete completed jobs older than 7 days and heartbeats unseen for a day; returns the counts."""
    now = clock.utcnow()
    jobs_deleted = await session.execute(
        delete(Job)
        .where(Job.status == COMPLETED, Job.finished_at < now - COMPLETED_RETENTION)
        .execution_options(synchronize_session=False)
    )
    beats_deleted = await session.execute(
        delete(WorkerHeartbeat)
        .where(WorkerHeartbeat.last_seen_at < now - HEARTBEAT_RETENTION)
        .execution_options(synchronize_session=False)
    )
    return {"jobs": jobs_deleted.rowcount or 0, "heartbeats": beats_deleted.rowcount or 0}  # type: ignore[attr-defined]


@job("jobs.prune", max_attempts=3, timeout_seconds=600)
async def prune_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Daily housekeeping of the queue's own tables."""
    await prune(ctx.session)


prune_cron = cron("jobs.prune", "@daily", "jobs.prune")
