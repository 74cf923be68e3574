"""Background jobs for staff: the queue, scheduled tasks and workers; retry, cancel, run now."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy import select

from verso.domains.identity.deps import actor
from verso.lib import jobs
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

ADMIN = {"setup_gate": True}
READ, WRITE = "ops.jobs.read", "ops.jobs.write"
STATUS_FILTER = Filter(
    "status", "Status", [("", "Any status"), *[(s, s.replace("_", " ").capitalize()) for s in jobs.STATUSES]]
)
COLUMNS = [
    Column("id", "Job", sortable=True, numeric=True),
    Column("name", "Name", sortable=True),
    Column("status", "Status"),
    Column("priority", "Priority", sortable=True, numeric=True),
    Column("attempts", "Attempts", numeric=True),
    Column("run_at", "Run at", sortable=True),
    Column("updated_at", "Updated", sortable=True),
]


@get("/admin/jobs", permission=READ, nav=NavEntry("Operations", "Jobs", order=50, icon="clock"), **ADMIN)
async def jobs_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = TableQuery.from_params(
        request.query_params,
        sortable=["id", "name", "priority", "run_at", "updated_at"],
        default_sort="id",
        default_direction="desc",
        filters=[STATUS_FILTER],
    )
    page = await paginate(
        db_session,
        select(jobs.Job),
        query,
        base_url=request.url.path,
        filters=[STATUS_FILTER],
        sort_columns={
            "id": jobs.Job.id,
            "name": jobs.Job.name,
            "priority": jobs.Job.priority,
            "run_at": jobs.Job.run_at,
            "updated_at": jobs.Job.updated_at,
        },
        search_columns=[jobs.Job.name, jobs.Job.last_error],
        filter_columns={"status": jobs.Job.status},
    )
    stats = await jobs.queue_stats(db_session)
    return render(
        request,
        "ops/jobs/index.html",
        {"page": page, "columns": COLUMNS, "stats": stats, "tab": "jobs"},
        block="table",
    )


@get("/admin/jobs/{job_id:int}", permission=READ, **ADMIN)
async def job_detail(request: Request[Any, Any, Any], db_session: DbSession, job_id: FromPath[int]) -> Any:
    job = await db_session.get(jobs.Job, job_id)
    if job is None:
        raise NotFoundException()
    return render(request, "ops/jobs/detail.html", {"job": job})


async def _job_action(
    request: Request[Any, Any, Any], db_session: DbSession, job_id: int, action: str
) -> Any:
    operation = jobs.retry_job if action == "retry" else jobs.cancel_job
    try:
        job = await operation(db_session, job_id)
    except jobs.JobNotFoundError as exc:
        raise NotFoundException() from exc
    except jobs.JobStateError as exc:
        await db_session.rollback()
        return redirect(request, f"/admin/jobs/{job_id}", message=str(exc), level="error")
    audit(
        db_session,
        actor(request),
        f"job.{action}",
        target_type="job",
        target_id=job_id,
        target_label=job.name,
    )
    await db_session.commit()
    verb = "queued again" if action == "retry" else "cancelled"
    return redirect(request, f"/admin/jobs/{job_id}", message=f"Job {job_id} {verb}.")


@post("/admin/jobs/{job_id:int}/retry", permission=WRITE, **ADMIN)
async def job_retry(request: Request[Any, Any, Any], db_session: DbSession, job_id: FromPath[int]) -> Any:
    return await _job_action(request, db_session, job_id, "retry")


@post("/admin/jobs/{job_id:int}/cancel", permission=WRITE, **ADMIN)
async def job_cancel(request: Request[Any, Any, Any], db_session: DbSession, job_id: FromPath[int]) -> Any:
    return await _job_action(request, db_session, job_id, "cancel")


@get("/admin/jobs/scheduled", permission=READ, **ADMIN)
async def scheduled_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    tasks = (await db_session.scalars(select(jobs.CronTask).order_by(jobs.CronTask.name))).all()
    return render(request, "ops/jobs/scheduled.html", {"tasks": tasks, "tab": "scheduled"})


@post("/admin/jobs/scheduled/{name:str}/run", permission=WRITE, **ADMIN)
async def scheduled_run(request: Request[Any, Any, Any], db_session: DbSession, name: FromPath[str]) -> Any:
    try:
        job = await jobs.run_cron_now(db_session, name)
    except jobs.CronNotFoundError as exc:
        raise NotFoundException() from exc
    audit(
        db_session, actor(request), "cron.run_now", target_type="cron_task", target_id=name, target_label=name
    )
    await db_session.commit()
    return redirect(request, "/admin/jobs/scheduled", message=f"{name} queued as job {job.id}.")


@get("/admin/jobs/workers", permission=READ, **ADMIN)
async def workers_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    beats = await jobs.latest_heartbeats(db_session)
    return render(request, "ops/jobs/workers.html", {"workers": beats, "tab": "workers"})


routes = [jobs_index, job_detail, job_retry, job_cancel, scheduled_index, scheduled_run, workers_index]
