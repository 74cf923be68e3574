"""Appointment slots as pure functions: which start times a customer may book, and why not.

No database, no web, no clock: callers map appointment types, availability, exceptions and existing
appointments onto these frozen dataclasses, pass ``now`` and a UTC search range, and get UTC slots
back (shown to each customer in their own zone). How daylight-saving changes are read is described
in ``_clock``.
"""

from verso.domains.scheduling.slots._clock import utc_range
from verso.domains.scheduling.slots._model import (
    AppointmentRule,
    Booking,
    DayOverride,
    Policy,
    ResourceBusy,
    Slot,
    StaffCalendar,
    WeeklyHours,
)
from verso.domains.scheduling.slots._refusals import CONFLICTS, Code, Refusal
from verso.domains.scheduling.slots._slots import free_slots, why_not

__all__ = [
    "CONFLICTS",
    "AppointmentRule",
    "Booking",
    "Code",
    "DayOverride",
    "Policy",
    "Refusal",
    "ResourceBusy",
    "Slot",
    "StaffCalendar",
    "WeeklyHours",
    "free_slots",
    "utc_range",
    "why_not",
]
