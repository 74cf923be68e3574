"""The two questions the booking pages ask: which slots are free, and why a chosen one is not."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import get_args

from verso.domains.scheduling.slots._assess import Board, Offer, assess, make_board, verdicts
from verso.domains.scheduling.slots._assign import day_count, round_robin
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


@lru_cache(maxsize=4096)
def _grid(span: Span, duration: timedelta, step: timedelta) -> tuple[datetime, ...]:
    """Starts from the beginning of an open range, ``step`` apart, while the appointment still fits.
    Remembered, like the ranges themselves: a team mostly shares them."""
    starts = []
    start = span[0]
    while start + duration <= span[1]:
        starts.append(start)
        start += step
    return tuple(starts)


def _offers(board: Board, calendar: StaffCalendar, start: datetime, end: datetime) -> Iterator[Offer]:
    """What one staff member can take starting in [start, end): grid starts, plus any group session
    of this type to join (those may sit off the grid), asked about one local date at a time."""
    rule, zone = board.rule, calendar.zone
    first = max(start, board.now, board.now + rule.min_notice)  # the timing checks, for every start
    last = min(end, board.now + rule.window)
    if first > last:
        return
    agenda = board.agenda(calendar.key)
    sessions: dict[date, set[datetime]] = {}
    if rule.seats > 1:
        for held in agenda.held:
            if held.booking.type_key == rule.type_key and first <= held.start <= last and held.start < end:
                sessions.setdefault(local_day(held.start, zone), set()).add(held.start)
    days = list(local_days(first, last, zone))
    days += sorted(sessions.keys() - set(days))  # only as clocks go back over midnight
    for day in days:
        spans = open_ranges(calendar, day, board.holidays)
        # A grid start lies on the local date of the range it comes from.
        moments: Sequence[datetime] = ()
        if len(spans) == 1:
            moments = _grid(spans[0], rule.duration, rule.step)
        elif spans:
            moments = sorted({t for span in spans for t in _grid(span, rule.duration, rule.step)})
        if day in sessions:  # those are within the search already
            moments = sorted(sessions[day].union(moments))
        if moments and (moments[0] < first or moments[-1] > last or moments[-1] >= end):
            moments = [t for t in moments if first <= t <= last and t < end]
        for result in verdicts(board, calendar, agenda, moments, spans):
            if type(result) is Offer:
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
    by_time: dict[datetime, list[Offer]] = {}
    # Asked in round-robin order, so each start's offers come already in that order.
    for calendar in round_robin(calendars, last_assigned):
        for offer in _offers(board, calendar, as_utc(start), as_utc(end)):
            if offer.start in by_time:
                by_time[offer.start].append(offer)
            else:
                by_time[offer.start] = [offer]
    busy = day_count(calendars, board) if policy == "least_busy" else None
    slots = []
    for moment in sorted(by_time):
        offers = by_time[moment]
        if busy is not None and len(offers) > 1:
            offers.sort(key=busy)  # stable: equally busy staff keep their round-robin order
        first = offers[0]
        slots.append(
            Slot(moment, first.end, tuple(offer.staff for offer in offers), first.seats_left, first.resource)
        )
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
