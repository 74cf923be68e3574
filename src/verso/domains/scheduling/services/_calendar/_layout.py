"""The calendar's layout as pure functions: reading its query string, the days a day, week or month
view shows (weeks start on Monday, month grids are padded to whole weeks), stepping between periods,
where local days begin in UTC, and laying appointments on hour rows. No database, no clock: callers
pass ``today`` and the business zone."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

VIEWS = ("day", "week", "month")
DEFAULT_VIEW = "week"
DAY_HOURS = (8, 19)  # the hour rows always shown (08:00 to 19:59); earlier or later bookings add rows


def _uuid(raw: str | None) -> UUID | None:
    try:
        return UUID(str(raw or "").strip())
    except ValueError:
        return None


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class CalendarQuery:
    """What the calendar shows: a view around one day, optionally one staff member or resource."""

    view: str
    day: date
    staff_id: UUID | None = None
    resource_id: UUID | None = None

    def params(self, **changes: object) -> str:
        """The query string for this query with ``changes`` (view, day, staff_id, resource_id)."""
        query = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            "view": query.view,
            "date": query.day.isoformat(),
            "staff": str(query.staff_id or ""),
            "resource": str(query.resource_id or ""),
        }
        return urlencode({key: value for key, value in pairs.items() if value})


def calendar_query(params: Mapping[str, str], *, today: date) -> CalendarQuery:
    """Read the calendar's query string leniently: anything unreadable falls back to a default, so a
    mistyped bookmark still opens the calendar."""
    view = params.get("view", "")
    return CalendarQuery(
        view=view if view in VIEWS else DEFAULT_VIEW,
        day=_day(params.get("date")) or today,
        staff_id=_uuid(params.get("staff")),
        resource_id=_uuid(params.get("resource")),
    )


def week_of(day: date) -> list[date]:
    """The Monday-to-Sunday week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=n) for n in range(7)]


def month_grid(day: date) -> list[list[date]]:
    """The weeks (Monday first) covering ``day``'s month, padded with the neighbouring months' days
    so every row has seven."""
    first = day.replace(day=1)
    last = _add_months(first, 1) - timedelta(days=1)
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shown_days(view: str, day: date) -> tuple[date, date]:
    """The first and last local day a view shows (the month view includes its padding)."""
    if view == "day":
        return day, day
    if view == "week":
        week = week_of(day)
        return week[0], week[-1]
    weeks = month_grid(day)
    return weeks[0][0], weeks[-1][-1]


def shift(view: str, day: date, steps: int) -> date:
    """The day ``steps`` periods away: days, weeks, or (first of) months."""
    if view == "day":
        return day + timedelta(days=steps)
    if view == "week":
        return day + timedelta(weeks=steps)
    return _add_months(day.replace(day=1), steps)


def period_title(view: str, day: date) -> str:
    """ "Tuesday 1 December 2026", "30 Nov to 6 Dec 2026" (with an en dash), "December 2026"."""
    if view == "day":
        return f"{day:%A} {day.day} {day:%B %Y}"
    if view == "month":
        return f"{day:%B %Y}"
    first, last = week_of(day)[0], week_of(day)[-1]
    start = f"{first.day} {first:%b}" + (f" {first.year}" if first.year != last.year else "")
    return f"{start} \N{EN DASH} {last.day} {last:%b %Y}"


def utc_moment(day: date, at: time, zone: str) -> datetime:
    """A wall-clock time typed in ``zone`` (the business zone) as the UTC instant it names."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """From local midnight starting ``first`` to local midnight ending ``last``, in UTC."""
    start = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """One appointment as a calendar cell shows it; ``start`` and ``end`` are in the business zone."""

    id: UUID
    start: datetime
    end: datetime
    type_name: str
    color: str
    staff_id: UUID
    staff_name: str
    resource_name: str
    status: str
    label: str  # the attendees' names, or "3/8 booked" for a group session


def group_by_day(items: Iterable[CalendarItem]) -> dict[date, list[CalendarItem]]:
    """Items by the local day they start on, each day in start order."""
    days: dict[date, list[CalendarItem]] = {}
    for item in sorted(items, key=lambda i: (i.start, i.staff_name)):
        days.setdefault(item.start.date(), []).append(item)
    return days


@dataclass(frozen=True, slots=True)
class GridColumn:
    key: Hashable  # a date (week view) or a staff member's id (day view)
    label: str


@dataclass(frozen=True, slots=True)
class TimeGrid:
    """Hour rows by columns; each cell lists the items starting in that hour."""

    columns: tuple[GridColumn, ...]
    hours: tuple[int, ...]
    cells: Mapping[tuple[Hashable, int], tuple[CalendarItem, ...]] = field(default_factory=dict)

    def at(self, key: Hashable, hour: int) -> tuple[CalendarItem, ...]:
        return self.cells.get((key, hour), ())


def time_grid(
    items: Sequence[CalendarItem],
    columns: Sequence[GridColumn],
    key: str,
    *,
    hours: tuple[int, int] = DAY_HOURS,
) -> TimeGrid:
    """Lay ``items`` on hour rows under ``columns``; ``key`` says what matches an item to a column:
    "day" (its local start date) or "staff". The rows are ``hours`` widened to every item's hour."""
    wanted = {column.key for column in columns}
    cells: dict[tuple[Hashable, int], list[CalendarItem]] = {}
    first, last = hours
    for item in sorted(items, key=lambda i: (i.start, i.staff_name)):
        column = item.start.date() if key == "day" else item.staff_id
        if column not in wanted:
            continue
        cells.setdefault((column, item.start.hour), []).append(item)
        first, last = min(first, item.start.hour), max(last, item.start.hour)
    return TimeGrid(
        columns=tuple(columns),
        hours=tuple(range(first, last + 1)),
        cells={place: tuple(found) for place, found in cells.items()},
    )


def day_column(day: date) -> GridColumn:
    return GridColumn(day, f"{day:%a} {day.day} {day:%b}")
