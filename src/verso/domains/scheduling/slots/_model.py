"""The shapes the slot engine takes and returns: an appointment type's rules, staff calendars, the
bookings and reservations already made, and the slots left.

Every instant is a timezone-aware datetime (the engine converts to UTC on the way in and hands UTC
back); weekly hours and day overrides are wall-clock times in the staff member's own zone. Keys for
staff, resources and types are whatever hashable the caller uses (the app passes UUIDs).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Policy = Literal["round_robin", "least_busy"]
ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class AppointmentRule:
    """What an appointment type asks of a slot. ``step`` is how far apart offered start times are;
    ``window`` is how far ahead of ``now`` a slot may start; ``max_per_day`` caps bookings of this type
    per staff member per local day; ``seats`` above 1 makes it a group session."""

    duration: timedelta
    buffer_before: timedelta = ZERO
    buffer_after: timedelta = ZERO
    step: timedelta = timedelta(minutes=30)
    min_notice: timedelta = ZERO
    window: timedelta = timedelta(days=60)
    max_per_day: int | None = None
    seats: int = 1
    type_key: Hashable = None
    needs_resource: bool = False

    def __post_init__(self) -> None:
        if self.duration <= ZERO or self.step <= ZERO:
            raise ValueError("duration and step must be positive")
        if self.seats < 1:
            raise ValueError("seats must be at least 1")


def _check_range(start: time, end: time) -> None:
    """Reject empty ranges; an ``end`` of 00:00 means midnight at the end of the day."""
    if end <= start and end != time(0):
        raise ValueError(f"opening range {start}-{end} ends before it starts")


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """One recurring opening range; ``weekday`` 0 is Monday. Several per weekday are allowed."""

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday runs from 0 (Monday) to 6 (Sunday)")
        _check_range(self.start, self.end)


@dataclass(frozen=True, slots=True)
class DayOverride:
    """An exception for one local date: ``blocked`` takes the day off; otherwise ``start``-``end`` is
    one of the ranges that replace the weekly hours for that date."""

    day: date
    blocked: bool
    start: time | None = None
    end: time | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.blocked:
            if self.start is None or self.end is None:
                raise ValueError("custom hours need a start and an end")
            _check_range(self.start, self.end)


@dataclass(frozen=True, slots=True)
class StaffCalendar:
    """One staff member's working pattern, read in their own ``zone`` wherever the customer is."""

    key: Hashable
    zone: ZoneInfo
    hours: tuple[WeeklyHours, ...]
    overrides: tuple[DayOverride, ...] = ()


@dataclass(frozen=True, slots=True)
class Booking:
    """An appointment already made, with the buffers of its own type. A group session is one booking
    whose ``seats_taken`` counts its attendees."""

    staff: Hashable
    start: datetime
    end: datetime
    buffer_before: timedelta = ZERO
    buffer_after: timedelta = ZERO
    type_key: Hashable = None
    seats_taken: int = 1
    resource: Hashable | None = None


@dataclass(frozen=True, slots=True)
class ResourceBusy:
    """A reservation of a room or piece of equipment that is not one of the bookings passed in."""

    resource: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable start. ``staff`` lists who can take it, the one to assign first; ``seats_left`` and
    ``resource`` are those of that first staff member."""

    start: datetime
    end: datetime
    staff: tuple[Hashable, ...]
    seats_left: int
    resource: Hashable | None = None
