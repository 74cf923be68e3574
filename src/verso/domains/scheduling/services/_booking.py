"""Booking a slot: one transaction that locks the staff member (and the resources of the kind),
asks the slot engine again with what is committed now, and writes. Two people can never both get
the last seat: the second waits for the first's lock, then sees the first's booking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from verso.domains.scheduling.models import Appointment, AppointmentType, Attendee, Resource, StaffMember
from verso.domains.scheduling.services._availability import Board, bookable_staff, load_board
from verso.domains.scheduling.services._blocks import booking_block
from verso.domains.scheduling.services._reading import load_attendee
from verso.domains.scheduling.services._tokens import checkin_code
from verso.domains.scheduling.slots import Refusal


class BookingError(Exception):
    """A refusal with its message; ``conflict`` marks a clash with another booking (HTTP 409)."""

    def __init__(
        self, message: str, *, code: str = "invalid", conflict: bool = False, field: str = ""
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.conflict, self.field = message, code, conflict, field

    @classmethod
    def from_refusal(cls, refusal: Refusal) -> BookingError:
        return cls(refusal.message, code=str(refusal.code), conflict=refusal.conflict, field="start")


@dataclass(frozen=True, slots=True)
class Booker:
    """Who books, as typed on the details step (or taken from the signed-in account)."""

    name: str
    email: str
    phone: str = ""
    timezone: str = "UTC"
    answers: dict[str, Any] = field(default_factory=dict)
    customer_id: UUID | None = None


def answer_problem(question: dict[str, Any], value: Any) -> str | None:
    """What is wrong with one answer to a type's booking question, or None. The booking form and
    :func:`book` (and so the API) apply the same rule."""
    if question.get("kind") == "checkbox":
        return "Please tick this box to continue." if question.get("required") and value is not True else None
    text = str(value or "").strip()
    if question.get("required") and not text:
        return "This field is required."
    if (
        question.get("kind") == "select"
        and text
        and text not in [str(o) for o in question.get("options") or []]
    ):
        return "Choose one of the options."
    return None


def checked_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers to the type's questions only; raises :class:`BookingError` naming the first
    question answered wrongly."""
    kept = {}
    for question in questions:
        key = str(question.get("key") or "")
        if not key:
            continue
        problem = answer_problem(question, answers.get(key))
        if problem:
            raise BookingError(
                f"{question.get('label') or key}: {problem}", code="answers", field=f"answers.{key}"
            )
        kept[key] = answers.get(key)
    return kept


async def lock_for(session: AsyncSession, kind: AppointmentType, staff_ids: list[UUID]) -> None:
    """Take the booking locks: each staff member's row (in id order, so two bookings never wait on
    each other crosswise), then the resources of the kind. On SQLite the first write takes the
    database's write lock, which serialises the same way."""
    for staff_id in sorted(staff_ids):
        await session.execute(
            update(StaffMember).where(StaffMember.id == staff_id).values(bookings=StaffMember.bookings + 1)
        )
    if kind.resource_kind:
        await session.execute(
            update(Resource).where(Resource.kind == kind.resource_kind).values(bookings=Resource.bookings + 1)
        )


async def locked_board(
    session: AsyncSession, kind: AppointmentType, start: datetime, staff_id: UUID | None
) -> Board:
    """Lock, then read: the board every booking decision is made on."""
    candidates = [staff_id] if staff_id else [m.id for m in await bookable_staff(session, kind)]
    await lock_for(session, kind, candidates)
    length = timedelta(minutes=kind.duration_minutes)
    return await load_board(session, kind, start - length, start + 2 * length, staff_id=staff_id)


async def _join_or_open(
    session: AsyncSession,
    kind: AppointmentType,
    board: Board,
    start: datetime,
    now: datetime,
    staff_id: UUID | None,
) -> Appointment:
    """The appointment the new attendee joins: an open group session at that time, else a new one."""
    slots = board.slots(start, start + timedelta(microseconds=1), now)
    slot = next((s for s in slots if s.start == start), None)
    if slot is None:  # the engine said yes a moment ago; be safe rather than double-book
        raise BookingError("That time was just taken.", code="taken", conflict=True, field="start")
    chosen = staff_id or slot.staff[0]
    existing = await session.scalar(
        select(Appointment).where(
            Appointment.type_id == kind.id,
            Appointment.staff_id == chosen,
            Appointment.start_at == start,
            Appointment.status.in_(("scheduled", "confirmed")),
        )
    )
    if existing is not None:
        taken = await session.execute(
            update(Appointment)
            .where(Appointment.id == existing.id, Appointment.seats_taken < Appointment.capacity)
            .values(seats_taken=Appointment.seats_taken + 1, sequence=Appointment.sequence + 1)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            raise BookingError("That session is full.", code="full", conflict=True, field="start")
        await session.refresh(existing)
        return existing
    appointment = Appointment(
        type_id=kind.id,
        staff_id=chosen,
        resource_id=slot.resource,
        start_at=start,
        end_at=start + timedelta(minutes=kind.duration_minutes),
        status="scheduled" if kind.requires_confirmation else "confirmed",
        capacity=kind.max_attendees,
        seats_taken=1,
    )
    session.add(appointment)
    await session.flush()
    return appointment


async def book(
    session: AsyncSession,
    kind: AppointmentType,
    start: datetime,
    booker: Booker,
    *,
    now: datetime,
    staff_id: UUID | None = None,
) -> Attendee:
    """Book ``start`` (UTC) of ``kind`` with one staff member or anyone; flushed, not committed.
    Returns the attendee with the appointment, its type, staff and resource loaded. Raises
    :class:`BookingError` (the caller rolls back)."""
    if not kind.active:
        raise BookingError("This appointment type is not open for booking.", code="closed")
    answers = checked_answers(kind.questions or [], booker.answers)
    if await booking_block(session, booker.email, booker.customer_id) is not None:
        raise BookingError(
            "Online booking is not open to you. Please contact us to book.",
            code="blocked",
            field="email",
        )
    board = await locked_board(session, kind, start, staff_id)
    if not board.calendars:
        raise BookingError("Nobody takes this kind of appointment at the moment.", code="nobody")
    refusal = board.refusal(start, staff_id, now)
    if refusal is not None:
        raise BookingError.from_refusal(refusal)
    appointment = await _join_or_open(session, kind, board, start, now, staff_id)
    attendee_id = uuid7()
    attendee = Attendee(
        id=attendee_id,
        appointment_id=appointment.id,
        customer_id=booker.customer_id,
        name=booker.name,
        email=booker.email,
        phone=booker.phone,
        timezone=booker.timezone,
        answers=answers,
        status="confirmed",
        price=kind.price or 0,
        checkin_code=checkin_code(attendee_id),
    )
    session.add(attendee)
    await session.execute(
        update(StaffMember).where(StaffMember.id == appointment.staff_id).values(last_assigned_at=now)
    )
    await session.flush()
    loaded = await load_attendee(session, attendee_id)  # with the type, staff and resource its notices show
    assert loaded is not None
    return loaded
