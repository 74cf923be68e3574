"""Scheduling test data: a staff member with weekday hours, and appointment types."""

from __future__ import annotations

from datetime import time
from typing import Any

from tests.factories import make_user
from verso.domains.scheduling.models import AppointmentType, StaffMember, WorkingHours


async def make_staff(
    session: Any,
    email: str = "stylist@example.com",
    name: str = "Sam Stylist",
    timezone: str = "Europe/Paris",
    hours: tuple[tuple[int, time, time], ...] = tuple((d, time(9), time(17)) for d in range(5)),
) -> StaffMember:
    user = await make_user(email, ["employee"], first_name=name.split()[0], last_name=name.split()[-1])
    member = StaffMember(user_id=user.id, display_name=name, timezone=timezone)
    member.hours = [WorkingHours(weekday=d, start_time=s, end_time=e) for d, s, e in hours]
    session.add(member)
    await session.commit()
    return member


async def make_type(session: Any, staff: list[StaffMember], **fields: Any) -> AppointmentType:
    values: dict[str, Any] = {
        "name": "Haircut",
        "slug": "haircut",
        "duration_minutes": 30,
        "min_notice_hours": 0,
        "booking_window_days": 60,
        "reminder_hours": [24],
        "questions": [],
        **fields,
    }
    kind = AppointmentType(**values)
    kind.staff = staff
    session.add(kind)
    await session.commit()
    return kind
