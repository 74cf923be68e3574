"""The details step: the chosen time in the customer's zone, then name, email, phone and the type's
own questions. Posting books and confirms in one transaction. A time someone else took meanwhile is
a 409 that keeps everything typed and offers that day's other free times in the same form."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.scheduling.models import AppointmentType
from verso.domains.scheduling.services import (
    Booker,
    BookingError,
    book,
    confirm_booking,
    load_attendee,
    load_board,
    manage_token,
)
from verso.domains.scheduling.views._booking._common import (
    PAGES,
    active_type,
    chosen_staff,
    customer_zone,
    day_view,
    deposit_due,
    moments,
    parse_start,
    start_param,
)
from verso.domains.scheduling.views._booking._forms import parse_details, question_fields
from verso.domains.scheduling.views._booking._pick import picker_url
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState
from verso.lib.htmx import redirect, render


async def _staff_choice(session: AsyncSession, kind: AppointmentType, raw: Any) -> tuple[UUID | None, str]:
    """The staff member asked for (id and name), or anyone."""
    _staff, chosen = await chosen_staff(session, kind, raw)
    return (chosen.id, chosen.display_name) if chosen else (None, "")


async def _page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    kind: AppointmentType,
    *,
    start: datetime,
    staff: tuple[UUID | None, str],
    zone: str,
    form: FormState,
    problem: str = "",
    refused: bool = False,
    status_code: int = 200,
) -> Any:
    """The details page. When the time is ``refused`` (taken meanwhile, or no longer bookable) the
    form offers that day's other free times instead, keeping what was typed."""
    day = clock.to_zone(start, zone).date()
    alternatives = None
    if refused:
        view = await day_view(session, kind, staff_id=staff[0], day=day, zone=zone, now=clock.utcnow())
        alternatives = [t for t in view.times if t.start != start]
    context = {
        "kind": kind,
        "deposit": deposit_due(kind),
        "start": start_param(start),
        "staff_id": staff[0],
        "staff_name": staff[1],
        "zone": zone,
        "form": form,
        "questions": question_fields(kind.questions or []),
        "problem": problem,
        "refused": refused,
        "alternatives": alternatives,
        "back": picker_url(kind.slug, date=day.isoformat(), staff=staff[0], tz=zone),
        **moments(start, zone),
    }
    return render(request, "scheduling/book/details.html", context, block="details", status_code=status_code)


@get("/book/{slug:str}/details", permission=PUBLIC, **PAGES)
async def details_form(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    kind = await active_type(db_session, slug)
    start = parse_start(request.query_params.get("start"))
    if start is None:
        return redirect(request, f"/book/{slug}")
    staff = await _staff_choice(db_session, kind, request.query_params.get("staff"))
    zone, _guessed = customer_zone(request)
    user = request.scope.get("user")
    form = FormState(values={"name": user.display_name, "email": user.email} if user else {})
    length = timedelta(minutes=kind.duration_minutes)
    board = await load_board(db_session, kind, start - length, start + 2 * length, staff_id=staff[0])
    refusal = board.refusal(start, staff[0], clock.utcnow())  # say so now, not after they typed
    return await _page(
        request,
        db_session,
        kind,
        start=start,
        staff=staff,
        zone=zone,
        form=form,
        problem=refusal.message if refusal else "",
        refused=refusal is not None,
        status_code=200 if refusal is None else 409 if refusal.conflict else 422,
    )


@post("/book/{slug:str}/details", permission=PUBLIC, **PAGES)
async def details_submit(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    """Book, confirm, commit, then the confirmation page (303, or HX-Redirect for htmx)."""
    kind = await active_type(db_session, slug)
    data = await request.form()
    staff = await _staff_choice(db_session, kind, data.get("staff"))
    zone, _guessed = customer_zone(request, data.get("tz"))
    form, answers = parse_details(data, kind.questions or [])
    start = parse_start(data.get("start"))
    if start is None:
        return redirect(request, f"/book/{slug}", message="Choose a time first.", level="error")
    if not form.valid:
        return await _page(
            request, db_session, kind, start=start, staff=staff, zone=zone, form=form, status_code=422
        )
    user = request.scope.get("user")
    booker = Booker(
        name=form.values["name"],
        email=form.values["email"],
        phone=form.values["phone"],
        timezone=zone,
        answers=answers,
        customer_id=user.id if user else None,
    )
    now = clock.utcnow()
    try:
        attendee = await book(db_session, kind, start, booker, now=now, staff_id=staff[0])
        booked = await load_attendee(db_session, attendee.id)
        assert booked is not None
        await confirm_booking(db_session, booked, now=now)
    except BookingError as error:
        await db_session.rollback()
        kind = await active_type(db_session, slug)  # the rollback expired it
        return await _page(
            request,
            db_session,
            kind,
            start=start,
            staff=staff,
            zone=zone,
            form=form,
            problem=error.message,
            refused=error.field == "start",
            status_code=409 if error.conflict else 422,
        )
    await db_session.commit()
    return redirect(request, f"/book/done/{manage_token(booked.id)}")


routes = [details_form, details_submit]
