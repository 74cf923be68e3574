"""The one place the booking rules live: can this staff member take an appointment at this start?

``free_slots`` asks it about every candidate start and ``why_not`` about the one a customer picked,
so the list of slots and the answer to a booking request cannot disagree.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from verso.domains.scheduling.slots._clock import DAY, Span, as_utc, local_day
from verso.domains.scheduling.slots._model import ZERO, AppointmentRule, Booking, ResourceBusy, StaffCalendar
from verso.domains.scheduling.slots._refusals import Code, too_soon_or_late


@dataclass(frozen=True, slots=True)
class Held:
    """A booking in UTC, with the span it keeps its staff member (and its resource) busy."""

    booking: Booking
    start: datetime
    end: datetime
    blocked: Span


@dataclass(frozen=True, slots=True)
class Agenda:
    """One staff member's bookings by start, so the few near a time are found by bisection: the
    engine asks about every start of every staff member, and a scan of the whole range for each
    made a month of slots cost O(starts x bookings)."""

    held: tuple[Held, ...]
    starts: tuple[datetime, ...]
    lead: timedelta  # the most any of these bookings blocks before its start
    reach: timedelta  # the most any of them blocks after its start

    def near(self, span: Span) -> tuple[Held, ...]:
        """The bookings whose blocked time may overlap ``span``: every one that does, and a few more."""
        return self.held[
            bisect_right(self.starts, span[0] - self.reach) : bisect_left(self.starts, span[1] + self.lead)
        ]

    def starting_on(self, day: date, zone: ZoneInfo) -> list[Held]:
        """The bookings that start on local date ``day`` in ``zone``: what daily caps and "least busy"
        count. No zone is a day away from UTC, so only the bookings within a day of it are read."""
        midnight = datetime.combine(day, time(0), UTC)
        around = self.held[
            bisect_left(self.starts, midnight - DAY) : bisect_left(self.starts, midnight + 2 * DAY)
        ]
        return [item for item in around if local_day(item.start, zone) == day]


NO_BOOKINGS = Agenda((), (), ZERO, ZERO)


@dataclass(frozen=True, slots=True)
class Board:
    """Everything about the business that does not depend on which start is being asked about."""

    rule: AppointmentRule
    now: datetime
    holidays: frozenset[date]
    resources: tuple[Hashable, ...]
    held: Mapping[Hashable, Agenda]
    resource_spans: Mapping[Hashable, tuple[Span, ...]]

    def agenda(self, staff: Hashable) -> Agenda:
        """``staff``'s bookings (an empty agenda for someone with none in range)."""
        return self.held.get(staff, NO_BOOKINGS)


@dataclass(frozen=True, slots=True)
class Offer:
    """One staff member able to take ``start``; ``seats_left`` below the rule's seats means joining."""

    staff: Hashable
    start: datetime
    end: datetime
    seats_left: int
    resource: Hashable | None


def _hold(booking: Booking) -> Held:
    start, end = as_utc(booking.start), as_utc(booking.end)
    return Held(booking, start, end, (start - booking.buffer_before, end + booking.buffer_after))


def _agenda(held: list[Held]) -> Agenda:
    held.sort(key=lambda item: item.start)
    return Agenda(
        tuple(held),
        tuple(item.start for item in held),
        max(item.start - item.blocked[0] for item in held),
        max(item.blocked[1] - item.start for item in held),
    )


def make_board(
    rule: AppointmentRule,
    bookings: Iterable[Booking],
    *,
    now: datetime,
    holidays: frozenset[date],
    resources: Sequence[Hashable],
    resource_busy: Iterable[ResourceBusy],
) -> Board:
    """Index the bookings by staff member and every reservation by resource. A booking's resource
    is busy for the same buffered span as its staff member."""
    held: defaultdict[Hashable, list[Held]] = defaultdict(list)
    spans: defaultdict[Hashable, list[Span]] = defaultdict(list)
    for booking in bookings:
        item = _hold(booking)
        held[booking.staff].append(item)
        if booking.resource is not None:
            spans[booking.resource].append(item.blocked)
    for busy in resource_busy:
        spans[busy.resource].append((as_utc(busy.start), as_utc(busy.end)))
    return Board(
        rule,
        as_utc(now),
        holidays,
        tuple(resources),
        {key: _agenda(items) for key, items in held.items()},
        {key: tuple(items) for key, items in spans.items()},
    )


def overlaps(a: Span, b: Span) -> bool:
    """Whether two half-open spans share any time; touching ends do not count."""
    return a[0] < b[1] and b[0] < a[1]


def _session(rule: AppointmentRule, held: Sequence[Held], start: datetime, end: datetime) -> Held | None:
    """The group session of this type at exactly this time, preferring one with seats left."""
    if rule.seats == 1:
        return None
    same = [h for h in held if h.booking.type_key == rule.type_key and (h.start, h.end) == (start, end)]
    return min(same, key=lambda h: h.booking.seats_taken >= rule.seats, default=None)


def _free_resource(board: Board, span: Span) -> Hashable | None:
    """The first candidate resource with nothing reserved during ``span``, in the order given."""
    for resource in board.resources:
        if not any(overlaps(span, busy) for busy in board.resource_spans.get(resource, ())):
            return resource
    return None


def assess(board: Board, calendar: StaffCalendar, start: datetime, ranges: Sequence[Span]) -> Offer | Code:
    """Whether ``calendar``'s staff member can take ``start``, given the UTC ``ranges`` they work on
    that local date. Joining an open group session needs no grid, cap or resource check: the session
    already has its time, counts towards the cap and holds its resource."""
    rule = board.rule
    end = start + rule.duration
    early = too_soon_or_late(rule, start, board.now)
    if early is not None:
        return early
    if not ranges:
        return Code.CLOSED_DAY
    homes = [r for r in ranges if r[0] <= start and end <= r[1]]
    if not homes:
        return Code.OUTSIDE_HOURS
    agenda = board.agenda(calendar.key)
    span = (start - rule.buffer_before, end + rule.buffer_after)
    near = agenda.near(span)  # a session at exactly this time blocks part of ``span``, so it is here
    session = _session(rule, near, start, end)
    if session is not None and session.booking.seats_taken >= rule.seats:
        return Code.FULL
    if session is None and all((start - home[0]) % rule.step for home in homes):
        return Code.OFF_GRID
    if near and any(overlaps(span, h.blocked) for h in near if h is not session):
        return Code.TAKEN
    if session is not None:
        joined = session.booking
        return Offer(calendar.key, start, end, rule.seats - joined.seats_taken, joined.resource)
    if rule.max_per_day is not None:
        same_day = agenda.starting_on(local_day(start, calendar.zone), calendar.zone)
        if sum(h.booking.type_key == rule.type_key for h in same_day) >= rule.max_per_day:
            return Code.DAILY_CAP
    resource = None
    if rule.needs_resource:
        resource = _free_resource(board, span)
        if resource is None:
            return Code.NO_RESOURCE
    return Offer(calendar.key, start, end, rule.seats, resource)
