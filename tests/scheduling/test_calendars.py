"""iCalendar documents: parsed back with icalendar and checked field by field, plus the raw wire format."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, Event

from verso.domains.scheduling.calendars import (
    ICS_MEDIA_TYPE,
    CalendarEvent,
    attachment_name,
    feed,
    invitation,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SUMMER = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 in Paris (CEST, +2)
WINTER = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)  # 09:00 in Paris (CET, +1)
HAIRCUT = CalendarEvent(
    uid="42@verso.example",
    sequence=0,
    start=SUMMER,
    end=SUMMER + timedelta(minutes=45),
    zone=PARIS,
    summary="Haircut with Anna",
    organizer_email="salon@verso.example",
    organizer_name="Salon Verso",
    attendees=(("chloe@example.com", "Chloé Martin"),),
)


def parse(raw: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(raw)
    (event,) = calendar.events
    return calendar, event


def at(start: datetime, **changes: object) -> CalendarEvent:
    return replace(HAIRCUT, start=start, end=start + timedelta(minutes=45), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "local", "wire"),
    [
        (SUMMER, datetime(2025, 7, 1, 10, 0), b"DTSTART;TZID=Europe/Paris:20250701T100000\r\n"),
        (WINTER, datetime(2025, 1, 15, 9, 0), b"DTSTART;TZID=Europe/Paris:20250115T090000\r\n"),
    ],
)
def test_request_shows_the_utc_time_as_paris_wall_time(start: datetime, local: datetime, wire: bytes) -> None:
    raw = invitation(at(start, sequence=3), now=NOW)
    calendar, event = parse(raw)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["PRODID"] == "-//Verso//Scheduling//EN"
    assert calendar["VERSION"] == "2.0"
    assert event["UID"] == "42@verso.example"
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event.start.replace(tzinfo=None) == local
    assert event.start == start
    assert event.end == start + timedelta(minutes=45)
    assert event.DTSTAMP == NOW
    assert wire in raw


def test_request_carries_a_paris_vtimezone_with_both_observances() -> None:
    calendar, _ = parse(invitation(HAIRCUT, now=NOW))
    (timezone,) = calendar.timezones
    assert timezone.tz_name == "Europe/Paris"
    assert [(d.DTSTART, d.TZOFFSETTO) for d in timezone.daylight] == [
        (datetime(2025, 3, 30, 3, 0), timedelta(hours=2))
    ]
    assert {(s.DTSTART, s.TZOFFSETTO) for s in timezone.standard} == {
        (datetime(2025, 1, 1, 0, 0), timedelta(hours=1)),
        (datetime(2025, 10, 26, 3, 0), timedelta(hours=1)),
    }
    # Built from the VTIMEZONE alone (not looked up by name), the zone gives the right offsets.
    zone = timezone.to_tz(lookup_tzid=False)
    assert datetime(2025, 7, 1, 10, 0, tzinfo=zone).utcoffset() == timedelta(hours=2)
    assert datetime(2025, 1, 15, 9, 0, tzinfo=zone).utcoffset() == timedelta(hours=1)


def test_request_names_organizer_and_attendees_and_converts_metadata_times_to_utc() -> None:
    created = datetime(2025, 5, 20, 18, 30, tzinfo=PARIS)
    event_in = replace(
        HAIRCUT,
        attendees=(("chloe@example.com", "Chloé Martin"), ("bob@example.com", "")),
        created=created,
        last_modified=created + timedelta(hours=1),
        location="12 rue de la Paix, Paris",
        url="https://verso.example/bookings/42",
        categories=("Hair", "Colour, cut"),
    )
    raw = invitation(event_in, now=NOW)
    _, event = parse(raw)
    assert event["ORGANIZER"] == "mailto:salon@verso.example"
    assert event["ORGANIZER"].params["CN"] == "Salon Verso"
    assert [str(a) for a in event["ATTENDEE"]] == ["mailto:chloe@example.com", "mailto:bob@example.com"]
    assert event["ATTENDEE"][0].params["CN"] == "Chloé Martin"
    assert "CN" not in event["ATTENDEE"][1].params
    assert event["LOCATION"] == "12 rue de la Paix, Paris"
    assert event["URL"] == "https://verso.example/bookings/42"
    assert [str(c) for c in event.categories] == ["Hair", "Colour, cut"]
    assert b"CREATED:20250520T163000Z\r\n" in raw
    assert b"LAST-MODIFIED:20250520T173000Z\r\n" in raw
    assert b"DESCRIPTION" not in raw  # empty fields are left out, not written empty


def test_cancel_keeps_the_uid_and_says_cancelled() -> None:
    calendar, event = parse(invitation(replace(HAIRCUT, sequence=2), now=NOW, cancel=True))
    assert calendar["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["UID"] == "42@verso.example"
    assert event["SEQUENCE"] == 2
    assert event["ORGANIZER"] == "mailto:salon@verso.example"


def test_user_text_with_separators_and_newlines_round_trips() -> None:
    summary = "Cut, wash; dry\nthen: colour \\ tone"
    raw = invitation(replace(HAIRCUT, summary=summary, description="Line 1\nLine 2"), now=NOW)
    _, event = parse(raw)
    assert event["SUMMARY"] == summary
    assert event["DESCRIPTION"] == "Line 1\nLine 2"
    assert b"SUMMARY:Cut\\, wash\\; dry\\nthen: colour \\\\ tone\r\n" in raw


@given(
    text=st.text(
        alphabet=st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n,;:\\\"'"),
        min_size=1,
        max_size=200,
    )
)
def test_any_printable_text_round_trips(text: str) -> None:
    raw = invitation(replace(HAIRCUT, summary=text, description=text, location=text), now=NOW)
    _, event = parse(raw)
    assert (event["SUMMARY"], event["DESCRIPTION"], event["LOCATION"]) == (text, text, text)


def test_utc_event_has_no_vtimezone_and_a_z_time() -> None:
    raw = invitation(replace(HAIRCUT, zone=ZoneInfo("UTC")), now=NOW)
    calendar, event = parse(raw)
    assert calendar.timezones == []
    assert b"DTSTART:20250701T080000Z\r\n" in raw
    assert b"TZID" not in raw
    assert event.start == SUMMER


def test_invitation_needs_an_organizer_and_an_attendee() -> None:
    with pytest.raises(ValueError, match="organizer and at least one attendee"):
        invitation(replace(HAIRCUT, organizer_email=""), now=NOW)
    with pytest.raises(ValueError, match="organizer and at least one attendee"):
        invitation(replace(HAIRCUT, attendees=()), now=NOW)


def test_equal_input_gives_equal_bytes() -> None:
    two_zones = [HAIRCUT, replace(HAIRCUT, uid="43@verso.example", zone=NEW_YORK)]
    assert invitation(HAIRCUT, now=NOW) == invitation(HAIRCUT, now=NOW)
    assert feed(two_zones, name="Anna", zone=PARIS, now=NOW) == feed(
        two_zones, name="Anna", zone=PARIS, now=NOW
    )


def test_feed_publishes_events_in_two_zones_with_one_vtimezone_each() -> None:
    events = [
        HAIRCUT,
        at(WINTER, uid="43@verso.example", zone=NEW_YORK, summary="Beard trim", sequence=1),
        at(WINTER, uid="44@verso.example", status="CANCELLED"),
        at(WINTER, uid="45@verso.example", status="TENTATIVE"),
    ]
    raw = feed(events, name="Anna, stylist", zone=PARIS, now=NOW)
    calendar = Calendar.from_ical(raw)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Anna, stylist"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Paris"
    # The feed's own zone first, then the others its events use.
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Paris", "America/New_York"]
    assert [(e["UID"], e["STATUS"]) for e in calendar.events] == [
        ("42@verso.example", "CONFIRMED"),
        ("43@verso.example", "CONFIRMED"),
        ("45@verso.example", "TENTATIVE"),
    ]
    beard = calendar.events[1]
    assert beard["DTSTART"].params["TZID"] == "America/New_York"
    assert beard.start.replace(tzinfo=None) == datetime(2025, 1, 15, 3, 0)
    assert b"ATTENDEE" not in raw
    assert b'ORGANIZER;CN="Salon Verso":mailto:salon@verso.example\r\n' in raw


def test_feed_vtimezone_covers_events_years_away() -> None:
    later = datetime(2027, 7, 1, 8, 0, tzinfo=UTC)
    calendar = Calendar.from_ical(feed([at(later)], name="Anna", zone=PARIS, now=NOW))
    (timezone,) = calendar.timezones
    assert timezone["COMMENT"] == "This timezone only works from 2025-01-01 to 2028-01-01."
    zone = timezone.to_tz(lookup_tzid=False)
    assert datetime(2027, 7, 1, 10, 0, tzinfo=zone).utcoffset() == timedelta(hours=2)
    assert datetime(2027, 12, 1, 10, 0, tzinfo=zone).utcoffset() == timedelta(hours=1)


def test_empty_feed_is_still_a_valid_calendar() -> None:
    raw = feed([], name="Room 2", zone=PARIS, now=NOW)
    calendar = Calendar.from_ical(raw)
    calendar.validate()  # PRODID, VERSION and at least one component
    assert calendar["PRODID"] == "-//Verso//Scheduling//EN"
    assert calendar["VERSION"] == "2.0"
    assert calendar["X-WR-CALNAME"] == "Room 2"
    assert calendar.events == []
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Paris"]
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    assert raw.endswith(b"END:VCALENDAR\r\n")


def test_empty_utc_feed_still_defines_its_zone() -> None:
    calendar = Calendar.from_ical(feed([], name="Room 2", zone=ZoneInfo("UTC"), now=NOW))
    calendar.validate()
    assert [tz.tz_name for tz in calendar.timezones] == ["UTC"]


def test_lines_end_in_crlf_and_fold_at_75_octets() -> None:
    description = "Bring your colour chart — é, ü and ß count as two octets each. " * 8
    raw = invitation(replace(HAIRCUT, description=description), now=NOW)
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) == 75
    # "DESCRIPTION:" and the escaped text make 564 octets: 75 on the first line, then at most 74 after
    # each folding space, so 7 continuation lines.
    assert sum(line.startswith(b" ") for line in lines) == 7
    _, event = parse(raw)
    assert event["DESCRIPTION"] == description


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("appointment", "appointment.ics"),
        ("Café / Coupe & Couleur", "cafe-coupe-couleur.ics"),
        ("../../etc/passwd", "etc-passwd.ics"),
        ("Booking 42.ICS", "booking-42.ics"),
        ('bad"\r\nX-Header: 1', "bad-x-header-1.ics"),
        ("日本語", "appointment.ics"),
        ("", "appointment.ics"),
        ("a" * 80, "a" * 60 + ".ics"),
    ],
)
def test_attachment_name_is_a_safe_ascii_file_name(text: str, name: str) -> None:
    assert attachment_name(text) == name
    assert ICS_MEDIA_TYPE == "text/calendar; charset=utf-8"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": datetime(2025, 7, 1, 8, 0)}, "timezone-aware"),
        ({"created": datetime(2025, 7, 1, 8, 0)}, "timezone-aware"),
        ({"end": SUMMER}, "end after it starts"),
        ({"status": "DONE"}, "status must be one of"),
    ],
)
def test_calendar_event_refuses_what_calendars_would_misread(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(HAIRCUT, **changes)  # type: ignore[arg-type]


def test_vtimezone_spans_only_the_events_years() -> None:
    calendar, _ = parse(invitation(at(datetime(2030, 12, 31, 23, 30, tzinfo=UTC)), now=NOW))
    # 23:30 UTC on New Year's Eve is already 2031 in Paris: the span follows local time.
    assert calendar.timezones[0]["COMMENT"] == "This timezone only works from 2031-01-01 to 2032-01-01."
    assert calendar.timezones[0].standard[0].DTSTART == datetime(2031, 1, 1, 0, 0)
