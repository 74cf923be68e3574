"""Import runs: an uploaded product CSV checked, previewed and applied by background jobs.

The upload is checked at once (size, encoding, header) and queued; the ``shop.import.validate`` job
plans every row and stores the preview and the errors; "Apply" queues ``shop.import.apply``, which
plans again against the catalogue as it is then and writes everything in the job's transaction, or
nothing. Progress is committed through a separate session while the job only reads, so the page can
poll it; the writes come last, in one burst, so SQLite's write lock is held as briefly as possible.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from verso.domains.shop.models import ImportRun
from verso.domains.shop.models._imports import RUNNING_STATUSES
from verso.domains.shop.services._csv_apply import apply_plan
from verso.domains.shop.services._csv_check import plan_import
from verso.domains.shop.services._csv_format import MAX_FILE_BYTES, FileProblem, decode, read_rows
from verso.domains.shop.services._csv_plan import ImportPlan
from verso.domains.shop.services._products import ProductError
from verso.lib import clock
from verso.lib.audit import Actor
from verso.lib.jobs import JobContext, enqueue, job

log = logging.getLogger("verso.shop.imports")
VALIDATE_JOB = "shop.import.validate"
APPLY_JOB = "shop.import.apply"
PROGRESS_SECONDS = 0.5
RECENT_RUNS = 20


@dataclass(frozen=True, slots=True)
class Uploader:
    """Who uploads or applies a file (kept on the run: the job acts in their name)."""

    id: UUID | None
    label: str

    @property
    def actor(self) -> Actor:
        return Actor(id=str(self.id) if self.id else None, label=self.label or "system")


class ImportRunService(SQLAlchemyAsyncRepositoryService[ImportRun]):
    class Repo(SQLAlchemyAsyncRepository[ImportRun]):
        model_type = ImportRun

    repository_type = Repo

    async def upload(self, data: bytes, filename: str, *, currency: str, by: Uploader) -> ImportRun:
        """Keep a CSV file as a new run and queue its check; refuses what cannot be a product CSV."""
        if not data:
            raise ProductError({"file": "Choose a CSV file to upload."})
        if len(data) > MAX_FILE_BYTES:
            raise ProductError(
                {"file": f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it."}
            )
        try:
            text = decode(data)
            _layout, rows = read_rows(text)  # the header and the first row now; the rest in the job
            if next(rows, None) is None:
                raise FileProblem("The file has no product rows under its header.")
        except FileProblem as exc:
            raise ProductError({"file": str(exc)}) from None
        session = self.repository.session
        run = ImportRun(
            filename=(filename or "products.csv")[-255:],
            status="uploaded",
            currency=currency,
            content=text,
            size_bytes=len(data),
            created_by_id=by.id,
            created_by_label=by.label,
        )
        session.add(run)
        await session.flush()
        await enqueue(session, VALIDATE_JOB, {"run_id": str(run.id)})
        return run

    async def recent(self, limit: int = RECENT_RUNS) -> list[ImportRun]:
        return list(
            (
                await self.repository.session.scalars(
                    select(ImportRun).order_by(ImportRun.created_at.desc()).limit(limit)
                )
            ).all()
        )

    async def start_apply(self, run: ImportRun, *, by: Uploader) -> None:
        """Queue the apply of a checked run without errors (once, however often the button is pressed)."""
        session = self.repository.session
        result = await session.execute(
            update(ImportRun)
            .where(ImportRun.id == run.id, ImportRun.status == "ready", ImportRun.error_count == 0)
            .values(
                status="applying",
                processed_rows=0,
                applied_by_id=by.id,
                applied_by_label=by.label,
                started_at=clock.utcnow(),
                finished_at=None,
                updated_at=clock.utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            await session.refresh(run)
            reason = {
                "applying": "it is being applied now",
                "done": "it has already been applied",
                "invalid": "its rows have errors",
            }.get(run.status, "it has not been checked yet")
            raise ProductError({"__all__": f"This import cannot be applied: {reason}."})
        await enqueue(session, APPLY_JOB, {"run_id": str(run.id)})
        await session.refresh(run)

    async def discard(self, run: ImportRun) -> None:
        """Forget a run that is not running (its file with it)."""
        if run.status in RUNNING_STATUSES:
            raise ProductError({"__all__": "This import is still running; wait until it finishes."})
        await self.repository.session.delete(run)
        await self.repository.session.flush()


# -- the jobs ----------------------------------------------------------------------------------


class ProgressReporter:
    """Commits a run's progress through its own session, at most every ``PROGRESS_SECONDS``.

    Only while the job's own session has written nothing: on SQLite a second writer would wait for
    the job's write lock."""

    def __init__(self, ctx: JobContext, run_id: UUID) -> None:
        self.ctx = ctx
        self.run_id = run_id
        self.last = 0.0

    async def update(self, **values: Any) -> None:
        async with self.ctx.open_session() as session:
            await session.execute(
                update(ImportRun)
                .where(ImportRun.id == self.run_id)
                .values(**values, updated_at=clock.utcnow())
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS or done >= total:
            self.last = now
            try:
                await self.update(processed_rows=done, total_rows=total)
            except Exception:  # e.g. SQLite busy with another writer: the page just shows older figures
                log.warning("import progress not saved", extra={"run_id": str(self.run_id)}, exc_info=True)
        else:
            await asyncio.sleep(0)  # a worker inside the web process lets requests in


async def _load(ctx: JobContext, run_id: UUID) -> ImportRun | None:
    return await ctx.session.get(
        ImportRun, run_id, options=[undefer(ImportRun.content)], populate_existing=True
    )


def _store(run: ImportRun, plan: ImportPlan) -> None:
    """Keep what the page shows; the file itself only while it may still be applied."""
    run.total_rows = run.processed_rows = plan.rows
    run.error_count = plan.error_count
    run.errors = [e.as_dict() for e in plan.errors]
    run.summary = plan.summary()
    run.preview = plan.preview
    run.finished_at = clock.utcnow()
    if plan.error_count:
        run.content = ""


async def _fail(ctx: JobContext, run_id: UUID, exc: BaseException) -> None:
    """Record an unexpected failure on the run; the job's writes are rolled back first."""
    log.exception("product import failed", extra={"run_id": str(run_id)})
    await ctx.session.rollback()
    run = await _load(ctx, run_id)
    if run is not None:
        run.status = "failed"
        run.message = (
            f"The import stopped on an unexpected error ({type(exc).__name__}); nothing was changed."
        )
        run.finished_at = clock.utcnow()
        run.content = ""


async def validate_run(ctx: JobContext, run_id: UUID) -> None:
    """Check every row of an uploaded run and store the preview (status ready or invalid)."""
    run = await _load(ctx, run_id)
    if run is None or run.status not in ("uploaded", "validating"):
        return
    progress = ProgressReporter(ctx, run_id)
    try:
        await progress.update(status="validating", started_at=clock.utcnow(), processed_rows=0)
        plan = await plan_import(ctx.session, run.content, run.currency, progress=progress)
        await ctx.session.refresh(run)
        _store(run, plan)
        run.status = "invalid" if plan.error_count else "ready"
    except Exception as exc:
        await _fail(ctx, run_id, exc)


async def apply_run(ctx: JobContext, run_id: UUID) -> None:
    """Plan a run again against the catalogue as it is now and write it all, or nothing."""
    run = await _load(ctx, run_id)
    if run is None or run.status != "applying":
        return  # applied already (a re-run after a lost worker) or discarded
    progress = ProgressReporter(ctx, run_id)
    try:
        plan = await plan_import(ctx.session, run.content, run.currency, progress=progress)
        await ctx.session.refresh(run)
        if plan.error_count:
            _store(run, plan)
            run.status = "invalid"
            run.message = (
                "The catalogue changed since the check, and some rows no longer fit; nothing was changed."
            )
            return
        by = Uploader(run.applied_by_id, run.applied_by_label)
        await apply_plan(ctx.session, plan, actor=by.actor, run_id=run.id, filename=run.filename)
        _store(run, plan)
        run.status = "done"
        run.content = ""  # applied: the file is no longer needed
    except Exception as exc:
        await _fail(ctx, run_id, exc)


@job(VALIDATE_JOB, max_attempts=3, timeout_seconds=3600)
async def validate_import_job(payload: dict[str, Any], ctx: JobContext) -> None:
    await validate_run(ctx, UUID(payload["run_id"]))


@job(APPLY_JOB, max_attempts=3, timeout_seconds=3600)
async def apply_import_job(payload: dict[str, Any], ctx: JobContext) -> None:
    await apply_run(ctx, UUID(payload["run_id"]))


IMPORT_JOBS = [validate_import_job, apply_import_job]
