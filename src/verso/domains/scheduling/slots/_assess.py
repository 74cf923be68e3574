"""The one place the booking rules live: can this staff member take an appointment at this start?

``free_slots`` asks ``verdicts`` about every candidate start (a staff member's starts of one local
date in one call) and ``why_not`` asks ``assess`` (the same rules for one start, with the timing
checks) about the one a customer picked, so the list of slots and the answer to a booking request
cannot disagree.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from verso.domains.scheduling.slots._clock import DAY, Span, as_utc, local_day
from verso.domains.scheduling.slots._model import ZERO, AppointmentRule, Booking, ResourceBusy, StaffCalendar
from verso.domains.scheduling.slots._refusals import Code, too_soon_or_late


class Held(NamedTuple):
    """A booking in UTC, with the span it keeps its staff member (and its resource) busy. (Named
    tuples here and for ``Offer``: the engine makes thousands per search, at a quarter of the cost of a
    frozen dataclass.)"""

    booking: Booking
    start: datetime
    end: datetime
    blocked: Span


@dataclass(frozen=True, slots=True)
class Agenda:
    """One staff member's bookings by start, so the few near a time are found by bisection (those
    starting after ``span start - reach`` and before ``span end + lead`` are every one whose blocked
    time may overlap the span, and a few more): the engine asks about every start of every staff
    member, and a scan of the whole range for each made a month of slots cost O(starts x bookings)."""

    held: tuple[Held, ...]
    starts: tuple[datetime, ...]
    lead: timedelta  # the most any of these bookings blocks before its start
    reach: timedelta  # the most any of them blocks after its start

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


class Offer(NamedTuple):
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
    that local date."""
    early = too_soon_or_late(board.rule, start, board.now)
    if early is not None:
        return early
    return verdicts(board, calendar, board.agenda(calendar.key), (start,), ranges)[0]


def verdicts(
    board: Board, calendar: StaffCalendar, agenda: Agenda, starts: Iterable[datetime], ranges: Sequence[Span]
) -> list[Offer | Code]:
    """``assess`` for each of ``starts``, all within the notice and the window and on the local date
    whose UTC opening ``ranges`` are given, with ``agenda`` that of ``calendar``. ``free_slots`` asks
    about thousands of starts per search, so the rules run in one loop per staff member and date.

    Joining an open group session needs no grid, cap or resource check: the session already has its
    time, counts towards the cap and holds its resource.
    """
    rule = board.rule
    duration, step, seats = rule.duration, rule.step, rule.seats
    before, after = rule.buffer_before, rule.buffer_after
    held, marks = agenda.held, agenda.starts
    early, late = before + agenda.reach, after + agenda.lead  # widen the span by the agenda's reach and lead
    key, plain = calendar.key, rule.max_per_day is None and not rule.needs_resource
    buffered = bool(before or after)
    results: list[Offer | Code] = []
    for start in starts:
        end = start + duration
        if not ranges:
            results.append(Code.CLOSED_DAY)
            continue
        inside = on_grid = False
        for opens, closes in ranges:
            if opens <= start and end <= closes:
                inside = True
                if not (start - opens) % step:
                    on_grid = True
                    break
        if not inside:
            results.append(Code.OUTSIDE_HOURS)
            continue
        span = (start - before, end + after) if buffered else (start, end)
        # The bookings near ``span`` (see ``Agenda``); a session at exactly this time blocks part of
        # ``span``, so it is among them.
        near = held[bisect_right(marks, start - early) : bisect_left(marks, end + late)]
        session = _session(rule, near, start, end) if seats > 1 and near else None
        if session is not None and session.booking.seats_taken >= seats:
            results.append(Code.FULL)
            continue
        if session is None and not on_grid:
            results.append(Code.OFF_GRID)
            continue
        for other in near:
            blocked = other.blocked
            if other is not session and blocked[0] < span[1] and span[0] < blocked[1]:  # they overlap
                results.append(Code.TAKEN)
                break
        else:
            if session is not None:
                joined = session.booking
                results.append(Offer(key, start, end, seats - joined.seats_taken, joined.resource))
            elif plain:
                results.append(Offer(key, start, end, seats, None))
            else:
                results.append(_new_appointment(board, calendar, agenda, start, end, span))
    return results


def _new_appointment(
    board: Board, calendar: StaffCalendar, agenda: Agenda, start: datetime, end: datetime, span: Span
) -> Offer | Code:
    """The checks left for a free start that joins no session: the daily cap and a resource."""
    rule = board.rule
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
