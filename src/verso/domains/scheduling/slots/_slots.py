"""The two questions the booking pages ask: which slots are free, and why a chosen one is not."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from types import MappingProxyType
from typing import get_args

from verso.domains.scheduling.slots._assess import Board, Offer, assess, make_board
from verso.domains.scheduling.slots._assign import assignment_key
from verso.domains.scheduling.slots._clock import Span, as_utc, local_day, local_days, open_ranges
from verso.domains.scheduling.slots._model import (
    AppointmentRule,
    Booking,
    Policy,
    ResourceBusy,
    Slot,
    StaffCalendar,
)
from verso.domains.scheduling.slots._refusals import RANK, Code, Refusal, refuse

_NOBODY: Mapping[Hashable, datetime] = MappingProxyType({})


def _grid(span: Span, rule: AppointmentRule) -> Iterator[datetime]:
    """Starts from the beginning of an open range, ``step`` apart, while the appointment still fits."""
    start = span[0]
    while start + rule.duration <= span[1]:
        yield start
        start += rule.step


def _offers(board: Board, calendar: StaffCalendar, start: datetime, end: datetime) -> Iterator[Offer]:
    """What one staff member can take starting in [start, end): grid starts, plus any group session
    of this type to join (those may sit off the grid)."""
    rule = board.rule
    first = max(start, board.now + rule.min_notice)
    last = min(end, board.now + rule.window)
    if first > last:
        return
    days = local_days(first, last, calendar.zone)
    ranges = {day: open_ranges(calendar, day, board.holidays) for day in days}
    starts = {t for spans in ranges.values() for span in spans for t in _grid(span, rule)}
    if rule.seats > 1:
        held = board.agenda(calendar.key).held
        starts.update(h.start for h in held if h.booking.type_key == rule.type_key)
    for moment in sorted(t for t in starts if first <= t <= last and t < end):
        day = local_day(moment, calendar.zone)  # outside ``ranges`` only if clocks go back over midnight
        spans = ranges[day] if day in ranges else open_ranges(calendar, day, board.holidays)
        result = assess(board, calendar, moment, spans)
        if isinstance(result, Offer):
            yield result


def free_slots(
    rule: AppointmentRule,
    calendars: Sequence[StaffCalendar],
    bookings: Iterable[Booking],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    holidays: frozenset[date] = frozenset(),
    resources: Sequence[Hashable] = (),
    resource_busy: Iterable[ResourceBusy] = (),
    policy: Policy = "round_robin",
    last_assigned: Mapping[Hashable, datetime] = _NOBODY,
) -> list[Slot]:
    """Every slot starting in [start, end) (UTC) that some staff member in ``calendars`` can take.

    One calendar asks about one staff member; several ask for "anyone", and slots at the same time are
    merged with their staff ordered by ``policy``. Sorted by start; each start appears once.
    """
    if policy not in get_args(Policy):
        raise ValueError(f"unknown assignment policy {policy!r}")
    board = make_board(
        rule, bookings, now=now, holidays=holidays, resources=resources, resource_busy=resource_busy
    )
    by_time: dict[tuple[datetime, datetime], list[Offer]] = {}
    for calendar in calendars:
        for offer in _offers(board, calendar, as_utc(start), as_utc(end)):
            by_time.setdefault((offer.start, offer.end), []).append(offer)
    first = assignment_key(calendars, board, policy, last_assigned)
    slots = []
    for (slot_start, slot_end), offers in sorted(by_time.items()):
        ordered = sorted(offers, key=first)
        staff = tuple(offer.staff for offer in ordered)
        slots.append(Slot(slot_start, slot_end, staff, ordered[0].seats_left, ordered[0].resource))
    return slots


def why_not(
    rule: AppointmentRule,
    calendars: Sequence[StaffCalendar],
    bookings: Iterable[Booking],
    *,
    slot_start: datetime,
    staff: Hashable | None,
    now: datetime,
    holidays: frozenset[date] = frozenset(),
    resources: Sequence[Hashable] = (),
    resource_busy: Iterable[ResourceBusy] = (),
) -> Refusal | None:
    """None when ``slot_start`` can be booked with ``staff`` (None: with anyone), else the refusal.

    With several staff members and nobody free, the refusal that got furthest through the checks is
    given (someone "taken" says more than someone else's "closed_day").
    """
    chosen = [c for c in calendars if staff is None or c.key == staff]
    if not chosen:
        raise ValueError(f"no calendar for staff {staff!r}")
    board = make_board(
        rule, bookings, now=now, holidays=holidays, resources=resources, resource_busy=resource_busy
    )
    moment = as_utc(slot_start)
    refusals: list[Code] = []
    for calendar in chosen:
        ranges = open_ranges(calendar, local_day(moment, calendar.zone), board.holidays)
        result = assess(board, calendar, moment, ranges)
        if isinstance(result, Offer):
            return None
        refusals.append(result)
    return refuse(max(refusals, key=RANK.__getitem__), rule)
