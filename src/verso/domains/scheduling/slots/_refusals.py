"""Why a start time cannot be booked: a stable code for code and tests, a message for the customer.

Codes are listed in the order the engine checks them; when nobody on the staff can take a time, the
refusal that got furthest down this list is the one reported, since it says the most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from verso.domains.scheduling.slots._model import AppointmentRule


class Code(StrEnum):
    IN_PAST = "in_past"
    NOTICE = "notice"
    WINDOW = "window"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    FULL = "full"
    OFF_GRID = "off_grid"
    TAKEN = "taken"
    DAILY_CAP = "daily_cap"
    NO_RESOURCE = "no_resource"


RANK = {code: rank for rank, code in enumerate(Code)}
# Refusals caused by other bookings (the time was fine a moment ago): the app answers them with 409.
CONFLICTS = frozenset({Code.FULL, Code.TAKEN, Code.DAILY_CAP, Code.NO_RESOURCE})

_MESSAGES = {
    Code.IN_PAST: "That time has passed.",
    Code.NOTICE: "Bookings need at least {notice} notice.",
    Code.WINDOW: "Bookings open at most {window} ahead.",
    Code.CLOSED_DAY: "We are closed that day.",
    Code.OUTSIDE_HOURS: "That time is outside opening hours.",
    Code.FULL: "That session is full.",
    Code.OFF_GRID: "Please choose one of the times offered.",
    Code.TAKEN: "That time was just taken.",
    Code.DAILY_CAP: "No more of these appointments can be booked that day.",
    Code.NO_RESOURCE: "No room or equipment is free at that time.",
}
_UNITS = (("day", timedelta(days=1)), ("hour", timedelta(hours=1)), ("minute", timedelta(minutes=1)))


@dataclass(frozen=True, slots=True)
class Refusal:
    code: Code
    message: str

    @property
    def conflict(self) -> bool:
        """True when another booking got there first (HTTP 409), False when the request is wrong (422)."""
        return self.code in CONFLICTS


def _amount(span: timedelta) -> tuple[int, str]:
    """``span`` in the largest unit that divides it exactly (48 hours is 2 days, 90 minutes stays)."""
    for unit, size in _UNITS:
        if span >= size and not span % size:
            return span // size, unit
    return span // _UNITS[-1][1], "minute"


def _ahead(span: timedelta) -> str:
    count, unit = _amount(span)
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _notice(span: timedelta) -> str:
    count, unit = _amount(span)
    return f"{count} {unit}'s" if count == 1 else f"{count} {unit}s'"


def refuse(code: Code, rule: AppointmentRule) -> Refusal:
    """The customer's message for ``code``, with this type's notice and window filled in."""
    text = _MESSAGES[code].format(notice=_notice(rule.min_notice), window=_ahead(rule.window))
    return Refusal(code, text)


def too_soon_or_late(rule: AppointmentRule, start: datetime, now: datetime) -> Code | None:
    """Refuse starts in the past, inside the minimum notice or beyond the booking window."""
    if start < now:
        return Code.IN_PAST
    if start < now + rule.min_notice:
        return Code.NOTICE
    if start > now + rule.window:
        return Code.WINDOW
    return None
