"""Booking on a customer's behalf from the calendar, with the usual confirmation email."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.ops.forms import Email
from verso.domains.scheduling.models import AppointmentType
from verso.domains.scheduling.services import Booker, BookingError, book, confirm_booking, load_attendee
from verso.domains.scheduling.services._calendar import (
    bookable_types,
    calendar_query,
    staff_choices,
    utc_moment,
)
from verso.domains.scheduling.views._calendar._common import (
    APPOINTMENTS,
    STAFF,
    WRITE,
    T,
    Time,
    refusal,
    today,
    zone,
)
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render


class NewForm(msgspec.Struct):
    type: UUID
    day: date
    at: Time
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    email: Email
    phone: Annotated[str, Meta(max_length=40)] = ""
    staff: UUID | None = None


def _type_label(kind: AppointmentType) -> str:
    group = f", up to {kind.max_attendees} people" if kind.max_attendees > 1 else ""
    return f"{kind.name} ({kind.duration_minutes} min{group})"


async def _new_page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status_code: int = 200
) -> Any:
    types = await bookable_types(db_session)
    staff = await staff_choices(db_session)
    context = {
        "form": form,
        "type_options": [(kind.id, _type_label(kind)) for kind in types],
        "staff_options": [(member.id, member.name) for member in staff if member.active],
        "zone": zone(),
    }
    return render(request, T + "new.html", context, block="new", status_code=status_code)


@get(f"{APPOINTMENTS}/new", permission=WRITE, **STAFF)
async def appointment_new(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = calendar_query(request.query_params, today=today())
    return await _new_page(request, db_session, form_from({"day": query.day, "staff": query.staff_id}))


@post(APPOINTMENTS, permission=WRITE, **STAFF)
async def appointment_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """Book for a customer (by phone, at the desk) and send them the usual confirmation."""
    submitted = await request.form()
    data, form = parse_form(submitted, NewForm)
    kind = next((t for t in await bookable_types(db_session) if data and t.id == data.type), None)
    if data is None or kind is None:
        if data is not None:
            form.add_error("type", "Choose an appointment type.")
        return await _new_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)
    booker = Booker(name=data.name, email=data.email, phone=data.phone, timezone=zone())
    start, now = utc_moment(data.day, time.fromisoformat(data.at), zone()), clock.utcnow()
    try:
        booked = await book(db_session, kind, start, booker, now=now, staff_id=data.staff)
        attendee = await load_attendee(db_session, booked.id)  # with the type the confirmation names
        assert attendee is not None
        await confirm_booking(db_session, attendee, now=now)
    except BookingError as error:
        await db_session.rollback()
        refused = refusal(form, error, "at")
        return await _new_page(request, db_session, refused.form, refused.status)
    await db_session.commit()
    url = f"{APPOINTMENTS}/{attendee.appointment_id}"
    return redirect(request, url, message=f"{kind.name} booked for {data.name}.")


routes = [appointment_new, appointment_create]
