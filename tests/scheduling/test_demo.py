"""The demo scheduling that ``verso demo`` loads: two staff, three types, a room, a week of bookings."""

from __future__ import annotations

from sqlalchemy import func, select

from verso.domains.scheduling.models import Appointment, AppointmentType, Attendee, Resource, StaffMember


async def _count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_demo_scheduling_is_complete_and_idempotent(db_session) -> None:
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    first = {
        m.__name__: await _count(db_session, m) for m in (StaffMember, AppointmentType, Resource, Appointment)
    }
    await load_demo_data("demo password for the tests")
    again = {
        m.__name__: await _count(db_session, m) for m in (StaffMember, AppointmentType, Resource, Appointment)
    }
    assert first == again
    assert (first["StaffMember"], first["AppointmentType"], first["Resource"]) == (2, 3, 1)
    kinds = {k.slug: k for k in await db_session.scalars(select(AppointmentType))}
    assert kinds["glaze-consultation"].price == 2500
    assert kinds["wheel-throwing-class"].max_attendees == 6
    assert kinds["wheel-throwing-class"].resource_kind == "room"
    # A week from "now" holds at least three weekdays, each with bookings of every type.
    assert first["Appointment"] >= 3 * 3
    assert await _count(db_session, Attendee) >= first["Appointment"]
