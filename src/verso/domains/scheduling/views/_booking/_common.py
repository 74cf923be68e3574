"""What the booking pages share: the type named in the URL, the customer's time zone, one day of free
times shown in that zone (with the next days that have some), and the booking a signed link opens.

Slots come from the engine in UTC; here they become wall-clock labels in the zone the customer chose,
and dates are that zone's dates, so "Tuesday" is the customer's Tuesday wherever the staff are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request
from litestar.exceptions import NotFoundException
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.scheduling.models import (
    Appointment,
    AppointmentType,
    Attendee,
    StaffMember,
    schedule_version,
)
from verso.domains.scheduling.services import (
    bookable_staff,
    load_attendee,
    local_time,
    read_manage_token,
    shared_board,
)
from verso.domains.scheduling.slots import utc_range
from verso.lib import clock
from verso.lib.pagecache import PageCache

PAGES = {"setup_gate": True}  # the router adds the scheduling module tag
# The type list and a type's day of times, for anonymous visitors: rendered once per change of the
# set-up or the bookings (any process), and at most this old for what changes with the clock alone
# (a time passing its minimum notice; booking it is checked again anyway).
booking_cache = PageCache(version=schedule_version.current, vary=business_cache.refresh_if_stale, ttl=30)
LOOK_AHEAD_DAYS = 14  # how far a day without times looks for the next ones
SUGGESTED_DAYS = 3


async def active_types(session: AsyncSession) -> list[AppointmentType]:
    rows = await session.scalars(
        select(AppointmentType).where(AppointmentType.active.is_(True)).order_by(AppointmentType.name)
    )
    return list(rows)


async def active_type(session: AsyncSession, slug: str) -> AppointmentType:
    """The bookable type at ``/book/{slug}``; an unknown or switched-off one is a 404."""
    kind = await session.scalar(
        select(AppointmentType).where(AppointmentType.slug == slug, AppointmentType.active.is_(True))
    )
    if kind is None:
        raise NotFoundException("No such appointment type.")
    return kind


async def chosen_staff(
    session: AsyncSession, kind: AppointmentType, raw: Any
) -> tuple[list[StaffMember], StaffMember | None]:
    """Who takes ``kind``, and the one asked for by id (None: anyone, also for an id not among them)."""
    staff = await bookable_staff(session, kind)
    wanted = parse_uuid(raw)
    return staff, next((m for m in staff if m.id == wanted), None)


async def booking_for(session: AsyncSession, token: str) -> Attendee:
    """The booking a manage link opens (appointment, type, staff loaded); a forged link is a 404."""
    attendee_id = read_manage_token(token)
    attendee = await load_attendee(session, attendee_id) if attendee_id else None
    if attendee is None:
        raise NotFoundException("This booking link is not valid.")
    return attendee


def business_zone() -> str:
    return business_cache.current().timezone


@cache
def _zone_menu() -> str:
    return "".join(f'<option value="{escape(name)}">{escape(name)}</option>' for name in clock.zone_choices())


def zone_options(zone: str) -> Markup:
    """The ``<option>``s of the time-zone select, every zone, with ``zone`` selected. The ~600 are
    escaped and joined once per process instead of in the template on every full booking page."""
    plain = f'<option value="{escape(zone)}">'
    return Markup(_zone_menu().replace(plain, plain[:-1] + " selected>", 1))  # noqa: S704 (escaped above)


def customer_zone(request: Request[Any, Any, Any], raw: Any = None) -> tuple[str, bool]:
    """The zone times are shown in: the one asked for, else the signed-in person's, else the business
    zone. The flag says it was only a default, which the browser's own zone may replace."""
    asked = str(raw if raw is not None else request.query_params.get("tz") or "")
    if clock.is_valid_zone(asked):
        return asked, False
    user = request.scope.get("user")
    if user is not None and user.timezone and clock.is_valid_zone(user.timezone):
        return user.timezone, True
    return business_zone(), True


def parse_start(raw: Any) -> datetime | None:
    """A start time from a link or form (UTC ISO 8601); naive or malformed values are refused."""
    try:
        moment = datetime.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.utcoffset() is not None else None


def start_param(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


def parse_uuid(raw: Any) -> UUID | None:
    try:
        return UUID(str(raw)) if raw else None
    except ValueError:
        return None


def day_label(day: date) -> str:
    from babel.dates import format_date  # babel loads on first use, not at start-up

    return format_date(day, "EEEE d MMMM y", locale=business_cache.current().locale or "en")


def moments(start: datetime, zone: str) -> dict[str, str]:
    """A time in the customer's zone and, when that differs, in the business zone."""
    business = business_zone()
    return {
        "when": local_time(start, zone),
        "business_when": local_time(start, business) if business != zone else "",
    }


@dataclass(frozen=True, slots=True)
class TimeChoice:
    start: datetime  # UTC
    label: str  # wall clock in the customer's zone
    param: str  # the start as links carry it
    seats_left: int


@dataclass(frozen=True, slots=True)
class DayView:
    """One day of free times in the customer's zone, and (when it has none) the next days that do."""

    day: date
    label: str
    today: date
    last: date  # the end of the booking window
    times: list[TimeChoice]
    ahead: list[tuple[date, str, int]]  # (day, label, number of free times)

    @property
    def previous(self) -> date | None:
        return self.day - timedelta(days=1) if self.day > self.today else None

    @property
    def next(self) -> date | None:
        return self.day + timedelta(days=1) if self.day < self.last else None


async def _free_times(
    session: AsyncSession,
    kind: AppointmentType,
    staff: Sequence[StaffMember] | None,
    staff_id: UUID | None,
    first: date,
    last: date,
    zone: ZoneInfo,
    now: datetime,
    moving: Attendee | None,
) -> dict[date, list[TimeChoice]]:
    """Free times from ``first`` to ``last`` (the customer's dates), by date."""
    start, end = utc_range(first, last, zone)
    board = await shared_board(session, kind, start, end, staff_id=staff_id, staff=staff)
    if moving is not None and moving.appointment.capacity == 1:
        # A one-to-one booking being moved does not stand in its own way.
        own: Appointment = moving.appointment
        board = replace(
            board,
            bookings=tuple(b for b in board.bookings if (b.staff, b.start) != (own.staff_id, own.start_at)),
        )
    days: dict[date, list[TimeChoice]] = defaultdict(list)
    for slot in board.slots(start, end, now):
        local = slot.start.astimezone(zone)
        days[local.date()].append(
            TimeChoice(slot.start, f"{local:%H:%M}", start_param(slot.start), slot.seats_left)
        )
    return days


async def day_view(
    session: AsyncSession,
    kind: AppointmentType,
    *,
    staff_id: UUID | None,
    day: date | None,
    zone: str,
    now: datetime,
    moving: Attendee | None = None,
    staff: Sequence[StaffMember] | None = None,
) -> DayView:
    """The day asked for (default: the first with free times, else today) in ``zone``, kept within
    the booking window; a day with no times lists the next few that have some, looking up to two
    weeks ahead. ``staff`` is the type's bookable staff when the caller has read them already."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    last = today + timedelta(days=kind.booking_window_days)
    horizon = timedelta(days=LOOK_AHEAD_DAYS)
    if day is None:
        found = await _free_times(session, kind, staff, staff_id, today, today + horizon, tz, now, moving)
        day = min(found, default=today)
        later: dict[date, list[TimeChoice]] = {}
    else:
        day = min(max(day, today), last)
        found = await _free_times(session, kind, staff, staff_id, day, day, tz, now, moving)
        later = {}
        if not found.get(day):
            first = day + timedelta(days=1)
            later = await _free_times(session, kind, staff, staff_id, first, day + horizon, tz, now, moving)
    ahead = [(d, day_label(d), len(later[d])) for d in sorted(later)[:SUGGESTED_DAYS]]
    return DayView(day, day_label(day), today, last, found.get(day, []), ahead)
