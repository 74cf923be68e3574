"""The audit log: searchable and filterable, each entry with its JSON diff."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy import distinct, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.lib.audit import AuditLog
from verso.lib.db import DbSession
from verso.lib.htmx import render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

READ = "compliance.audit.read"
COLUMNS = [
    Column("created_at", "When", sortable=True),
    Column("actor_label", "Who", sortable=True),
    Column("action", "Action", sortable=True),
    Column("target", "Target"),
    Column("ip_address", "IP"),
]


async def _filters(session: AsyncSession) -> list[Filter]:
    actions = (await session.scalars(select(distinct(AuditLog.action)).order_by(AuditLog.action))).all()
    targets = (
        await session.scalars(
            select(distinct(AuditLog.target_type))
            .where(AuditLog.target_type.is_not(None))
            .order_by(AuditLog.target_type)
        )
    ).all()
    return [
        Filter("action", "Action", [("", "Any action"), *[(a, a) for a in actions]]),
        Filter("target_type", "Target", [("", "Any target"), *[(t, t.replace("_", " ")) for t in targets]]),
    ]


@get(
    "/admin/audit",
    permission=READ,
    setup_gate=True,
    nav=NavEntry("Compliance", "Audit log", order=80, icon="shield"),
)
async def audit_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    filters = await _filters(db_session)
    query = TableQuery.from_params(
        request.query_params,
        sortable=["created_at", "actor_label", "action"],
        default_sort="created_at",
        default_direction="desc",
        filters=filters,
    )
    page = await paginate(
        db_session,
        select(AuditLog),
        query,
        base_url=request.url.path,
        filters=filters,
        sort_columns={
            "created_at": AuditLog.created_at,
            "actor_label": AuditLog.actor_label,
            "action": AuditLog.action,
        },
        search_columns=[AuditLog.actor_label, AuditLog.action, AuditLog.target_label, AuditLog.ip_address],
        filter_columns={"action": AuditLog.action, "target_type": AuditLog.target_type},
    )
    return render(request, "compliance/audit/index.html", {"page": page, "columns": COLUMNS}, block="table")


@get("/admin/audit/{entry_id:int}", permission=READ, setup_gate=True)
async def audit_detail(
    request: Request[Any, Any, Any], db_session: DbSession, entry_id: FromPath[int]
) -> Any:
    entry = await db_session.get(AuditLog, entry_id)
    if entry is None:
        raise NotFoundException()
    return render(request, "compliance/audit/detail.html", {"entry": entry})


routes = [audit_index, audit_detail]
