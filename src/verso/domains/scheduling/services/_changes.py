"""Changing a booking after the fact: the type's policy (cancellation window and fee, reschedule
limit and window), cancelling, rescheduling, staff moves and proposals, status transitions and
check-in. Every change raises the appointment's SEQUENCE and tells the attendee with a new .ics."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.scheduling.models import Appointment, AppointmentType, Attendee, RescheduleRequest
from verso.domains.scheduling.services._blocks import block
from verso.domains.scheduling.services._booking import Booker, BookingError, book, locked_board
from verso.domains.scheduling.services._notices import notify
from verso.domains.scheduling.services._payments import canceller, carry_payment, settle_on_cancel
from verso.domains.scheduling.services._reading import load_attendee
from verso.domains.scheduling.services._waitlist import offer_freed
from verso.lib.audit import SYSTEM, Actor
from verso.lib.events import publish
from verso.lib.money import format_money

TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"confirmed", "cancelled", "no_show"}),
    "confirmed": frozenset({"in_progress", "completed", "cancelled", "no_show"}),
    "in_progress": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "no_show": frozenset(),
}
CHECKIN_GRACE = timedelta(hours=1)  # a code still works this long after the appointment ends


class PolicyError(Exception):
    """A change the policy or the state refuses, with a message fit for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class PolicyView:
    can_cancel: bool
    cancel_fee: int
    cancel_message: str
    can_reschedule: bool
    reschedule_message: str
    no_show_message: str = ""  # what not coming costs, when the type has a no-show penalty


def _money(amount: int) -> str:
    business = business_cache.current()
    return format_money(amount, business.currency, business.locale)


def policy_view(attendee: Attendee, *, now: datetime) -> PolicyView:
    """What the attendee may still do online, and what it costs, in words."""
    appointment, kind = attendee.appointment, attendee.appointment.type
    open_ = attendee.status == "confirmed" and appointment.status in ("scheduled", "confirmed")
    if not open_ or appointment.start_at <= now:
        closed = "This booking can no longer be changed online."
        return PolicyView(False, 0, closed, False, closed)
    late = now > appointment.start_at - timedelta(hours=kind.cancellation_hours)
    if not late:
        cancel = (True, 0, "You can cancel free of charge.")
    elif kind.cancellation_fee:
        cancel = (
            True,
            kind.cancellation_fee,
            f"Cancelling less than {kind.cancellation_hours} hours before costs a fee of "
            f"{_money(kind.cancellation_fee)}.",
        )
    else:
        cancel = (
            False,
            0,
            f"It is too late to cancel online: cancellations close {kind.cancellation_hours} "
            "hours before the appointment. Please call us.",
        )
    if attendee.reschedules >= kind.max_reschedules:
        reschedule = (
            False,
            f"This booking has been rescheduled the most times allowed ({kind.max_reschedules}).",
        )
    elif now > appointment.start_at - timedelta(hours=kind.reschedule_hours):
        reschedule = (
            False,
            f"It is too late to reschedule online: changes close {kind.reschedule_hours} "
            "hours before the appointment.",
        )
    else:
        left = kind.max_reschedules - attendee.reschedules
        reschedule = (True, f"You can reschedule {left} more time{'s' if left != 1 else ''}.")
    return PolicyView(cancel[0], cancel[1], cancel[2], reschedule[0], reschedule[1], no_show_message(kind))


def no_show_message(kind: AppointmentType) -> str:
    """The type's no-show penalty in words for the customer ("" when there is none)."""
    said = []
    if kind.no_show_penalty != "none" and kind.no_show_fee:
        said.append(f"a no-show fee of {_money(kind.no_show_fee)} is charged")
    if kind.no_show_penalty == "block":
        said.append("you will no longer be able to book online")
    return f"If you do not come and have not cancelled, {' and '.join(said)}." if said else ""


def policy_terms(kind: AppointmentType) -> list[str]:
    """The type's booking policy in sentences, shown before the customer books."""
    late = (
        f"later cancellations cost {_money(kind.cancellation_fee)}."
        if kind.cancellation_fee
        else "after that, please call us."
    )
    terms = [f"Cancel free of charge up to {kind.cancellation_hours} hours before; {late}"]
    if kind.max_reschedules:
        times = f"{kind.max_reschedules} time{'s' if kind.max_reschedules != 1 else ''}"
        terms.append(f"Reschedule online up to {times}, until {kind.reschedule_hours} hours before.")
    if no_show := no_show_message(kind):
        terms.append(no_show)
    return terms


def cancelled_message(fee: int) -> str:
    """What the customer reads after cancelling online, with the fee when one applies."""
    return "Your booking is cancelled." + (f" A cancellation fee of {_money(fee)} applies." if fee else "")


async def _release_seat(session: AsyncSession, appointment: Appointment, now: datetime) -> None:
    """One seat fewer; the appointment is cancelled when nobody is left; the waitlist hears of it."""
    await session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id)
        .values(seats_taken=Appointment.seats_taken - 1, sequence=Appointment.sequence + 1)
    )
    await session.refresh(appointment)
    if appointment.seats_taken <= 0:
        appointment.status = "cancelled"
    await session.flush()
    await offer_freed(session, appointment, now=now)


async def cancel_attendee(
    session: AsyncSession, attendee: Attendee, *, now: datetime, by_staff: bool, reason: str = ""
) -> int:
    """Cancel one person's booking; returns the fee that applies (0 when free)."""
    view = policy_view(attendee, now=now)
    if attendee.status != "confirmed":
        raise PolicyError("This booking is already cancelled.")
    if not by_staff and not view.can_cancel:
        raise PolicyError(view.cancel_message)
    attendee.status = "cancelled"
    appointment = attendee.appointment
    if reason:
        appointment.cancel_reason = reason[:300]
    fee = 0 if by_staff else view.cancel_fee
    await settle_on_cancel(session, attendee, fee=fee, actor=canceller(attendee, by_staff=by_staff))
    await _release_seat(session, appointment, now)
    await notify(session, attendee, "cancelled", now=now)
    publish(
        session, "appointment.cancelled", appointment_id=str(appointment.id), attendee_id=str(attendee.id)
    )
    return fee


async def cancel_appointment(
    session: AsyncSession, appointment: Appointment, *, now: datetime, reason: str
) -> None:
    """Staff cancel the whole appointment: every attendee is told."""
    if "cancelled" not in TRANSITIONS[appointment.status]:
        raise PolicyError(f"A {appointment.status.replace('_', ' ')} appointment cannot be cancelled.")
    appointment.status, appointment.cancel_reason = "cancelled", reason[:300]
    appointment.sequence += 1
    for attendee in appointment.attendees:
        if attendee.status == "confirmed":
            attendee.status = "cancelled"
            attendee.appointment = appointment
            await settle_on_cancel(session, attendee, fee=0, actor=canceller(attendee, by_staff=True))
            await notify(session, attendee, "cancelled", now=now, extra={"reason": reason})
    await session.flush()
    await offer_freed(session, appointment, now=now)
    publish(session, "appointment.cancelled", appointment_id=str(appointment.id))


async def set_status(
    session: AsyncSession, appointment: Appointment, status: str, *, now: datetime, actor: Actor = SYSTEM
) -> None:
    """Move along an allowed transition; cancelling goes through :func:`cancel_appointment`. A
    no-show applies the type's penalty to everyone who was expected."""
    allowed = TRANSITIONS.get(appointment.status, frozenset())
    if status not in allowed:
        names = ", ".join(sorted(allowed)) or "none"
        raise PolicyError(f"A {appointment.status.replace('_', ' ')} appointment can become: {names}.")
    if status == "cancelled":
        await cancel_appointment(session, appointment, now=now, reason="")
        return
    appointment.status = status
    if status == "no_show":
        for attendee in appointment.attendees:
            if attendee.status == "confirmed" and attendee.checked_in_at is None:
                attendee.status = "no_show"
                await no_show_penalty(session, appointment, attendee, actor)
    if status == "confirmed":
        appointment.sequence += 1
        for attendee in appointment.attendees:
            if attendee.status == "confirmed":
                attendee.appointment = appointment
                await notify(session, attendee, "booked", now=now)
    await session.flush()
    publish(session, f"appointment.{status}", appointment_id=str(appointment.id))


async def no_show_penalty(
    session: AsyncSession, appointment: Appointment, attendee: Attendee, actor: Actor
) -> str:
    """Apply the type's no-show penalty to ``attendee`` (the larger fee, when one was already due;
    a block, for "block"); what was done, in words for staff."""
    kind = appointment.type
    said = []
    if kind.no_show_penalty != "none" and kind.no_show_fee:
        attendee.fee_due = max(attendee.fee_due, kind.no_show_fee)
        business = business_cache.current()
        said.append(
            f"A no-show fee of {format_money(attendee.fee_due, business.currency, business.locale)} is due."
        )
    if kind.no_show_penalty == "block":
        local = appointment.start_at.astimezone(ZoneInfo(business_cache.current().timezone))
        reason = f"No-show: {kind.name} on {local:%d %B %Y, %H:%M}"
        await block(
            session,
            attendee.email,
            reason=reason,
            actor=actor,
            customer_id=attendee.customer_id,
            attendee_id=attendee.id,
        )
        said.append(f"{attendee.name} can no longer book online.")
    return " ".join(said)


async def _move(
    session: AsyncSession, appointment: Appointment, start: datetime, now: datetime, staff_id: UUID | None
) -> None:
    """Check the new time with this appointment out of the way, then move it."""
    kind = appointment.type
    target = staff_id or appointment.staff_id
    board = await locked_board(session, kind, start, target)
    others = tuple(
        b for b in board.bookings if not (b.staff == appointment.staff_id and b.start == appointment.start_at)
    )
    board = replace(board, bookings=others)
    refusal = board.refusal(start, target, now)
    if refusal is not None:
        raise BookingError.from_refusal(refusal)
    appointment.start_at = start
    appointment.end_at = start + timedelta(minutes=kind.duration_minutes)
    appointment.staff_id = target
    appointment.sequence += 1
    await session.flush()


async def move_appointment(
    session: AsyncSession,
    appointment: Appointment,
    start: datetime,
    *,
    now: datetime,
    staff_id: UUID | None = None,
) -> None:
    """Staff move an appointment (and everyone in it) to another time or person."""
    if appointment.status not in ("scheduled", "confirmed"):
        raise PolicyError(f"A {appointment.status.replace('_', ' ')} appointment cannot be moved.")
    old_start = appointment.start_at
    await _move(session, appointment, start, now, staff_id)
    await session.refresh(appointment, ["staff"])
    for attendee in appointment.attendees:
        if attendee.status == "confirmed":
            attendee.appointment = appointment
            await notify(session, attendee, "updated", now=now)
    await offer_freed(session, appointment, now=now, freed_start=old_start)
    publish(session, "appointment.rescheduled", appointment_id=str(appointment.id))


async def reschedule_attendee(
    session: AsyncSession,
    attendee: Attendee,
    start: datetime,
    *,
    now: datetime,
    by_staff: bool,
    staff_id: UUID | None = None,
) -> Attendee:
    """Move one person's booking, within the policy unless staff do it. A one-to-one appointment
    moves (same UID, SEQUENCE raised); a seat in a group session is given up for one in another."""
    view = policy_view(attendee, now=now)
    if not by_staff and not view.can_reschedule:
        raise PolicyError(view.reschedule_message)
    appointment = attendee.appointment
    if appointment.capacity == 1:
        old_start = appointment.start_at
        await _move(session, appointment, start, now, staff_id)
        attendee.reschedules += 1
        fresh = await load_attendee(session, attendee.id)
        assert fresh is not None
        await notify(session, fresh, "updated", now=now)
        await offer_freed(session, fresh.appointment, now=now, freed_start=old_start)
        return fresh
    moved = await book(
        session,
        appointment.type,
        start,
        Booker(
            attendee.name,
            attendee.email,
            attendee.phone,
            attendee.timezone,
            attendee.answers,
            attendee.customer_id,
        ),
        now=now,
        staff_id=staff_id,
    )
    moved.reschedules = attendee.reschedules + 1
    carry_payment(attendee, moved)
    attendee.status = "cancelled"
    await _release_seat(session, appointment, now)
    fresh = await load_attendee(session, moved.id)
    assert fresh is not None
    await notify(session, fresh, "booked", now=now)
    return fresh


async def propose_time(
    session: AsyncSession,
    appointment: Appointment,
    start: datetime,
    *,
    reason: str,
    actor_id: UUID | None,
    now: datetime,
) -> RescheduleRequest:
    """Staff suggest a new time; each attendee is emailed a link to accept or decline."""
    if appointment.status not in ("scheduled", "confirmed"):
        raise PolicyError("Only an upcoming appointment can be moved.")
    if start <= now:
        raise PolicyError("The proposed time has passed.")
    proposal = RescheduleRequest(
        appointment_id=appointment.id, proposed_start=start, reason=reason[:300], requested_by_id=actor_id
    )
    session.add(proposal)
    await session.flush()
    for attendee in appointment.attendees:
        if attendee.status == "confirmed":
            attendee.appointment = appointment
            await notify(
                session,
                attendee,
                "proposal",
                now=now,
                extra={"proposal": proposal, "proposed_when": _in_zone(start, attendee.timezone)},
            )
    return proposal


def _in_zone(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y, %H:%M") + f" ({zone})"


async def pending_proposal(session: AsyncSession, appointment_id: UUID) -> RescheduleRequest | None:
    return await session.scalar(
        select(RescheduleRequest)
        .where(RescheduleRequest.appointment_id == appointment_id, RescheduleRequest.status == "pending")
        .order_by(RescheduleRequest.created_at.desc())
    )


async def answer_proposal(
    session: AsyncSession, proposal: RescheduleRequest, *, accept: bool, now: datetime, note: str = ""
) -> None:
    """The customer accepts (the appointment moves, if the time is still free) or declines."""
    if proposal.status != "pending":
        raise PolicyError("This proposal has already been answered.")
    appointment = await session.scalar(select(Appointment).where(Appointment.id == proposal.appointment_id))
    if appointment is None:
        raise PolicyError("This appointment no longer exists.")
    if accept:
        from verso.domains.scheduling.services._reading import load_appointment

        loaded = await load_appointment(session, appointment.id)
        assert loaded is not None
        await move_appointment(session, loaded, proposal.proposed_start, now=now)
    proposal.status = "approved" if accept else "rejected"
    proposal.admin_notes = note[:1000]
    proposal.decided_at = now
    await session.flush()


async def check_in(session: AsyncSession, code: str, *, method: str, now: datetime) -> Attendee:
    """Record an arrival by the code under the QR (or typed). Refuses unknown, used, cancelled,
    wrong-day and expired codes with a message for the person at the desk."""
    cleaned = "".join(code.split()).upper()
    found = (
        await session.scalar(select(Attendee.id).where(Attendee.checkin_code == cleaned)) if cleaned else None
    )
    attendee = await load_attendee(session, found) if found else None
    if attendee is None:
        raise PolicyError("Unknown code: check the letters and try again.")
    appointment = attendee.appointment
    zone = ZoneInfo(business_cache.current().timezone)
    if attendee.checked_in_at is not None:
        raise PolicyError(f"Already checked in at {attendee.checked_in_at.astimezone(zone):%H:%M}.")
    if attendee.status != "confirmed" or appointment.status == "cancelled":
        raise PolicyError("This booking was cancelled.")
    day = appointment.start_at.astimezone(zone).date()
    if now > appointment.end_at + CHECKIN_GRACE:
        raise PolicyError(f"This code has expired: the appointment was on {day:%A %d %B %Y}.")
    if now.astimezone(zone).date() != day:
        raise PolicyError(f"This code is for {day:%A %d %B %Y}, not today.")
    attendee.checked_in_at, attendee.checkin_method = now, method
    if appointment.status in ("scheduled", "confirmed"):
        appointment.status = "in_progress"
    await session.flush()
    publish(
        session, "appointment.checked_in", appointment_id=str(appointment.id), attendee_id=str(attendee.id)
    )
    return attendee
