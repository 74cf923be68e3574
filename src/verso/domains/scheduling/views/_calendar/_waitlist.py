"""The waitlist by day in queue order, where staff raise or lower priorities."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.scheduling.models import WAITLIST_STATUSES
from verso.domains.scheduling.services._calendar import MAX_PRIORITY, set_priority, waitlist_by_day
from verso.domains.scheduling.views._calendar._common import READ, STAFF, WAITLIST, WRITE, T, today
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import is_htmx, redirect, render, toast_header
from verso.server.navigation import NavEntry


async def _waitlist(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    *,
    failed: tuple[UUID, FormState] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    status = request.query_params.get("status", "")
    status = status if status in WAITLIST_STATUSES else ""
    context = {
        "days": await waitlist_by_day(db_session, since=today(), status=status),
        "status": status,
        "statuses": WAITLIST_STATUSES,
        "failed": failed,
        "max_priority": MAX_PRIORITY,
    }
    code = HTTP_422_UNPROCESSABLE_ENTITY if failed else 200
    return render(request, T + "waitlist.html", context, block="waitlist", status_code=code, headers=headers)


@get(WAITLIST, permission=READ, nav=NavEntry("Scheduling", "Waitlist", 3, "list"), **STAFF)
async def waitlist(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _waitlist(request, db_session)


class PriorityForm(msgspec.Struct):
    priority: Annotated[int, Meta(ge=-MAX_PRIORITY, le=MAX_PRIORITY)]


@post(f"{WAITLIST}/{{entry_id:uuid}}/priority", permission=WRITE, **STAFF)
async def waitlist_priority(
    request: Request[Any, Any, Any], db_session: DbSession, entry_id: FromPath[UUID]
) -> Any:
    data, form = parse_form(await request.form(), PriorityForm)
    if data is None:
        return await _waitlist(request, db_session, failed=(entry_id, form))
    entry = await set_priority(db_session, entry_id, data.priority)
    if entry is None:
        raise NotFoundException("No such waitlist entry.")
    await db_session.commit()
    message = f"{entry.name} now has priority {data.priority}."
    if is_htmx(request):
        return await _waitlist(request, db_session, headers=toast_header(message))
    back = f"{WAITLIST}?{request.url.query}" if request.url.query else WAITLIST
    return redirect(request, back, message=message)


routes = [waitlist, waitlist_priority]
