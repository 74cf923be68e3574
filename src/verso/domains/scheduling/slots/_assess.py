"""The one place the booking rules live: can this staff member take an appointment at this start?

``free_slots`` asks it about every candidate start and ``why_not`` about the one a customer picked,
so the list of slots and the answer to a booking request cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from verso.domains.scheduling.slots._clock import Span, as_utc, local_day
from verso.domains.scheduling.slots._model import AppointmentRule, Booking, ResourceBusy, StaffCalendar
from verso.domains.scheduling.slots._refusals import Code, too_soon_or_late


@dataclass(frozen=True, slots=True)
class Held:
    """A booking in UTC, with the span it keeps its staff member (and its resource) busy."""

    booking: Booking
    start: datetime
    end: datetime
    blocked: Span


@dataclass(frozen=True, slots=True)
class Board:
    """Everything about the business that does not depend on which start is being asked about."""

    rule: AppointmentRule
    now: datetime
    holidays: frozenset[date]
    resources: tuple[Hashable, ...]
    held: Mapping[Hashable, tuple[Held, ...]]
    resource_spans: Mapping[Hashable, tuple[Span, ...]]


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
        {key: tuple(items) for key, items in held.items()},
        {key: tuple(items) for key, items in spans.items()},
    )


def overlaps(a: Span, b: Span) -> bool:
    """Whether two half-open spans share any time; touching ends do not count."""
    return a[0] < b[1] and b[0] < a[1]


def starting_on(held: Iterable[Held], day: date, zone: ZoneInfo) -> list[Held]:
    """The bookings that start on local date ``day`` in ``zone``: what daily caps and "least busy" count."""
    return [item for item in held if local_day(item.start, zone) == day]


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
    held = board.held.get(calendar.key, ())
    session = _session(rule, held, start, end)
    if session is not None and session.booking.seats_taken >= rule.seats:
        return Code.FULL
    if session is None and all((start - home[0]) % rule.step for home in homes):
        return Code.OFF_GRID
    span = (start - rule.buffer_before, end + rule.buffer_after)
    if any(overlaps(span, h.blocked) for h in held if h is not session):
        return Code.TAKEN
    if session is not None:
        joined = session.booking
        return Offer(calendar.key, start, end, rule.seats - joined.seats_taken, joined.resource)
    if rule.max_per_day is not None:
        same_day = starting_on(held, local_day(start, calendar.zone), calendar.zone)
        if sum(h.booking.type_key == rule.type_key for h in same_day) >= rule.max_per_day:
            return Code.DAILY_CAP
    resource = None
    if rule.needs_resource:
        resource = _free_resource(board, span)
        if resource is None:
            return Code.NO_RESOURCE
    return Offer(calendar.key, start, end, rule.seats, resource)
