"""JSON shapes of the scheduling API (/api/v1/appointment-types, /availability/slots, /appointments):
what the OpenAPI document describes, what the handlers return and accept. Money is integer minor units
of ``currency``; stored times are UTC, slot times are also given in the zone the caller asked for.

Bodies check types, sizes and shapes (a missing field or a start without an offset answers 422 naming
the field); whether a time can be booked, and which status changes are allowed, are the services'
rules (422 and 409, see ``api``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from verso.domains.ops.forms import EMAIL
from verso.domains.scheduling.models import Appointment, AppointmentType, Attendee
from verso.domains.scheduling.slots import Slot

Aware = Annotated[
    datetime,
    Meta(tz=True, description="An ISO 8601 date-time with its offset, e.g. 2026-12-01T10:00:00+01:00."),
]
Zone = Annotated[str, Meta(max_length=64, description="An IANA time zone, e.g. Europe/Paris.")]
Answer = str | bool | list[str]


# ---- appointment types ------------------------------------------------------------------------
class QuestionOut(msgspec.Struct):
    """A question asked when booking; its answer goes in ``answers[key]``."""

    key: str
    label: str
    kind: Annotated[str, Meta(description="text, textarea, select or checkbox.")]
    required: bool
    options: Annotated[list[str], Meta(description="The choices of a select; empty otherwise.")]


class AppointmentTypeOut(msgspec.Struct):
    """A kind of appointment that can be booked."""

    id: UUID
    slug: Annotated[str, Meta(description="Its address: /book/{slug}; also accepted as `type`.")]
    name: str
    description: str
    duration_minutes: int
    price: Annotated[int | None, Meta(description="In minor units of `currency`; null when free.")]
    currency: Annotated[str, Meta(description="ISO 4217 code of the price.")]
    max_attendees: Annotated[int, Meta(description="Seats per session: above 1, a group session.")]
    location_kind: Annotated[str, Meta(description="address, phone or video.")]
    questions: list[QuestionOut]


def _question(raw: dict[str, Any]) -> QuestionOut:
    return QuestionOut(
        key=str(raw.get("key", "")),
        label=str(raw.get("label", "")),
        kind=str(raw.get("kind", "text")),
        required=bool(raw.get("required", False)),
        options=[str(option) for option in raw.get("options") or []],
    )


def type_out(kind: AppointmentType, *, currency: str) -> AppointmentTypeOut:
    return AppointmentTypeOut(
        id=kind.id,
        slug=kind.slug,
        name=kind.name,
        description=kind.description,
        duration_minutes=kind.duration_minutes,
        price=kind.price,
        currency=currency,
        max_attendees=kind.max_attendees,
        location_kind=kind.location_kind,
        questions=[_question(q) for q in kind.questions],
    )


# ---- free slots -------------------------------------------------------------------------------
class SlotOut(msgspec.Struct):
    """A start time that can be booked now."""

    start: Annotated[datetime, Meta(description="In the zone asked for (`tz`), with its offset.")]
    start_utc: Annotated[datetime, Meta(description="The same instant in UTC: what to send as `start`.")]
    end: Annotated[datetime, Meta(description="When it ends, in the zone asked for.")]
    staff: Annotated[
        list[UUID], Meta(description="Staff members who can take it; the first is who would be assigned.")
    ]
    seats_left: Annotated[int, Meta(description="Free seats with that first staff member.")]


class SlotList(msgspec.Struct):
    type_id: UUID
    timezone: Annotated[str, Meta(description="The zone of `date_from`, `date_to` and each slot's times.")]
    date_from: date
    date_to: date
    items: Annotated[list[SlotOut], Meta(description="Earliest first.")]


def slot_out(slot: Slot, zone: ZoneInfo) -> SlotOut:
    return SlotOut(
        start=slot.start.astimezone(zone),
        start_utc=slot.start,
        end=slot.end.astimezone(zone),
        staff=[UUID(str(member)) for member in slot.staff],
        seats_left=slot.seats_left,
    )


# ---- appointments -----------------------------------------------------------------------------
class TypeRef(msgspec.Struct):
    id: UUID
    slug: str
    name: str


class StaffRef(msgspec.Struct):
    id: UUID
    name: str


class AttendeeOut(msgspec.Struct):
    """One person's booking in the appointment."""

    id: UUID
    customer_id: Annotated[UUID | None, Meta(description="Their account, or null for a guest.")]
    name: str
    email: str
    phone: str
    timezone: str
    answers: dict[str, Any]
    status: Annotated[str, Meta(description="confirmed, cancelled or no_show.")]
    reschedules: Annotated[int, Meta(description="Times they have moved this booking.")]
    checked_in_at: datetime | None
    checkin_method: Annotated[str, Meta(description="qr or manual once checked in; else empty.")]
    price: Annotated[int, Meta(description="The type's price when booked, in minor units (0: free).")]
    online_amount: Annotated[
        int, Meta(description="The part asked online (all of it, or the deposit), in minor units.")
    ]
    payment_status: Annotated[
        str,
        Meta(
            description="none (paid at the appointment, or free), pending (the seat is held until the "
            "order is paid), paid, refunded or released (never paid, so the seat went back)."
        ),
    ]
    order_id: Annotated[UUID | None, Meta(description="The order that takes the online payment.")]
    fee_due: Annotated[int, Meta(description="A cancellation or no-show fee charged, in minor units.")]


class AppointmentOut(msgspec.Struct):
    """Time held on a staff member. Times in UTC."""

    id: UUID
    type: TypeRef
    staff: StaffRef
    resource_id: Annotated[
        UUID | None, Meta(description="The room or equipment held, if the type needs one.")
    ]
    start: datetime
    end: datetime
    status: Annotated[
        str, Meta(description="scheduled, confirmed, in_progress, completed, cancelled or no_show.")
    ]
    capacity: Annotated[int, Meta(description="Seats in the session.")]
    seats_taken: int
    notes: Annotated[str | None, Meta(description="Staff notes; null for a key that is not staff's.")]
    cancel_reason: str
    created_at: datetime


class AppointmentDetail(AppointmentOut, kw_only=True):
    attendees: Annotated[
        list[AttendeeOut], Meta(description="Everyone booked, for staff keys; the key owner's own otherwise.")
    ]


class AppointmentPage(msgspec.Struct):
    items: list[AppointmentOut]
    page: int
    per_page: int
    total: Annotated[int, Meta(description="Appointments matching the filters, on every page.")]
    pages: int


def _fields(appointment: Appointment, *, staff_view: bool) -> dict[str, Any]:
    kind, member = appointment.type, appointment.staff
    return {
        "id": appointment.id,
        "type": TypeRef(id=kind.id, slug=kind.slug, name=kind.name),
        "staff": StaffRef(id=member.id, name=member.display_name),
        "resource_id": appointment.resource_id,
        "start": appointment.start_at,
        "end": appointment.end_at,
        "status": appointment.status,
        "capacity": appointment.capacity,
        "seats_taken": appointment.seats_taken,
        "notes": appointment.notes if staff_view else None,
        "cancel_reason": appointment.cancel_reason,
        "created_at": appointment.created_at,
    }


def appointment_out(appointment: Appointment, *, staff_view: bool) -> AppointmentOut:
    """``appointment`` (type and staff loaded) as the list shows it."""
    return AppointmentOut(**_fields(appointment, staff_view=staff_view))


def _attendee(attendee: Attendee) -> AttendeeOut:
    return AttendeeOut(
        id=attendee.id,
        customer_id=attendee.customer_id,
        name=attendee.name,
        email=attendee.email,
        phone=attendee.phone,
        timezone=attendee.timezone,
        answers=attendee.answers,
        status=attendee.status,
        reschedules=attendee.reschedules,
        checked_in_at=attendee.checked_in_at,
        checkin_method=attendee.checkin_method,
        price=attendee.price,
        online_amount=attendee.online_amount,
        payment_status=attendee.payment_status,
        order_id=attendee.order_id,
        fee_due=attendee.fee_due,
    )


def appointment_detail(appointment: Appointment, *, viewer: UUID | None) -> AppointmentDetail:
    """``appointment`` with its attendees: everyone's for staff (``viewer`` None), else only the
    viewer's own, since the others in a group session are none of their business."""
    attendees = [a for a in appointment.attendees if viewer is None or a.customer_id == viewer]
    return AppointmentDetail(
        **_fields(appointment, staff_view=viewer is None), attendees=[_attendee(a) for a in attendees]
    )


# ---- changes ----------------------------------------------------------------------------------
class AppointmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """Book a time: one seat for one person."""

    type: Annotated[str, Meta(min_length=1, max_length=120, description="The type's slug or id.")]
    start: Annotated[
        Aware, Meta(description="A free slot's start (see /availability/slots), with its offset.")
    ]
    name: Annotated[str, Meta(min_length=1, max_length=120, description="Who comes.")]
    email: Annotated[str, Meta(pattern=EMAIL, max_length=254, description="Where the confirmation goes.")]
    staff: Annotated[UUID | None, Meta(description="A staff member's id; null: whoever is assigned.")] = None
    phone: Annotated[str, Meta(max_length=40)] = ""
    timezone: Annotated[
        Zone | None, Meta(description="The person's zone for their emails; null: the business zone.")
    ] = None
    answers: Annotated[
        dict[Annotated[str, Meta(max_length=60)], Answer],
        Meta(max_length=30, description="The type's questions answered, by `key`."),
    ] = msgspec.field(default_factory=dict)


class AppointmentPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A staff change: only the fields sent (and not null) change."""

    status: (
        Annotated[
            str,
            Meta(
                max_length=20,
                description="scheduled, confirmed, in_progress, completed, cancelled or no_show, along the "
                "allowed transitions (else 409, listing them). The current status changes nothing.",
            ),
        ]
        | None
    ) = None
    start: (
        Annotated[Aware, Meta(description="Move it (everyone in it is emailed); a clash answers 409.")] | None
    ) = None
    staff: Annotated[UUID | None, Meta(description="Move it to this staff member (with `start` or not).")] = (
        None
    )
    notes: Annotated[str, Meta(max_length=5000, description="Staff notes, replaced.")] | None = None
