"""iCalendar (RFC 5545) documents for appointments: the invitation attached to confirmation emails and
the subscription feeds for staff, resources and customers.

Pure: callers map appointments onto ``CalendarEvent``, pass ``now`` (the DTSTAMP) and get bytes back.
All text goes through the ``icalendar`` library, which escapes, folds lines at 75 octets and ends them
with CRLF. Times are stored in UTC and presented in a zone, with the VTIMEZONE that zone needs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from icalendar import Calendar, Event, vCalAddress

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODUCT = "-//Verso//Scheduling//EN"


def _ical() -> ModuleType:
    """icalendar, imported on first use: it takes ~0.3 s to load, which the served app's start-up
    should not pay before anyone books."""
    import icalendar

    return icalendar


_STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One appointment as calendars see it. ``uid`` must stay the same for the appointment's whole
    life and ``sequence`` must grow on every change, or clients add a second copy instead of updating.
    ``start`` and ``end`` are aware (UTC in practice); ``zone`` is where they are shown.
    ``attendees`` are (email, name) pairs."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    zone: ZoneInfo
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    organizer_email: str = ""
    organizer_name: str = ""
    attendees: tuple[tuple[str, str], ...] = ()
    status: str = "CONFIRMED"
    created: datetime | None = None
    last_modified: datetime | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A naive time would be written as "floating" and land at a different hour in every zone.
        moments = (self.start, self.end, self.created, self.last_modified)
        if any(moment is not None and moment.utcoffset() is None for moment in moments):
            raise ValueError("CalendarEvent times must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("CalendarEvent must end after it starts")
        if self.status not in _STATUSES:
            raise ValueError(f"CalendarEvent status must be one of {sorted(_STATUSES)}")


def invitation(event: CalendarEvent, *, now: datetime, cancel: bool = False, product: str = PRODUCT) -> bytes:
    """An iTIP message (RFC 5546) for one appointment: METHOD:REQUEST to add or update it, or
    METHOD:CANCEL with STATUS:CANCELLED to remove it (the caller bumps ``sequence`` for either).
    iTIP requires an organizer and at least one attendee, so both are checked."""
    if not event.organizer_email or not event.attendees:
        raise ValueError("an invitation needs an organizer and at least one attendee")
    vevent = _vevent(event, now)
    vevent.attendees = [_address(email, name) for email, name in event.attendees]
    if cancel:
        vevent.status = _ical().STATUS.CANCELLED
    return _document(_calendar(product, "CANCEL" if cancel else "REQUEST"), [vevent], _span([event]))


def feed(
    events: Iterable[CalendarEvent], *, name: str, zone: ZoneInfo, now: datetime, product: str = PRODUCT
) -> bytes:
    """A subscription feed (METHOD:PUBLISH) named ``name`` whose default zone is ``zone``.

    Cancelled events are left out: subscribers replace their copy with each download, so absence is
    what reliably removes an event, while several clients still show a STATUS:CANCELLED one.
    Attendees are left out too: RFC 5546 forbids them in PUBLISH, and a leaked feed URL then reveals
    no customer addresses (put who the appointment is with in the summary or description instead).
    The feed defines its own zone even when no event uses it, so X-WR-TIMEZONE names a zone the file
    carries and a feed with no events still holds the one component RFC 5545 requires.
    """
    kept = [event for event in events if event.status != "CANCELLED"]
    span = _span(kept, now.astimezone(zone))
    calendar = _calendar(product, "PUBLISH")
    calendar.calendar_name = name
    calendar.add("X-WR-TIMEZONE", zone.key)
    calendar.add_component(_ical().Timezone.from_tzinfo(zone, zone.key, *span))
    return _document(calendar, [_vevent(event, now) for event in kept], span)


def attachment_name(text: str) -> str:
    """A file name for an .ics attachment or download: ASCII letters, digits and dashes only, so no
    mail client or browser can read a path or a header out of it (``"Café / Cut"`` -> ``cafe-cut.ics``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    stem = _NOT_SLUG.sub("-", ascii_text.lower().removesuffix(".ics")).strip("-")[:60].rstrip("-")
    return f"{stem or 'appointment'}.ics"


def _calendar(product: str, method: str) -> Calendar:
    # Built by hand rather than with Calendar.new, which adds a random UID: equal input, equal bytes.
    calendar = _ical().Calendar()
    calendar.prodid = product
    calendar.version = "2.0"
    calendar.method = method
    return calendar


def _vevent(event: CalendarEvent, now: datetime) -> Event:
    return _ical().Event.new(
        uid=event.uid,
        sequence=event.sequence,
        stamp=now,  # DTSTAMP, CREATED and LAST-MODIFIED: the library writes them in UTC
        start=event.start.astimezone(event.zone),
        end=event.end.astimezone(event.zone),
        summary=event.summary,
        description=event.description or None,
        location=event.location or None,
        url=event.url or None,
        organizer=_address(event.organizer_email, event.organizer_name) if event.organizer_email else None,
        status=_ical().STATUS(event.status),
        created=event.created,
        last_modified=event.last_modified,
        categories=event.categories,
    )


def _address(email: str, name: str) -> vCalAddress:
    address = _ical().vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    return address


def _span(events: list[CalendarEvent], *moments: datetime) -> tuple[date, date]:
    """Whole years around the events' local times (and ``moments``), so that a VTIMEZONE built over
    the span covers every event and, for zones with DST, holds both observances."""
    years = [m.year for m in moments] + [m.astimezone(e.zone).year for e in events for m in (e.start, e.end)]
    return date(min(years), 1, 1), date(max(years) + 1, 1, 1)


def _document(calendar: Calendar, vevents: list[Event], span: tuple[date, date]) -> bytes:
    """Add a VTIMEZONE, ahead of the events, for each zone they are shown in that the calendar does
    not define yet. UTC needs none: it is written with a Z. Sorted, so equal input gives equal bytes."""
    defined = {timezone.tz_name for timezone in calendar.timezones}
    tzids = {vevent["DTSTART"].params.get("TZID") for vevent in vevents} - {None} - defined
    for tzid in sorted(tzids):
        calendar.add_component(_ical().Timezone.from_tzid(tzid, first_date=span[0], last_date=span[1]))
    for vevent in vevents:
        calendar.add_component(vevent)
    return calendar.to_ical()
