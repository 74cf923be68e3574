"""Putting jobs in the queue and moving them through their states.

:func:`enqueue` writes into the caller's session (transactional outbox). The worker side claims due
jobs with one atomic ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``: on
PostgreSQL concurrent workers skip each other's rows; on SQLite the single statement holds the write
lock, so two claims are serialised and never overlap.
"""

from __future__ import annotations

import json
import logging
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.lib import clock
from verso.lib.db import upsert
from verso.lib.jobs._models import (
    COMPLETED,
    DEAD_LETTER,
    FAILED,
    MAX_PRIORITY,
    MIN_PRIORITY,
    PENDING,
    PROCESSING,
    Job,
)
from verso.lib.jobs._registry import registry

log = logging.getLogger("verso.jobs")
LEASE_LOST_ERROR = "worker lost: lease expired on the last attempt"
MAX_ERROR_CHARS = 2000
MAX_TRACEBACK_CHARS = 8000


def backoff_delay(
    attempt: int, *, base: float = 10.0, cap: float = 3600.0, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retrying after failed ``attempt`` (1-based).

    Exponential ``base * 2**(attempt-1)`` capped at ``cap``, then "equal jitter": the result is
    uniformly spread over ``[delay/2, delay]``, so retries of jobs that failed together drift apart
    while the wait never exceeds the cap nor drops below half the nominal delay.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, got {attempt}.")
    delay = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return delay / 2 + rng() * delay / 2


def _check_payload(name: str, payload: dict[str, Any] | None) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise TypeError(f"The payload of job {name!r} must be a dict, not {type(payload).__name__}.")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The payload of job {name!r} is not JSON-serialisable: {exc}") from exc
    return payload


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    priority: int = 0,
    run_at: datetime | None = None,
    idempotency_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Add job ``name`` to the caller's transaction; it exists only if the caller commits.

    With ``idempotency_key``, a second enqueue (even from another process, racing) returns the job
    that already holds the key and inserts nothing: the unique index arbitrates via
    ``INSERT ... ON CONFLICT DO NOTHING``.
    """
    definition = registry.get(name)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise TypeError(f"priority must be an integer, got {priority!r}.")
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:
        msg = f"priority must be between {MIN_PRIORITY} (low) and {MAX_PRIORITY} (high), got {priority}."
        raise ValueError(msg)
    attempts_allowed = definition.max_attempts if max_attempts is None else max_attempts
    if attempts_allowed < 1:
        raise ValueError(f"max_attempts must be at least 1, got {attempts_allowed}.")
    now = clock.utcnow()
    values: dict[str, Any] = {
        "name": name,
        "payload": _check_payload(name, payload),
        "status": PENDING,
        "priority": priority,
        "attempts": 0,
        "max_attempts": attempts_allowed,
        "run_at": run_at or now,
        "idempotency_key": idempotency_key,
        "created_at": now,
        "updated_at": now,
    }
    if idempotency_key is None:
        job = Job(**values)
        session.add(job)
        await session.flush()
        return job
    await session.execute(
        upsert(session, Job).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    found = await session.execute(
        select(Job).where(Job.idempotency_key == idempotency_key).execution_options(populate_existing=True)
    )
    return found.scalar_one()


def _due_condition(now: datetime) -> Any:
    return or_(
        and_(Job.status.in_((PENDING, FAILED)), Job.run_at <= now),
        and_(Job.status == PROCESSING, Job.lease_expires_at < now),
    )


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """What a worker needs to run one leased job, detached from any session."""

    id: int
    name: str
    attempt: int
    max_attempts: int
    priority: int
    payload: dict[str, Any] = field(default_factory=dict)


async def claim_jobs(
    session: AsyncSession, *, worker_id: str, limit: int, lease_seconds: float
) -> list[ClaimedJob]:
    """Lease up to ``limit`` due jobs to ``worker_id`` and commit; highest priority, then oldest first.

    A job whose lease expired while on its last attempt is dead-lettered here instead of run again.
    """
    if limit < 1:
        return []
    now = clock.utcnow()
    lost = (
        update(Job)
        .where(Job.status == PROCESSING, Job.lease_expires_at < now, Job.attempts >= Job.max_attempts)
        .values(
            status=DEAD_LETTER,
            last_error=LEASE_LOST_ERROR,
            finished_at=now,
            locked_by=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    lost_count = (await session.execute(lost)).rowcount or 0  # type: ignore[attr-defined]
    if lost_count:
        log.warning(
            "jobs dead-lettered: their worker was lost on the last attempt", extra={"count": lost_count}
        )
    due_ids = (
        select(Job.id)
        .where(_due_condition(now))
        .order_by(Job.priority.desc(), Job.run_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(Job)
        .where(Job.id.in_(due_ids.scalar_subquery()))
        .values(
            status=PROCESSING,
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            started_at=now,
            updated_at=now,
        )
        .returning(Job)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = sorted((await session.execute(claim)).scalars().all(), key=lambda j: (-j.priority, j.run_at, j.id))
    claimed = [
        ClaimedJob(
            id=row.id,
            name=row.name,
            attempt=row.attempts,
            max_attempts=row.max_attempts,
            priority=row.priority,
            payload=dict(row.payload or {}),
        )
        for row in rows
    ]
    await session.commit()
    return claimed


def _owned(job_id: int, worker_id: str, attempt: int) -> Any:
    """Rows still leased to this worker for this attempt (a reclaimed job is no longer ours)."""
    return and_(
        Job.id == job_id, Job.status == PROCESSING, Job.locked_by == worker_id, Job.attempts == attempt
    )


async def renew_lease(
    session: AsyncSession, *, job_ids: list[int], worker_id: str, lease_seconds: float
) -> int:
    """Push the lease of this worker's running jobs forward; returns how many were still ours."""
    if not job_ids:
        return 0
    now = clock.utcnow()
    result = await session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.status == PROCESSING, Job.locked_by == worker_id)
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return result.rowcount or 0  # type: ignore[attr-defined]


async def mark_completed(session: AsyncSession, *, job_id: int, worker_id: str, attempt: int) -> bool:
    """Mark the job done inside the handler's transaction (not committed here).

    Returns False when the lease was lost meanwhile: the caller then rolls the handler's work back.
    """
    now = clock.utcnow()
    result = await session.execute(
        update(Job)
        .where(_owned(job_id, worker_id, attempt))
        .values(
            status=COMPLETED,
            finished_at=now,
            locked_by=None,
            lease_expires_at=None,
            last_error=None,
            last_traceback=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def describe_error(exc: BaseException) -> tuple[str, str]:
    """``("Type: message", truncated traceback)`` for the job row."""
    message = f"{type(exc).__name__}: {exc}".strip()
    if message.endswith(":"):
        message = message[:-1]
    trace = "".join(traceback.format_exception(exc))
    if len(trace) > MAX_TRACEBACK_CHARS:
        trace = "...\n" + trace[-MAX_TRACEBACK_CHARS:]
    return message[:MAX_ERROR_CHARS], trace


async def mark_failed(
    session: AsyncSession,
    *,
    job_id: int,
    worker_id: str,
    attempt: int,
    max_attempts: int,
    error: BaseException,
    rng: Callable[[], float] = random.random,
) -> str | None:
    """Record a failed attempt and commit: retry later with backoff, or dead-letter on the last one.

    Returns the new status, or None when the job was no longer leased to this worker.
    """
    now = clock.utcnow()
    message, trace = describe_error(error)
    values: dict[str, Any] = {
        "locked_by": None,
        "lease_expires_at": None,
        "last_error": message,
        "last_traceback": trace,
        "updated_at": now,
    }
    if attempt >= max_attempts:
        values.update(status=DEAD_LETTER, finished_at=now)
    else:
        values.update(status=FAILED, run_at=now + timedelta(seconds=backoff_delay(attempt, rng=rng)))
    result = await session.execute(
        update(Job)
        .where(_owned(job_id, worker_id, attempt))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return values["status"] if result.rowcount else None  # type: ignore[attr-defined]
