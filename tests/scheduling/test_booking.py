"""Booking rules through the service: the engine's refusals, group seats, and the race for the
last seat on whichever engine the suite runs on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.scheduling.helpers import make_staff, make_type
from verso.domains.scheduling.models import Appointment, Attendee, Resource, StaffMember
from verso.domains.scheduling.services._booking import Booker, BookingError, book

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # a Tuesday, 08:00 in Paris
TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def booker(n: int = 1) -> Booker:
    return Booker(name=f"Client {n}", email=f"client{n}@example.com", timezone="Europe/Paris")


async def test_a_booking_holds_the_time_and_the_next_one_is_refused(db_session) -> None:
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff])
    staff_id = staff.id
    attendee = await book(db_session, kind, TEN, booker(), now=NOW)
    await db_session.commit()
    assert attendee.appointment.staff_id == staff_id
    assert attendee.appointment.status == "confirmed"
    assert len(attendee.checkin_code) == 10
    with pytest.raises(BookingError) as refused:
        await book(db_session, kind, TEN, booker(2), now=NOW)
    assert (refused.value.code, refused.value.conflict) == ("taken", True)
    await db_session.rollback()
    assigned = await db_session.scalar(select(StaffMember.last_assigned_at).where(StaffMember.id == staff_id))
    assert assigned == NOW


@pytest.mark.parametrize(
    ("start", "code", "conflict"),
    [
        (datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "in_past", False),
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), "outside_hours", False),  # 18:00 Paris
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "closed_day", False),  # a Saturday
        (datetime(2027, 3, 1, 9, 0, tzinfo=UTC), "window", False),
    ],
)
async def test_refusals_name_the_problem(db_session, start, code, conflict) -> None:
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff])
    with pytest.raises(BookingError) as refused:
        await book(db_session, kind, start, booker(), now=NOW)
    assert (refused.value.code, refused.value.conflict) == (code, conflict)
    assert refused.value.message


async def test_group_session_fills_then_refuses(db_session) -> None:
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff], slug="yoga", name="Yoga", max_attendees=2)
    first = await book(db_session, kind, TEN, booker(1), now=NOW)
    second = await book(db_session, kind, TEN, booker(2), now=NOW)
    await db_session.commit()
    assert first.appointment_id == second.appointment_id
    appointment = await db_session.get(Appointment, first.appointment_id)
    assert appointment.seats_taken == 2
    with pytest.raises(BookingError) as refused:
        await book(db_session, kind, TEN, booker(3), now=NOW)
    assert refused.value.conflict is True


async def test_concurrent_bookings_of_the_last_seat_yield_one(db_session, session_maker) -> None:
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff])
    sessions = [session_maker() for _ in range(12)]

    async def attempt(session, n: int) -> str:
        try:
            await book(session, kind, TEN, booker(n), now=NOW)
            await session.commit()
        except BookingError as error:
            await session.rollback()
            return error.code
        return "booked"

    try:
        outcomes = await asyncio.gather(*(attempt(s, n) for n, s in enumerate(sessions)))
    finally:
        for session in sessions:
            await session.close()
    assert outcomes.count("booked") == 1
    assert set(outcomes) == {"booked", "taken"}
    assert await db_session.scalar(select(func.count()).select_from(Attendee)) == 1


async def test_a_session_needs_a_room_that_seats_everyone(db_session) -> None:
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff], max_attendees=6, resource_kind="room")
    db_session.add(Resource(name="Small room", kind="room", capacity=4))
    await db_session.commit()
    with pytest.raises(BookingError):
        await book(db_session, kind, TEN, booker(), now=NOW)
    await db_session.rollback()
    await db_session.refresh(kind)
    big = Resource(name="Hall", kind="room", capacity=6)
    db_session.add(big)
    await db_session.commit()
    attendee = await book(db_session, kind, TEN, booker(), now=NOW)
    assert attendee.appointment.resource_id == big.id
    projector = await make_type(db_session, [staff], slug="talk", max_attendees=20, resource_kind="equipment")
    db_session.add(Resource(name="Projector", kind="equipment"))  # equipment has no seats to count
    await db_session.commit()
    assert (
        await book(db_session, projector, TEN.replace(hour=13), booker(2), now=NOW)
    ).appointment.resource_id


async def test_the_shared_board_is_read_again_after_any_change(db_session, session_maker) -> None:
    """What the booking pages show is kept per scheduling version: reused while nothing changed,
    read again once another session (another process, say) commits a booking."""
    from datetime import timedelta

    from verso.domains.scheduling.models import AppointmentType
    from verso.domains.scheduling.services import shared_board

    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff])
    day = (TEN.replace(hour=0), TEN.replace(hour=0) + timedelta(days=1))
    first = await shared_board(db_session, kind, *day)
    assert await shared_board(db_session, kind, *day) is first and first.bookings == ()
    await db_session.commit()
    async with session_maker() as other:
        await book(other, await other.get(AppointmentType, kind.id), TEN, booker(), now=NOW)
        await other.commit()
    fresh = await shared_board(db_session, kind, *day)
    assert fresh is not first and len(fresh.bookings) == 1
