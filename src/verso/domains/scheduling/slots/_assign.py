"""Who takes an "anyone" booking first, when several staff members are free at the same time."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime

from verso.domains.scheduling.slots._assess import Board, Offer, starting_on
from verso.domains.scheduling.slots._clock import as_utc, local_day
from verso.domains.scheduling.slots._model import Policy, StaffCalendar

_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def assignment_order(
    offers: Sequence[Offer],
    calendars: Sequence[StaffCalendar],
    board: Board,
    policy: Policy,
    last_assigned: Mapping[Hashable, datetime],
) -> list[Offer]:
    """``offers`` for one start, the staff member to assign first at the front.

    Round robin puts whoever was assigned longest ago first (never assigned before anyone, then the
    order of ``calendars``); least busy puts whoever has the fewest bookings that local day first and
    breaks ties by round robin, so the same inputs always give the same order.
    """
    position = {calendar.key: i for i, calendar in enumerate(calendars)}
    zones = {calendar.key: calendar.zone for calendar in calendars}

    def round_robin(offer: Offer) -> tuple[bool, datetime, int]:
        last = last_assigned.get(offer.staff)
        return last is not None, _LONG_AGO if last is None else as_utc(last), position[offer.staff]

    def least_busy(offer: Offer) -> tuple[int, tuple[bool, datetime, int]]:
        zone = zones[offer.staff]
        day = local_day(offer.start, zone)
        return len(starting_on(board.held.get(offer.staff, ()), day, zone)), round_robin(offer)

    return sorted(offers, key=least_busy if policy == "least_busy" else round_robin)
