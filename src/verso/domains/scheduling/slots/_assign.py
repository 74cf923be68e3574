"""Who takes an "anyone" booking first, when several staff members are free at the same time."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, date, datetime

from verso.domains.scheduling.slots._assess import Board, Offer
from verso.domains.scheduling.slots._clock import as_utc, local_day
from verso.domains.scheduling.slots._model import StaffCalendar

_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def round_robin(
    calendars: Sequence[StaffCalendar], last_assigned: Mapping[Hashable, datetime]
) -> list[StaffCalendar]:
    """``calendars`` with whoever was assigned longest ago first: never assigned before anyone, then
    the order given. Ranked once per search: a staff member's rank is the same at every start."""

    def rank(position: int) -> tuple[bool, datetime, int]:
        last = last_assigned.get(calendars[position].key)
        return last is not None, _LONG_AGO if last is None else as_utc(last), position

    return [calendars[position] for position in sorted(range(len(calendars)), key=rank)]


def day_count(calendars: Sequence[StaffCalendar], board: Board) -> Callable[[Offer], int]:
    """The sort key of "least busy": how many bookings the offer's staff member has that local day
    (ties are broken by round robin, which the offers are already in). Counted once per staff
    member and day."""
    zones = {calendar.key: calendar.zone for calendar in calendars}
    counts: dict[tuple[Hashable, date], int] = {}

    def count(offer: Offer) -> int:
        zone = zones[offer.staff]
        day = local_day(offer.start, zone)
        if (offer.staff, day) not in counts:
            counts[offer.staff, day] = len(board.agenda(offer.staff).starting_on(day, zone))
        return counts[offer.staff, day]

    return count
