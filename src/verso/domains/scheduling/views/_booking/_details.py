"""The details step: the chosen time in the customer's zone, then name, email, phone, the type's own
questions and, for a priced type, how to pay. Posting books in one transaction. A time someone else
took meanwhile is a 409 that keeps everything typed and offers that day's other free times in the
same form. A card payment follows the commit: the customer goes to the card page while the time is
held, and the booking is confirmed when the payment arrives."""

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
    PayChoice,
    book,
    deposit_due,
    finish_booking,
    load_attendee,
    manage_token,
    payment_choices,
    policy_terms,
    shared_board,
    start_online_payment,
)
from verso.domains.scheduling.views._booking._common import (
    PAGES,
    active_type,
    chosen_staff,
    customer_zone,
    day_view,
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
from verso.lib.payments import PaymentError


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
    choices: list[PayChoice] | None = None,
) -> Any:
    """The details page. When the time is ``refused`` (taken meanwhile, or no longer bookable) the
    form offers that day's other free times instead, keeping what was typed."""
    day = clock.to_zone(start, zone).date()
    alternatives = None
    if refused:
        view = await day_view(session, kind, staff_id=staff[0], day=day, zone=zone, now=clock.utcnow())
        alternatives = [t for t in view.times if t.start != start]
    choices = choices if choices is not None else await payment_choices(session, kind)
    context = {
        "kind": kind,
        "deposit": deposit_due(kind),
        "terms": policy_terms(kind),
        "choices": choices,
        "payment": form.values.get("payment") or (choices[0].key if choices else ""),
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
    board = await shared_board(db_session, kind, start - length, start + 2 * length, staff_id=staff[0])
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


def chosen_payment(form: FormState, raw: Any, choices: list[PayChoice]) -> str:
    """The payment method picked (kept in the form for a redisplay); an error when it is not offered."""
    keys = [c.key for c in choices]
    chosen = str(raw or (keys[0] if len(keys) == 1 else ""))
    form.values["payment"] = chosen
    if keys and chosen not in keys:
        form.add_error("payment", "Choose how to pay.")
    return chosen


@post("/book/{slug:str}/details", permission=PUBLIC, **PAGES)
async def details_submit(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    """Book and commit, then the card page for a card payment, else the confirmation page (303, or
    HX-Redirect for htmx)."""
    kind = await active_type(db_session, slug)
    data = await request.form()
    staff = await _staff_choice(db_session, kind, data.get("staff"))
    zone, _guessed = customer_zone(request, data.get("tz"))
    form, answers = parse_details(data, kind.questions or [])
    choices = await payment_choices(db_session, kind)
    provider = chosen_payment(form, data.get("payment"), choices)
    start = parse_start(data.get("start"))
    if start is None:
        return redirect(request, f"/book/{slug}", message="Choose a time first.", level="error")
    page = {"start": start, "staff": staff, "zone": zone, "form": form, "choices": choices}
    if not form.valid:
        return await _page(request, db_session, kind, **page, status_code=422)
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
        must_pay = await finish_booking(db_session, booked, provider, now=now)
    except BookingError as error:
        await db_session.rollback()
        kind = await active_type(db_session, slug)  # the rollback expired it
        return await _page(
            request,
            db_session,
            kind,
            **page,
            problem=error.message,
            refused=error.field == "start",
            status_code=409 if error.conflict else 422,
        )
    await db_session.commit()
    return await after_booking(request, db_session, booked.id, provider if must_pay else "")


async def after_booking(
    request: Request[Any, Any, Any], session: AsyncSession, attendee_id: UUID, provider: str
) -> Any:
    """Where a committed booking goes next: the payment through ``provider``, else the confirmation."""
    done = f"/book/done/{manage_token(attendee_id)}"
    if not provider:
        return redirect(request, done)
    return await pay_for(request, session, attendee_id, provider, done)


async def pay_for(
    request: Request[Any, Any, Any], session: AsyncSession, attendee_id: UUID, provider: str, done: str
) -> Any:
    """Open a committed booking's payment: the card page, or the confirmation with the transfer
    details. A provider that refuses leaves the booking waiting, with a way to try again."""
    attendee = await load_attendee(session, attendee_id)
    assert attendee is not None
    try:
        card_page = await start_online_payment(session, attendee, provider)
    except PaymentError:
        await session.rollback()
        message = "The card payment could not be started. Your time is held: try again below."
        return redirect(request, done, message=message, level="error")
    await session.commit()
    return redirect(request, card_page or done)


routes = [details_form, details_submit]
