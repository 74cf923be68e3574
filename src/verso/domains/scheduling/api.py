"""The scheduling JSON API: /api/v1/appointment-types, /api/v1/availability/slots and
/api/v1/appointments (list, read, book, change).

Bearer keys as for the rest of /api/v1 (``verso.domains.api.guards``): scope ``read:appointments``
to read, ``write:appointments`` to book and change. A key whose owner holds
``scheduling.appointments.read`` (staff) sees every appointment with everyone in it; any other key
only the appointments its owner attends, with only their own booking (anyone else's answers 404, like a
missing one). Changing an appointment (PATCH) is for staff keys only.

Refusals are problem+json naming the field: a bad date, zone, range or body 422; a time another
booking took (or a change the appointment's state refuses) 409 with the reason; the engine's other
refusals (in the past, outside hours, too little notice...) 422.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, NoReturn
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request, get, patch, post
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.api.guards import api_actor, api_principal, require_scope
from verso.domains.api.schemas import BAD_REQUEST, FORBIDDEN, SECURITY, UNAUTHORIZED, problem_response
from verso.domains.api.services import ApiPrincipal
from verso.domains.identity.permissions import PUBLIC, grants
from verso.domains.ops.services import business_cache
from verso.domains.scheduling.models import STATUSES, Appointment, AppointmentType, Attendee
from verso.domains.scheduling.schemas import (
    AppointmentDetail,
    AppointmentIn,
    AppointmentPage,
    AppointmentPatch,
    AppointmentTypeOut,
    SlotList,
    appointment_detail,
    appointment_out,
    slot_out,
    type_out,
)
from verso.domains.scheduling.services import (
    Booker,
    BookingError,
    PolicyError,
    book,
    confirm_booking,
    load_appointment,
    load_attendee,
    may_pay_later,
    move_appointment,
    set_status,
    shared_board,
)
from verso.domains.scheduling.services._calendar import bookable_types, save_notes
from verso.domains.scheduling.slots import utc_range
from verso.lib import clock
from verso.lib.db import DbSession

# include_in_schema=True: listed in /api/openapi.json (the domain's router leaves pages out)
API = {"permission": PUBLIC, "security": SECURITY, "tags": ["Appointments"], "include_in_schema": True}
READ, WRITE = "read:appointments", "write:appointments"
SEE_ALL = "scheduling.appointments.read"
MAX_PAGE, MAX_PER_PAGE, MAX_DAYS = 1_000_000, 100, 31
AppointmentId = Annotated[UUID, PathParameter(description="The appointment's id.")]

NOT_FOUND = problem_response("No appointment has this id (or the key may not see it).")
NO_TYPE = problem_response("No active appointment type has this slug or id.")
BAD_VALUE = problem_response(
    "A value is not valid: `errors` names the field and says why (a date that is not YYYY-MM-DD, "
    "date_to before date_from, more than 31 days, an unknown time zone, a status that does not exist...)."
)
BAD_BODY = problem_response(
    "The body is not JSON of the documented shape (a missing field, a wrong type or size, a start "
    "without its offset, an unknown field), or the time cannot be booked for a reason of its own (in "
    "the past, outside hours, too little notice, beyond the booking window): `errors` names the field."
)
NOT_JSON = problem_response("The body is not JSON at all.")
CONFLICT = problem_response(
    "Another booking got there first (the time was taken, the session is full, the day's limit or "
    "the room is gone), or the appointment's state refuses the change; the detail says why."
)


def _invalid(errors: list[tuple[str, str]]) -> ClientException:
    return ClientException(
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        detail=" ".join(message for _, message in errors),
        extra=[{"field": name, "message": message} for name, message in errors],
    )


_NAMED = re.compile(r"field `([^`]+)`")


def _body_invalid(_request: Request[Any, Any, Any], exc: ValidationException) -> NoReturn:
    """msgspec's verdict on a body (a missing field, a wrong type) as the 422 the API promises,
    naming each field; the app's handler answers it as problem+json."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message, name = str(item.get("message", "")), item.get("key")
        if name in (None, "data"):  # about the whole body: a missing or unknown field is in the message
            named = _NAMED.search(message)
            name = named.group(1) if named else "body"
        errors.append((name, f"{name}: {message}"))
    raise _invalid(errors or [("body", "The body is not valid JSON of the documented shape.")]) from exc


BODY_422 = {ValidationException: _body_invalid}


def _refused(exc: BookingError | PolicyError, field: str) -> ClientException:
    """A booking refusal: 409 when another booking got there first (or the state refuses), else 422
    naming the field; either way the error carries the refusal's code ("taken", "in_past", "state")
    for integrators to branch on."""
    if isinstance(exc, BookingError) and not exc.conflict:
        status, field, code = HTTP_422_UNPROCESSABLE_ENTITY, exc.field or field, exc.code
    else:
        status, code = HTTP_409_CONFLICT, exc.code if isinstance(exc, BookingError) else "state"
    return ClientException(
        status_code=status, detail=exc.message, extra=[{"field": field, "message": exc.message, "code": code}]
    )


def _day(value: str | None, name: str, errors: list[tuple[str, str]]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append((name, f"{name} must be a date as YYYY-MM-DD, e.g. 2026-03-01."))
        return None


def _zone(name: str, field: str) -> ZoneInfo:
    if not clock.is_valid_zone(name):
        raise _invalid([(field, f"{field} must be an IANA time zone such as Europe/Paris, not {name!r}.")])
    return ZoneInfo(name)


def _visible_to(principal: ApiPrincipal) -> UUID | None:
    """Whose bookings the key sees: None (everyone's) when its owner holds the staff permission."""
    return None if grants(principal.permissions, SEE_ALL) else principal.user_id


async def _type(db_session: AsyncSession, ref: str) -> AppointmentType | None:
    """An active type by slug or id."""
    try:
        match = or_(AppointmentType.slug == ref, AppointmentType.id == UUID(ref))
    except ValueError:
        match = AppointmentType.slug == ref
    return await db_session.scalar(select(AppointmentType).where(match, AppointmentType.active.is_(True)))


async def _appointment_or_404(
    db_session: AsyncSession, principal: ApiPrincipal, appointment_id: UUID
) -> Appointment:
    appointment = await load_appointment(db_session, appointment_id)
    viewer = _visible_to(principal)
    if appointment is None or (
        viewer is not None and all(a.customer_id != viewer for a in appointment.attendees)
    ):
        raise NotFoundException("No such appointment.")
    return appointment


# ---- types and slots --------------------------------------------------------------------------
@get(
    "/api/v1/appointment-types",
    guards=[require_scope(READ)],
    summary="List appointment types",
    description="Scope `read:appointments`. The types open for booking, by name, with their questions.",
    responses={401: UNAUTHORIZED, 403: FORBIDDEN},
    **API,
)
async def list_types(db_session: DbSession) -> list[AppointmentTypeOut]:
    kinds = await bookable_types(db_session)
    currency = business_cache.current().currency
    return [type_out(kind, currency=currency) for kind in kinds]


@get(
    "/api/v1/availability/slots",
    guards=[require_scope(READ)],
    summary="Free slots",
    description=(
        "Scope `read:appointments`. The times a type can be booked now, between two dates (inclusive, "
        f"at most {MAX_DAYS} days) read in `tz`, with one staff member or anyone. Each slot's `start` "
        "and `end` are in `tz`; `staff` lists who can take it, the first being who would be assigned. "
        "A bad date or zone, or a range that is reversed or too long, answers 422 naming the field; "
        "an unknown type 404."
    ),
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NO_TYPE, 422: BAD_VALUE},
    **API,
)
async def list_slots(
    db_session: DbSession,
    type_ref: Annotated[
        str, QueryParameter(name="type", min_length=1, max_length=120, description="The type's slug or id.")
    ],
    staff: Annotated[
        UUID | None, QueryParameter(description="Only this staff member's slots; omitted: anyone's.")
    ] = None,
    date_from: Annotated[
        str | None, QueryParameter(max_length=40, description="First day, YYYY-MM-DD in `tz`; default today.")
    ] = None,
    date_to: Annotated[
        str | None,
        QueryParameter(max_length=40, description="Last day, YYYY-MM-DD in `tz`; default date_from."),
    ] = None,
    tz: Annotated[
        str | None, QueryParameter(max_length=64, description="IANA time zone; default the business's.")
    ] = None,
) -> SlotList:
    errors: list[tuple[str, str]] = []
    zone_name = tz or business_cache.current().timezone
    zone = _zone(zone_name, "tz")
    now = clock.utcnow()
    first = _day(date_from, "date_from", errors) or now.astimezone(zone).date()
    last = _day(date_to, "date_to", errors) or first
    if not errors and last < first:
        errors.append(("date_to", "date_to must be on or after date_from."))
    elif not errors and (last - first).days + 1 > MAX_DAYS:
        errors.append(("date_to", f"The range may cover at most {MAX_DAYS} days."))
    if errors:
        raise _invalid(errors)
    kind = await _type(db_session, type_ref.strip())
    if kind is None:
        raise NotFoundException("No appointment type has this slug or id.")
    start, end = utc_range(first, last, zone)
    board = await shared_board(db_session, kind, start, end, staff_id=staff)
    if staff is not None and not board.calendars:
        raise _invalid([("staff", "This staff member does not take this appointment type.")])
    return SlotList(
        type_id=kind.id,
        timezone=zone_name,
        date_from=first,
        date_to=last,
        items=[slot_out(slot, zone) for slot in board.slots(start, end, now)],
    )


# ---- appointments -----------------------------------------------------------------------------
def _listing(
    viewer: UUID | None, status: str | None, first: date | None, last: date | None, staff: UUID | None
) -> Select[tuple[Appointment]]:
    """The appointments a list shows: ``viewer``'s own (None: everyone's), filtered."""
    zone = ZoneInfo(business_cache.current().timezone)
    query = select(Appointment)
    if viewer is not None:
        query = query.where(
            Appointment.id.in_(select(Attendee.appointment_id).where(Attendee.customer_id == viewer))
        )
    if status is not None:
        query = query.where(Appointment.status == status)
    if first is not None:
        query = query.where(Appointment.start_at >= utc_range(first, first, zone)[0])
    if last is not None:
        query = query.where(Appointment.start_at < utc_range(last, last, zone)[1])
    if staff is not None:
        query = query.where(Appointment.staff_id == staff)
    return query


@get(
    "/api/v1/appointments",
    guards=[require_scope(READ)],
    summary="List appointments",
    description=(
        "Scope `read:appointments`. Earliest first. A key whose owner holds "
        "`scheduling.appointments.read` sees every appointment, any other key those its owner attends. "
        "`date_from` and `date_to` (inclusive) are days (YYYY-MM-DD) in the business time zone. A bad "
        "status or date, or `per_page` above 100, answers 422 naming the field."
    ),
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 422: BAD_VALUE},
    **API,
)
async def list_appointments(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    status: Annotated[
        str | None,
        QueryParameter(
            max_length=40, description=f"Only appointments in this status: {', '.join(STATUSES)}."
        ),
    ] = None,
    date_from: Annotated[
        str | None,
        QueryParameter(max_length=40, description="Starting on or after this day, e.g. 2026-03-01."),
    ] = None,
    date_to: Annotated[
        str | None,
        QueryParameter(max_length=40, description="Starting on or before this day, e.g. 2026-03-31."),
    ] = None,
    staff: Annotated[UUID | None, QueryParameter(description="Only this staff member's.")] = None,
    page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, QueryParameter(description="Items per page, 1 to 100 (else 422).")] = 20,
) -> AppointmentPage:
    errors: list[tuple[str, str]] = []
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors.append(("per_page", f"per_page must be from 1 to {MAX_PER_PAGE}."))
    if status is not None and status not in STATUSES:
        errors.append(("status", f"status must be one of: {', '.join(STATUSES)}."))
    first, last = _day(date_from, "date_from", errors), _day(date_to, "date_to", errors)
    if errors:
        raise _invalid(errors)
    viewer = _visible_to(api_principal(request))
    matching = _listing(viewer, status, first, last, staff)
    total = int(await db_session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
    rows = await db_session.scalars(
        matching.options(selectinload(Appointment.type), selectinload(Appointment.staff))
        .order_by(Appointment.start_at, Appointment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return AppointmentPage(
        items=[appointment_out(a, staff_view=viewer is None) for a in rows],
        page=page,
        per_page=per_page,
        total=total,
        pages=max(1, math.ceil(total / per_page)),
    )


@get(
    "/api/v1/appointments/{appointment_id:uuid}",
    guards=[require_scope(READ)],
    summary="Read an appointment",
    description=(
        "Scope `read:appointments`. The appointment with its attendees (a key that is not staff's: only "
        "its owner's own booking, and no staff notes)."
    ),
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    **API,
)
async def read_appointment(
    request: Request[Any, Any, Any], db_session: DbSession, appointment_id: AppointmentId
) -> AppointmentDetail:
    principal = api_principal(request)
    appointment = await _appointment_or_404(db_session, principal, appointment_id)
    return appointment_detail(appointment, viewer=_visible_to(principal))


@post(
    "/api/v1/appointments",
    guards=[require_scope(WRITE)],
    status_code=HTTP_201_CREATED,
    exception_handlers=BODY_422,
    summary="Book an appointment",
    description=(
        "Scope `write:appointments`. Books one seat at `start` (a free slot's `start_utc`, or any "
        "date-time with its offset) for the person named, with `staff` or whoever is assigned, and sends "
        "the confirmation with its invitation when the type does. A key that is not staff's books for "
        "its owner. A time another booking took answers 409 with the reason; the engine's other "
        "refusals (in the past, outside hours, too little notice...) and a body that is not valid "
        "answer 422 naming the field. Answers the appointment."
    ),
    responses={400: NOT_JSON, 401: UNAUTHORIZED, 403: FORBIDDEN, 409: CONFLICT, 422: BAD_BODY},
    **API,
)
async def book_appointment(
    request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[AppointmentIn]
) -> AppointmentDetail:
    principal = api_principal(request)
    viewer = _visible_to(principal)
    zone = data.timezone or business_cache.current().timezone
    _zone(zone, "timezone")
    kind = await _type(db_session, data.type.strip())
    if kind is None:
        raise _invalid([("type", "No appointment type open for booking has this slug or id.")])
    if viewer is not None and not await may_pay_later(db_session, kind):
        message = f"{kind.name} is paid online when booked: book it at /book/{kind.slug}."
        raise _invalid([("type", message)])
    booker = Booker(
        name=data.name.strip(),
        email=data.email.strip(),
        phone=data.phone.strip(),
        timezone=zone,
        answers=data.answers,
        customer_id=viewer,
    )
    now = clock.utcnow()
    try:
        booked = await book(db_session, kind, clock.as_utc(data.start), booker, now=now, staff_id=data.staff)
        attendee = await load_attendee(db_session, booked.id)
        assert attendee is not None
        await confirm_booking(db_session, attendee, now=now)
    except BookingError as exc:
        await db_session.rollback()
        raise _refused(exc, "staff" if exc.code == "nobody" and data.staff else "start") from exc
    await db_session.commit()
    db_session.expunge_all()
    appointment = await load_appointment(db_session, attendee.appointment_id)
    assert appointment is not None
    return appointment_detail(appointment, viewer=viewer)


@patch(
    "/api/v1/appointments/{appointment_id:uuid}",
    guards=[require_scope(WRITE)],
    exception_handlers=BODY_422,
    summary="Change an appointment",
    description=(
        "Scope `write:appointments`, staff keys only (the owner holds `scheduling.appointments.read`). "
        "`notes` replaces the staff notes; `start` (and/or `staff`) moves the appointment, emailing "
        "everyone in it the updated invitation; `status` moves it along the allowed transitions "
        "(cancelled cancels every booking in it). Not a status: 422 listing them all. A clash or a "
        "transition the current status refuses: 409 with the reason, nothing changed."
    ),
    responses={
        400: NOT_JSON,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: CONFLICT,
        422: BAD_BODY,
    },
    **API,
)
async def change_appointment(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    appointment_id: AppointmentId,
    data: JSONBody[AppointmentPatch],
) -> AppointmentDetail:
    principal = api_principal(request)
    if _visible_to(principal) is not None:
        raise PermissionDeniedException(
            detail=f"Only a key whose owner holds {SEE_ALL} may change appointments."
        )
    if data.status is not None and data.status not in STATUSES:
        raise _invalid([("status", f"status must be one of: {', '.join(STATUSES)}.")])
    appointment = await _appointment_or_404(db_session, principal, appointment_id)
    now = clock.utcnow()
    field = "status"
    try:
        if data.notes is not None:
            await save_notes(db_session, appointment, data.notes)
        if data.start is not None or data.staff is not None:
            field = "start"
            start = clock.as_utc(data.start) if data.start is not None else appointment.start_at
            await move_appointment(db_session, appointment, start, now=now, staff_id=data.staff)
        if data.status is not None and data.status != appointment.status:
            field = "status"
            await set_status(db_session, appointment, data.status, now=now, actor=api_actor(request))
    except (BookingError, PolicyError) as exc:
        await db_session.rollback()
        raise _refused(exc, field) from exc
    await db_session.commit()
    db_session.expunge_all()
    return appointment_detail(await _appointment_or_404(db_session, principal, appointment_id), viewer=None)


routes = [list_types, list_slots, list_appointments, read_appointment, book_appointment, change_appointment]
