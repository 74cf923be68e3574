"""A database-backed job queue and cron scheduler (no Redis): the public API.

Domains declare handlers with :func:`job` and schedules with :func:`cron`, export them as ``jobs``,
and enqueue work with :func:`enqueue` inside their own transaction (transactional outbox). A
:class:`Worker` claims due jobs atomically (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), retries
failures with exponential backoff and dead-letters a job after its last attempt.
"""

from verso.lib.jobs._admin import (
    QueueStats,
    cancel_job,
    latest_heartbeats,
    prune,
    prune_cron,
    prune_job,
    queue_stats,
    retry_job,
)
from verso.lib.jobs._cron import run_cron_now, schedule_due, sync_cron
from verso.lib.jobs._errors import (
    CronNotFoundError,
    JobError,
    JobNotFoundError,
    JobStateError,
    JobTimeoutError,
    RegistryConflictError,
    UnknownJobError,
)
from verso.lib.jobs._models import (
    CANCELLED,
    COMPLETED,
    DEAD_LETTER,
    FAILED,
    PENDING,
    PROCESSING,
    STATUSES,
    CronTask,
    Job,
    WorkerHeartbeat,
)
from verso.lib.jobs._queue import ClaimedJob, backoff_delay, claim_jobs, enqueue
from verso.lib.jobs._registry import (
    CronDefinition,
    JobContext,
    JobDefinition,
    JobRegistry,
    RegistrySnapshot,
    cron,
    job,
    register,
    registry,
)
from verso.lib.jobs._schedule import next_occurrence, validate_schedule
from verso.lib.jobs._worker import Worker, run_worker_forever

jobs: list[JobDefinition | CronDefinition] = [prune_job, prune_cron]
"""The queue's own housekeeping, registered by the app like any domain's ``jobs``."""

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "DEAD_LETTER",
    "FAILED",
    "PENDING",
    "PROCESSING",
    "STATUSES",
    "ClaimedJob",
    "CronDefinition",
    "CronNotFoundError",
    "CronTask",
    "Job",
    "JobContext",
    "JobDefinition",
    "JobError",
    "JobNotFoundError",
    "JobRegistry",
    "JobStateError",
    "JobTimeoutError",
    "QueueStats",
    "RegistryConflictError",
    "RegistrySnapshot",
    "UnknownJobError",
    "Worker",
    "WorkerHeartbeat",
    "backoff_delay",
    "cancel_job",
    "claim_jobs",
    "cron",
    "enqueue",
    "job",
    "jobs",
    "latest_heartbeats",
    "next_occurrence",
    "prune",
    "queue_stats",
    "register",
    "registry",
    "retry_job",
    "run_cron_now",
    "run_worker_forever",
    "schedule_due",
    "sync_cron",
    "validate_schedule",
]
