"""The cron scheduler: ``cron_task`` rows mirror the registered schedules and enqueue due jobs.

Each occurrence is enqueued with the idempotency key ``cron:{name}:{next_run_at}``, so two worker
processes ticking at once (or one process ticking twice) never enqueue the same occurrence twice.
Occurrences missed while no worker ran are not replayed: one job runs, then the schedule moves to the
next occurrence after now.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.lib import clock
from verso.lib.db import upsert
from verso.lib.jobs._errors import CronNotFoundError, UnknownJobError
from verso.lib.jobs._models import CronTask, Job
from verso.lib.jobs._queue import enqueue
from verso.lib.jobs._registry import registry
from verso.lib.jobs._schedule import next_occurrence

log = logging.getLogger("verso.jobs")


def occurrence_key(name: str, occurrence: object) -> str:
    """The idempotency key of one occurrence of a schedule."""
    iso = occurrence.isoformat() if hasattr(occurrence, "isoformat") else str(occurrence)
    return f"cron:{name}:{iso}"


async def sync_cron(session: AsyncSession) -> list[CronTask]:
    """Make ``cron_task`` match the registered schedules, and commit.

    New schedules get their first ``next_run_at``; a changed schedule is recomputed from now; rows
    whose definition disappeared are disabled (kept for their history). Safe to run from several
    processes at start-up: new rows are inserted with ``ON CONFLICT DO NOTHING``.
    """
    now = clock.utcnow()
    definitions = {d.name: d for d in registry.crons()}
    for definition in definitions.values():
        if definition.job_name not in registry:
            raise UnknownJobError(definition.job_name)
    for definition in definitions.values():
        await session.execute(
            upsert(session, CronTask)
            .values(
                name=definition.name,
                schedule=definition.schedule,
                job_name=definition.job_name,
                payload=definition.payload,
                enabled=True,
                next_run_at=next_occurrence(definition.schedule, now),
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
    rows = (await session.execute(select(CronTask).execution_options(populate_existing=True))).scalars().all()
    for row in rows:
        definition = definitions.get(row.name)
        if definition is None:
            row.enabled = False
            continue
        if row.schedule != definition.schedule:
            row.schedule = definition.schedule
            row.next_run_at = next_occurrence(definition.schedule, now)
        if not row.enabled:
            # Back in the code after an absence: resume, without replaying what was missed.
            row.enabled = True
            if row.next_run_at <= now:
                row.next_run_at = next_occurrence(definition.schedule, now)
        if row.job_name != definition.job_name:
            row.job_name = definition.job_name
        if row.payload != definition.payload:
            row.payload = dict(definition.payload)
    await session.commit()
    return sorted(rows, key=lambda r: r.name)


async def schedule_due(session: AsyncSession) -> list[Job]:
    """Enqueue every due occurrence and advance the schedules, then commit. Returns the jobs."""
    now = clock.utcnow()
    due = (
        select(CronTask)
        .where(CronTask.enabled.is_(True), CronTask.next_run_at <= now)
        .order_by(CronTask.next_run_at, CronTask.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    rows = (await session.execute(due)).scalars().all()
    enqueued: list[Job] = []
    for row in rows:
        occurrence = row.next_run_at
        try:
            job_row = await enqueue(
                session,
                row.job_name,
                dict(row.payload or {}),
                idempotency_key=occurrence_key(row.name, occurrence),
            )
        except UnknownJobError:
            log.error(
                "scheduled job is not registered in this process; occurrence skipped",
                extra={"cron": row.name, "job_name": row.job_name},
            )
        else:
            row.last_job_id = job_row.id
            enqueued.append(job_row)
        row.last_run_at = now
        row.next_run_at = next_occurrence(row.schedule, now)
    await session.commit()
    if enqueued:
        log.info(
            "scheduled jobs enqueued", extra={"count": len(enqueued), "job_ids": [j.id for j in enqueued]}
        )
    return enqueued


async def run_cron_now(session: AsyncSession, name: str) -> Job:
    """Enqueue a scheduled task's job immediately (admin "run now"); the schedule is unchanged.

    Works in the caller's transaction and does not commit.
    """
    row = (await session.execute(select(CronTask).where(CronTask.name == name))).scalar_one_or_none()
    if row is None:
        raise CronNotFoundError(name)
    job_row = await enqueue(session, row.job_name, dict(row.payload or {}))
    row.last_run_at = clock.utcnow()
    row.last_job_id = job_row.id
    await session.flush()
    return job_row
