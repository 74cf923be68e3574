"""Demo scheduling: two staff members with weekday hours, three appointment types (one paid, one
group class that needs the studio room), the room, and a week of bookings. Idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.models import User
from verso.domains.scheduling.models import AppointmentType, Resource, StaffMember, WorkingHours
from verso.domains.scheduling.services import Booker, BookingError, book, load_board
from verso.lib import clock

ZONE = "Europe/Paris"
STAFF = [("staff@demo.verso", "Stan Staff"), ("admin@demo.verso", "Ada Admin")]
CUSTOMERS = [
    ("chloe@example.com", "Chloé Martin"),
    ("ben@example.com", "Ben Okafor"),
    ("mia@example.com", "Mia Schmidt"),
]
TYPES = [
    {
        "name": "Studio visit",
        "slug": "studio-visit",
        "description": "A half-hour tour of the workshop and the kilns, with time for questions.",
        "duration_minutes": 30,
        "color": "#2563eb",
        "location": "12 Rue des Potiers, 69002 Lyon",
    },
    {
        "name": "Glaze consultation",
        "slug": "glaze-consultation",
        "description": "Bring your pieces: we choose glazes and firing together.",
        "duration_minutes": 45,
        "buffer_after_minutes": 15,
        "price": 2500,
        "cancellation_fee": 1000,
        "color": "#b45309",
        "location": "12 Rue des Potiers, 69002 Lyon",
        "questions": [
            {"key": "pieces", "label": "How many pieces will you bring?", "kind": "text", "required": True}
        ],
    },
    {
        "name": "Wheel-throwing class",
        "slug": "wheel-throwing-class",
        "description": "Two hours at the wheel in a small group. Aprons and clay provided.",
        "duration_minutes": 120,
        "step_minutes": 120,
        "max_attendees": 6,
        "resource_kind": "room",
        "color": "#059669",
        "location": "Studio room, 12 Rue des Potiers, 69002 Lyon",
    },
]


async def load(session: AsyncSession, *, admin_password: str) -> None:
    if await session.scalar(select(StaffMember.id).limit(1)) is not None:
        return
    members = []
    for email, name in STAFF:
        user = await session.scalar(select(User).where(User.email == email))
        if user is None:
            return
        member = StaffMember(user_id=user.id, display_name=name, timezone=ZONE)
        member.hours = [
            WorkingHours(weekday=day, start_time=start, end_time=end)
            for day in range(5)
            for start, end in ((time(9), time(12, 30)), (time(13, 30), time(18)))
        ]
        members.append(member)
    session.add_all(members)
    session.add(
        Resource(name="Studio room", kind="room", capacity=8, amenities=["wheels", "kiln"], hourly_rate=3000)
    )
    kinds = []
    for values in TYPES:
        kind = AppointmentType(min_notice_hours=2, booking_window_days=60, reminder_hours=[24], **values)
        kind.staff = members
        kinds.append(kind)
    session.add_all(kinds)
    await session.flush()
    await _bookings(session, kinds)


async def _bookings(session: AsyncSession, kinds: list[AppointmentType]) -> None:
    """A week of bookings from today: the first few free slots of each type each weekday."""
    now = clock.utcnow()
    customers = {
        email: await session.scalar(select(User.id).where(User.email == email)) for email, _ in CUSTOMERS
    }
    today = now.astimezone(ZoneInfo(ZONE)).date()
    turn = 0
    for offset in range(7):
        day = today + timedelta(days=offset)
        start = datetime.combine(day, time(0), ZoneInfo(ZONE)).astimezone(UTC)
        for kind in kinds:
            board = await load_board(session, kind, start, start + timedelta(days=1))
            for slot in board.slots(start, start + timedelta(days=1), now)[::3][:2]:
                email, name = CUSTOMERS[turn % len(CUSTOMERS)]
                turn += 1
                booker = Booker(
                    name=name,
                    email=email,
                    timezone=ZONE,
                    answers={"pieces": "3"} if kind.questions else {},
                    customer_id=customers[email],
                )
                try:
                    await book(session, kind, slot.start, booker, now=now)
                except BookingError:
                    continue
