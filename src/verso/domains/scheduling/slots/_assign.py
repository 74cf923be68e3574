"""Who takes an "anyone" booking first, when several staff members are free at the same time."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, date, datetime

from verso.domains.scheduling.slots._assess import Board, Offer
from verso.domains.scheduling.slots._clock import as_utc, local_day
from verso.domains.scheduling.slots._model import Policy, StaffCalendar

_LONG_AGO = datetime.min.replace(tzinfo=UTC)
Rank = tuple[bool, datetime, int]


def assignment_key(
    calendars: Sequence[StaffCalendar],
    board: Board,
    policy: Policy,
    last_assigned: Mapping[Hashable, datetime],
) -> Callable[[Offer], tuple[int, Rank] | Rank]:
    """The sort key that puts the staff member to assign first at the front of one start's offers.

    Round robin puts whoever was assigned longest ago first (never assigned before anyone, then the
    order of ``calendars``); least busy puts whoever has the fewest bookings that local day first and
    breaks ties by round robin, so the same inputs always give the same order. Built once per search:
    a staff member's round-robin rank, and their count for a day, are the same at every start.
    """
    rank: dict[Hashable, Rank] = {}
    for position, calendar in enumerate(calendars):
        last = last_assigned.get(calendar.key)
        rank[calendar.key] = (last is not None, _LONG_AGO if last is None else as_utc(last), position)
    if policy != "least_busy":
        return lambda offer: rank[offer.staff]
    zones = {calendar.key: calendar.zone for calendar in calendars}
    counts: dict[tuple[Hashable, date], int] = {}

    def least_busy(offer: Offer) -> tuple[int, Rank]:
        zone = zones[offer.staff]
        day = local_day(offer.start, zone)
        if (offer.staff, day) not in counts:
            counts[offer.staff, day] = len(board.agenda(offer.staff).starting_on(day, zone))
        return counts[offer.staff, day], rank[offer.staff]

    return least_busy
