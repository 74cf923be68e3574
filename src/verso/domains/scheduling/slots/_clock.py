"""Wall-clock opening hours turned into UTC ranges, one local date at a time.

Local times that do not exist or happen twice (daylight-saving changes) are read with ``fold=0``,
the RFC 5545 rule: a time skipped by a spring-forward is read with the offset in force before the
change (02:30 on a night that jumps from 02:00 to 03:00 means 03:30), and a time that happens twice
on a fall-back night means its first occurrence. Durations and steps are then counted in real
(UTC) time, so a 60-minute slot is 60 minutes long even when the wall clock jumps inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from verso.domains.scheduling.slots._model import StaffCalendar

Span = tuple[datetime, datetime]
DAY = timedelta(days=1)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; naive datetimes are refused because their zone would be a guess."""
    if moment.tzinfo is UTC:  # what the database hands back: the engine converts thousands per search
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone")
    return moment.astimezone(UTC)


def wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant the clocks in ``zone`` read ``at`` on ``day`` (see the module notes for DST)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def local_days(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    """Every local date from the one ``start`` falls on to the one ``end`` falls on, both included."""
    day, last = local_day(start, zone), local_day(end, zone)
    while day <= last:
        yield day
        day += DAY


def utc_range(first: date, last: date, zone: ZoneInfo) -> Span:
    """The UTC span of the local dates ``first`` to ``last`` (inclusive) in ``zone``: how a customer's
    date range in their own zone becomes the ``start``/``end`` that ``free_slots`` searches."""
    return wall_to_utc(first, time(0), zone), wall_to_utc(last + DAY, time(0), zone)


def _span(day: date, start: time, end: time, zone: ZoneInfo) -> Span:
    """One wall-clock range in UTC; an ``end`` of 00:00 is the midnight that ends ``day``."""
    end_day = day + DAY if end == time(0) else day
    return wall_to_utc(day, start, zone), wall_to_utc(end_day, end, zone)


@lru_cache(maxsize=4096)
def _spans(day: date, walls: tuple[tuple[time, time], ...], zone: ZoneInfo) -> tuple[Span, ...]:
    """The wall-clock ranges of ``day`` in UTC, earliest first, less any that vanish in a
    spring-forward gap. Remembered: a team mostly shares its hours and zone, and each search (and
    each booking page) asks again for the same days."""
    spans = (_span(day, start, end, zone) for start, end in walls)
    return tuple(sorted(span for span in spans if span[0] < span[1]))


def open_ranges(calendar: StaffCalendar, day: date, holidays: frozenset[date]) -> tuple[Span, ...]:
    """The UTC ranges a staff member works on local date ``day``, earliest first.

    A business holiday or a blocked override closes the day; otherwise any custom-hours overrides for
    the date replace the weekly hours. Ranges that vanish in a spring-forward gap are dropped.
    """
    if day in holidays:
        return ()
    overrides = [o for o in calendar.overrides if o.day == day]
    if any(o.blocked for o in overrides):
        return ()
    if overrides:
        walls = tuple((o.start, o.end) for o in overrides)
    else:
        walls = tuple((h.start, h.end) for h in calendar.hours if h.weekday == day.weekday())
    return _spans(day, walls, calendar.zone)  # type: ignore[arg-type]
