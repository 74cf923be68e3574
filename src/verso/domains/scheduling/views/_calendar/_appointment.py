"""One appointment's page and its actions: plain POST forms that htmx enhances (the refreshed
page and a toast, or 303 and a flash); a refusal re-renders with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, time
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from msgspec import Meta

from verso.domains.identity.deps import actor, require_user
from verso.domains.scheduling.models import Appointment
from verso.domains.scheduling.services import (
    BookingError,
    PolicyError,
    cancel_appointment,
    check_in,
    load_appointment,
    move_appointment,
    propose_time,
    set_status,
)
from verso.domains.scheduling.services._blocks import blocked_attendees
from verso.domains.scheduling.services._calendar import (
    MAX_NOTES,
    mark_no_show,
    next_statuses,
    proposals_for,
    save_notes,
    staff_choices,
    timeline,
    utc_moment,
)
from verso.domains.scheduling.views._calendar._common import (
    APPOINTMENTS,
    READ,
    STAFF,
    WRITE,
    Reason,
    Refused,
    T,
    Time,
    parsed,
    refusal,
    submitted_state,
    zone,
)
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from
from verso.lib.htmx import is_htmx, redirect, render, toast_header


async def _appointment(db_session: DbSession, appointment_id: UUID) -> Appointment:
    appointment = await load_appointment(db_session, appointment_id)
    if appointment is None:
        raise NotFoundException("No such appointment.")
    return appointment


def _form_defaults(appointment: Appointment) -> dict[str, FormState]:
    local = clock.to_zone(appointment.start_at, zone())
    when = {"day": local.date().isoformat(), "at": f"{local:%H:%M}"}
    return {
        "move": form_from(
            {"move_day": when["day"], "move_at": when["at"], "move_staff": appointment.staff_id}
        ),
        "propose": form_from({"propose_day": when["day"], "propose_at": when["at"]}),
        "notes": form_from({"notes": appointment.notes}),
    }


async def _detail(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    appointment: Appointment,
    *,
    failed: tuple[str, Refused] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    forms = {name: FormState() for name in ("status", "cancel", "attendees")} | _form_defaults(appointment)
    if failed is not None:
        forms[failed[0]] = failed[1].form
    proposals = await proposals_for(db_session, appointment.id)
    staff = await staff_choices(db_session)
    context = {
        "appointment": appointment,
        "proposals": proposals,
        "timeline": timeline(appointment, proposals),
        "next_statuses": next_statuses(appointment),
        "staff_options": [(m.id, m.name) for m in staff if m.active or m.id == appointment.staff_id],
        "forms": forms,
        "zone": zone(),
        "now": clock.utcnow(),
        "max_notes": MAX_NOTES,
        "blocked": await blocked_attendees(db_session, appointment.attendees),
    }
    status = failed[1].status if failed else 200
    return render(
        request, T + "detail.html", context, block="appointment", status_code=status, headers=headers
    )


@get(f"{APPOINTMENTS}/{{appointment_id:uuid}}", permission=READ, **STAFF)
async def appointment_detail(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: FromPath[UUID]
) -> Any:
    return await _detail(request, db_session, await _appointment(db_session, appointment_id))


Action = Callable[[Appointment, Any], Awaitable[str]]


async def _perform(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: UUID, name: str, action: Action
) -> Any:
    """Run one staff action in one transaction; ``action`` returns the success message or raises
    :class:`Refused` with the form to show again."""
    appointment = await _appointment(db_session, appointment_id)
    submitted = await request.form()
    try:
        message = await action(appointment, submitted)
    except Refused as refused:
        await db_session.rollback()
        fresh = await _appointment(db_session, appointment_id)
        return await _detail(request, db_session, fresh, failed=(name, refused))
    await db_session.commit()
    if not is_htmx(request):
        return redirect(request, f"{APPOINTMENTS}/{appointment_id}", message=message)
    fresh = await _appointment(db_session, appointment_id)
    return await _detail(request, db_session, fresh, headers=toast_header(message))


class StatusForm(msgspec.Struct):
    status: Annotated[str, Meta(min_length=1, max_length=12)]


@post(f"{APPOINTMENTS}/{{appointment_id:uuid}}/status", permission=WRITE, **STAFF)
async def appointment_status(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: FromPath[UUID]
) -> Any:
    async def act(appointment: Appointment, submitted: Any) -> str:
        data = parsed(submitted, StatusForm)
        try:
            await set_status(db_session, appointment, data.status, now=clock.utcnow(), actor=actor(request))
        except PolicyError as error:
            raise refusal(submitted_state(submitted), error) from error
        return f"Status changed to {data.status.replace('_', ' ')}."

    return await _perform(request, db_session, appointment_id, "status", act)


class MoveForm(msgspec.Struct):
    move_day: date
    move_at: Time
    move_staff: UUID | None = None


@post(f"{APPOINTMENTS}/{{appointment_id:uuid}}/move", permission=WRITE, **STAFF)
async def appointment_move(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: FromPath[UUID]
) -> Any:
    async def act(appointment: Appointment, submitted: Any) -> str:
        data = parsed(submitted, MoveForm)
        start = utc_moment(data.move_day, time.fromisoformat(data.move_at), zone())
        try:
            await move_appointment(
                db_session, appointment, start, now=clock.utcnow(), staff_id=data.move_staff
            )
        except (BookingError, PolicyError) as error:
            raise refusal(submitted_state(submitted), error, "move_at") from error
        return "Appointment moved; the attendees are sent the new time."

    return await _perform(request, db_session, appointment_id, "move", act)


class CancelForm(msgspec.Struct):
    cancel_reason: Reason = ""


@post(f"{APPOINTMENTS}/{{appointment_id:uuid}}/cancel", permission=WRITE, **STAFF)
async def appointment_cancel(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: FromPath[UUID]
) -> Any:
    async def act(appointment: Appointment, submitted: Any) -> str:
        data = parsed(submitted, CancelForm)
        try:
            await cancel_appointment(db_session, appointment, now=clock.utcnow(), reason=data.cancel_reason)
        except PolicyError as error:
            raise refusal(submitted_state(submitted), error) from error
        return "Appointment cancelled; the attendees are told."

    return await _perform(request, db_session, appointment_id, "cancel", act)


class ProposeForm(msgspec.Struct):
    propose_day: date
    propose_at: Time
    propose_reason: Annotated[str, Meta(min_length=1, max_length=300)]


@post(f"{APPOINTMENTS}/{{appointment_id:uuid}}/propose", permission=WRITE, **STAFF)
async def appointment_propose(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: FromPath[UUID]
) -> Any:
    async def act(appointment: Appointment, submitted: Any) -> str:
        data = parsed(submitted, ProposeForm)
        start = utc_moment(data.propose_day, time.fromisoformat(data.propose_at), zone())
        try:
            await propose_time(
                db_session,
                appointment,
                start,
                reason=data.propose_reason,
                actor_id=require_user(request).id,
                now=clock.utcnow(),
            )
        except PolicyError as error:
            raise refusal(submitted_state(submitted), error, "propose_at") from error
        return "New time proposed; the customer is asked to accept or decline."

    return await _perform(request, db_session, appointment_id, "propose", act)


class NotesForm(msgspec.Struct):
    notes: Annotated[str, Meta(max_length=MAX_NOTES)] = ""


@post(f"{APPOINTMENTS}/{{appointment_id:uuid}}/notes", permission=WRITE, **STAFF)
async def appointment_notes(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: FromPath[UUID]
) -> Any:
    async def act(appointment: Appointment, submitted: Any) -> str:
        await save_notes(db_session, appointment, parsed(submitted, NotesForm).notes)
        return "Notes saved."

    return await _perform(request, db_session, appointment_id, "notes", act)


async def _attendee_action(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    appointment_id: UUID,
    attendee_id: UUID,
    arrived: bool,
) -> Any:
    """Check one attendee in by hand, or mark them as a no-show."""

    async def act(appointment: Appointment, submitted: Any) -> str:
        attendee = next((a for a in appointment.attendees if a.id == attendee_id), None)
        if attendee is None:
            raise NotFoundException("No such attendee.")
        try:
            if arrived:
                await check_in(db_session, attendee.checkin_code, method="manual", now=clock.utcnow())
                return f"{attendee.name} checked in."
            penalty = await mark_no_show(
                db_session, appointment, attendee, now=clock.utcnow(), actor=actor(request)
            )
        except PolicyError as error:
            raise refusal(submitted_state(submitted), error) from error
        return f"{attendee.name} marked as a no-show. {penalty}".strip()

    return await _perform(request, db_session, appointment_id, "attendees", act)


@post(
    f"{APPOINTMENTS}/{{appointment_id:uuid}}/attendees/{{attendee_id:uuid}}/check-in",
    permission=WRITE,
    **STAFF,
)
async def attendee_check_in(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    appointment_id: FromPath[UUID],
    attendee_id: FromPath[UUID],
) -> Any:
    return await _attendee_action(request, db_session, appointment_id, attendee_id, True)


@post(
    f"{APPOINTMENTS}/{{appointment_id:uuid}}/attendees/{{attendee_id:uuid}}/no-show",
    permission=WRITE,
    **STAFF,
)
async def attendee_no_show(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    appointment_id: FromPath[UUID],
    attendee_id: FromPath[UUID],
) -> Any:
    return await _attendee_action(request, db_session, appointment_id, attendee_id, False)


routes = [
    appointment_detail,
    appointment_status,
    appointment_move,
    appointment_cancel,
    appointment_propose,
    appointment_notes,
    attendee_check_in,
    attendee_no_show,
]
