"""Tables of the job queue: jobs, cron schedules and worker heartbeats.

Portable types only (JsonB, DateTimeUTC) so the same schema runs on SQLite and PostgreSQL. Jobs and
heartbeats are high-volume rows, hence the BigInt base.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Boolean, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from verso.lib import clock

PENDING = "pending"
PROCESSING = "processing"
COMPLETED = "completed"
FAILED = "failed"
DEAD_LETTER = "dead_letter"
CANCELLED = "cancelled"
STATUSES: tuple[str, ...] = (PENDING, PROCESSING, COMPLETED, FAILED, DEAD_LETTER, CANCELLED)
"""Every job status, in the order an admin table shows them."""

MIN_PRIORITY = -10
MAX_PRIORITY = 10


class Job(BigIntAuditBase):
    """One unit of background work. ``run_at`` is both "first due" and "next retry at"."""

    __tablename__ = "job"
    __table_args__ = (
        # The claim query: due pending/failed rows, and processing rows whose lease ran out.
        Index("ix_job_status_run_at", "status", "run_at"),
        Index("ix_job_status_lease", "status", "lease_expires_at"),
        Index("ux_job_idempotency_key", "idempotency_key", unique=True),
    )

    name: Mapped[str] = mapped_column(String(200), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    idempotency_key: Mapped[str | None] = mapped_column(String(300), default=None)
    locked_by: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_traceback: Mapped[str | None] = mapped_column(Text, default=None)

    @property
    def is_finished(self) -> bool:
        return self.status in (COMPLETED, DEAD_LETTER, CANCELLED)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.name} {self.status} attempt {self.attempts}/{self.max_attempts}>"


class CronTask(BigIntAuditBase):
    """A schedule that enqueues ``job_name`` at each occurrence; rows mirror the code's definitions."""

    __tablename__ = "cron_task"
    __table_args__ = (Index("ix_cron_task_enabled_next_run", "enabled", "next_run_at"),)

    name: Mapped[str] = mapped_column(String(200), unique=True)
    schedule: Mapped[str] = mapped_column(String(100))
    job_name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    next_run_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_job_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class WorkerHeartbeat(BigIntAuditBase):
    """A worker's proof of life, upserted every few seconds; shown on the admin jobs page.

    ``tasks_processed`` counts every job run to an outcome since the worker started; ``tasks_failed``
    is the part of those that failed (retried or dead-lettered).
    """

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(200), unique=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    tasks_processed: Mapped[int] = mapped_column(Integer, default=0)
    tasks_failed: Mapped[int] = mapped_column(Integer, default=0)

    def is_alive(self, within_seconds: float = 60.0) -> bool:
        """Running and seen recently (a crashed worker never writes ``stopped_at``)."""
        if self.stopped_at is not None:
            return False
        return clock.utcnow() - self.last_seen_at <= timedelta(seconds=within_seconds)
