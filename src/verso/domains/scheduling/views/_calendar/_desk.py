"""The check-in desk: a typed code, or a scanned QR code that opens this page to confirm."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.scheduling.services import PolicyError, check_in, load_attendee
from verso.domains.scheduling.services._calendar import attendee_by_code
from verso.domains.scheduling.views._calendar._common import CHECK_IN, STAFF, WRITE, T
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import is_htmx, redirect, render
from verso.server.navigation import NavEntry


class CheckInForm(msgspec.Struct):
    code: Annotated[str, Meta(min_length=1, max_length=40)]
    method: Annotated[str, Meta(pattern="^(qr|manual)$")] = "manual"


async def _desk(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    form: FormState,
    *,
    done: Any = None,
    status_code: int = 200,
) -> Any:
    code = str(form.values.get("code") or "")
    waiting = await attendee_by_code(db_session, code) if code and form.values.get("method") == "qr" else None
    context = {"form": form, "done": done, "waiting": waiting}
    return render(request, T + "check_in.html", context, block="desk", status_code=status_code)


@get(CHECK_IN, permission=WRITE, nav=NavEntry("Scheduling", "Check-in", 2, "zap"), **STAFF)
async def check_in_desk(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """A scanned QR code opens this page with ``?code=``: ask to confirm, then POST. ``?done=`` shows
    who was just checked in (after the plain-form redirect)."""
    params = request.query_params
    code = params.get("code", "").strip()
    done_id = params.get("done", "")
    done = None
    if done_id:
        try:
            done = await load_attendee(db_session, UUID(done_id))
        except ValueError:
            done = None
    form = form_from({"code": code, "method": "qr"} if code else {})
    return await _desk(request, db_session, form, done=done)


@post(CHECK_IN, permission=WRITE, **STAFF)
async def check_in_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), CheckInForm)
    if data is not None:
        try:
            attendee = await check_in(db_session, data.code, method=data.method, now=clock.utcnow())
        except PolicyError as error:
            await db_session.rollback()
            form.add_error("code", error.message)
        else:
            await db_session.commit()
            if not is_htmx(request):  # the page after the redirect says who (no flash: it would repeat it)
                return redirect(request, f"{CHECK_IN}?done={attendee.id}")
            done = await load_attendee(db_session, attendee.id)
            return await _desk(request, db_session, FormState(), done=done)
    form.values["method"] = "manual"  # a second try is typed by hand
    return await _desk(request, db_session, form, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


routes = [check_in_desk, check_in_submit]
