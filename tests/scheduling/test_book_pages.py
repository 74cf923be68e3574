"""The public booking pages over HTTP: the type list, a type's day of times (full page and htmx
fragment, in the customer's zone), the waitlist for a full day, the details step (422 inline errors,
409 for a time taken meanwhile), the confirmation with its QR code and .ics, managing the booking
through its signed link (cancel, reschedule) and claiming a waitlist offer."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs

from icalendar import Calendar
from sqlalchemy import select, update

from tests.factories import make_user, post_form, sign_in
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.identity.models import User
from verso.domains.scheduling.models import Appointment, Attendee, WaitlistEntry
from verso.domains.scheduling.services import Booker, book, manage_token
from verso.lib import clock
from verso.lib.email import OutboxEmail

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday, 08:00 in Paris (the business zone)
TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris
TEN_PARAM = "2026-12-01T09:00:00Z"
THURSDAY = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Paris, beyond the 24-hour policy windows
QUESTIONS = [
    {
        "key": "goal",
        "label": "What would you like?",
        "kind": "select",
        "required": True,
        "options": ["Trim", "Colour"],
    },
    {"key": "notes", "label": "Anything else?", "kind": "textarea", "required": False},
    {"key": "terms", "label": "I accept the terms", "kind": "checkbox", "required": True},
]


async def _setup(db_session, **fields):
    clock.freeze(NOW)
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff], **fields)
    return staff, kind


def _times(html: str) -> list[tuple[str, str]]:
    """(label, start) of every free time on the page, in order."""
    found = re.findall(
        r'<li><a href="/book/[^"]+/details\?([^"]+)" role="button" class="outline">(\d\d:\d\d)', html
    )
    return [(label, parse_qs(query.replace("&amp;", "&"))["start"][0]) for query, label in found]


async def _book(db_session, kind, start=TEN, n: int = 1, zone: str = "Europe/Paris") -> Attendee:
    attendee = await book(
        db_session, kind, start, Booker(f"Client {n}", f"client{n}@example.com", timezone=zone), now=NOW
    )
    await db_session.commit()
    return attendee


def _details(**overrides) -> dict[str, str]:
    return {
        "start": TEN_PARAM,
        "staff": "",
        "tz": "Europe/Paris",
        "name": "Ada Client",
        "email": "Ada@Example.com",
        "phone": "0600",
        **overrides,
    }


# ---------- /book ----------


async def test_the_list_shows_active_types_with_price_and_spots(client, admin, db_session) -> None:
    staff, _kind = await _setup(
        db_session, price=2500, deposit_kind="percent", deposit_value=20, description="A neat cut."
    )
    await make_type(db_session, [staff], name="Yoga", slug="yoga", max_attendees=6, duration_minutes=90)
    await make_type(db_session, [staff], name="Retired", slug="retired", active=False)
    page = await client.get("/book")
    assert page.status_code == 200
    assert page.text.index(">Haircut</a>") < page.text.index(">Yoga</a>")
    assert 'href="/book/haircut"' in page.text and 'href="/book/yoga"' in page.text
    assert "€25.00" in page.text and "deposit €5.00 to book, the rest at the appointment" in page.text
    assert page.text.count('class="booking-price"') == 1  # only the priced type
    assert (
        "1 hour 30 minutes · 6 spots" in page.text
        and "30 minutes" in page.text
        and "A neat cut." in page.text
    )
    assert "Retired" not in page.text


# ---------- /book/{slug} ----------


async def test_the_type_page_opens_on_the_first_free_day(client, admin, db_session) -> None:
    staff, _kind = await _setup(db_session)
    page = await client.get("/book/haircut")
    assert page.status_code == 200 and page.headers["vary"] == "HX-Request"
    assert "Tuesday 1 December 2026" in page.text
    assert "Times shown in Europe/Paris</p>" in page.text  # the business zone: no second label
    times = _times(page.text)
    assert times[0] == ("09:00", "2026-12-01T08:00:00Z") and times[-1] == ("16:30", "2026-12-01T15:30:00Z")
    assert len(times) == 16
    assert (
        f'<option value="{staff.id}">Sam Stylist</option>' in page.text
        and '<option value="">Anyone</option>' in page.text
    )
    assert "data-detect-zone" in page.text and "js/booking-timezone.js" in page.text
    assert 'rel="prev"' not in page.text  # no day before today
    # A Saturday with nothing free: the page says so and starts the next week.
    saturday = await client.get("/book/haircut?date=2026-12-05")
    assert "No free times on this day." in saturday.text
    assert '>Monday 7 December 2026</a> <span class="muted">(16 times)</span>' in saturday.text
    assert "Tuesday 8 December 2026" in saturday.text and "Thursday 10 December 2026" not in saturday.text
    # Days outside the booking window (60 days) are brought back to its edges.
    far = await client.get("/book/haircut?date=9999-12-31")
    assert far.status_code == 200 and "Saturday 30 January 2027" in far.text and 'rel="next"' not in far.text
    assert 'max="2027-01-30"' in far.text
    past = await client.get("/book/haircut?date=2020-01-01")
    assert "Tuesday 1 December 2026" in past.text and 'rel="prev"' not in past.text


async def test_anonymous_pages_are_cached_until_the_bookings_change(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session)
    first, second = await client.get("/book/haircut"), await client.get("/book/haircut")
    assert first.headers.get("x-cache") is None and second.headers.get("x-cache") == "hit"
    assert second.text == first.text and ("09:00", "2026-12-01T08:00:00Z") in _times(second.text)
    await book(db_session, kind, TEN - timedelta(hours=1), Booker("Ann", "ann@example.com"), now=NOW)
    await db_session.commit()  # any process's booking raises the scheduling version
    fresh = await client.get("/book/haircut")
    assert fresh.headers.get("x-cache") is None and ("09:00", "2026-12-01T08:00:00Z") not in _times(
        fresh.text
    )
    kind.min_notice_hours = 3  # and so does a change of the set-up
    await db_session.commit()
    assert (await client.get("/book/haircut")).headers.get("x-cache") is None


async def test_times_are_shown_in_the_customers_zone(client, admin, db_session) -> None:
    await _setup(db_session)
    london = await client.get("/book/haircut?date=2026-12-02&tz=Europe/London")
    assert "Times shown in Europe/London · business in Europe/Paris" in london.text
    assert _times(london.text)[0] == ("08:00", "2026-12-02T08:00:00Z")  # 09:00 in Paris
    assert "data-detect-zone" not in london.text  # the customer chose
    assert london.text.count(" selected>") == 1 and '<option value="Europe/London" selected>' in london.text
    assert london.text.count("<option value=") > 400  # every zone is offered
    york = await client.get("/book/haircut?date=2026-12-02&tz=America/New_York")
    assert _times(york.text)[0] == ("03:00", "2026-12-02T08:00:00Z")
    # The days are the customer's: Wednesday in Tokyo starts during Tuesday afternoon in Paris.
    tokyo = _times((await client.get("/book/haircut?date=2026-12-02&tz=Asia/Tokyo")).text)
    assert tokyo[:3] == [
        ("00:00", "2026-12-01T15:00:00Z"),  # Tuesday 16:00 in Paris
        ("00:30", "2026-12-01T15:30:00Z"),
        ("17:00", "2026-12-02T08:00:00Z"),  # Wednesday 09:00 in Paris
    ]
    assert tokyo[-1] == ("23:30", "2026-12-02T14:30:00Z") and len(tokyo) == 16
    # An unknown zone falls back to the business zone.
    unknown = await client.get("/book/haircut?date=2026-12-02&tz=Mars/Olympus")
    assert _times(unknown.text)[0] == ("09:00", "2026-12-02T08:00:00Z")


async def test_a_signed_in_customers_own_zone_is_the_default(client, admin, db_session) -> None:
    await _setup(db_session)
    kim = await make_user("kim@example.com", ["user"])
    await db_session.execute(update(User).where(User.id == kim.id).values(timezone="Europe/London"))
    await db_session.commit()
    await sign_in(client, "kim@example.com", "another long passphrase")
    page = await client.get("/book/haircut?date=2026-12-02")
    assert "Times shown in Europe/London" in page.text and _times(page.text)[0][0] == "08:00"


async def test_htmx_gets_only_the_times(client, admin, db_session) -> None:
    staff, _kind = await _setup(db_session)
    htmx = {"HX-Request": "true"}
    fragment = await client.get(
        f"/book/haircut?date=2026-12-02&staff={staff.id}&tz=Europe/London", headers=htmx
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        fragment.text.lstrip().startswith('<section id="slots"')
        and 'id="booking-picker"' not in fragment.text
    )
    assert fragment.headers["vary"] == "HX-Request"
    assert (
        fragment.headers["hx-push-url"]
        == f"/book/haircut?date=2026-12-02&staff={staff.id}&tz=Europe%2FLondon"
    )
    assert 'id="day-field"' not in fragment.text  # the date field the customer is using stays put
    assert _times(fragment.text)[0] == ("08:00", "2026-12-02T08:00:00Z")
    assert f"staff={staff.id}" in fragment.text
    # A day link brings the date field along, out of band.
    moved = await client.get("/book/haircut?date=2026-12-03&tz=Europe/London&from=nav", headers=htmx)
    assert '<div id="day-field" hx-swap-oob="true">' in moved.text and 'value="2026-12-03"' in moved.text


async def test_a_chosen_staff_member_shows_only_their_times(client, admin, db_session) -> None:
    clock.freeze(NOW)
    early = await make_staff(db_session, "early@example.com", "Eve Early", hours=((2, time(8), time(10)),))
    late = await make_staff(db_session, "late@example.com", "Leo Late", hours=((2, time(15), time(17)),))
    await make_type(db_session, [early, late], duration_minutes=60, step_minutes=60)
    anyone = await client.get("/book/haircut?date=2026-12-02")
    assert [label for label, _ in _times(anyone.text)] == ["08:00", "09:00", "15:00", "16:00"]
    only_leo = await client.get(f"/book/haircut?date=2026-12-02&staff={late.id}")
    assert [label for label, _ in _times(only_leo.text)] == ["15:00", "16:00"]
    assert f'<option value="{late.id}" selected>Leo Late</option>' in only_leo.text
    stranger = await client.get("/book/haircut?date=2026-12-02&staff=not-a-staff-id")
    assert len(_times(stranger.text)) == 4  # anyone


async def test_group_types_show_the_spots_left(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session, name="Yoga", slug="yoga", max_attendees=3)
    await _book(db_session, kind)
    page = await client.get("/book/yoga?date=2026-12-01")
    assert (
        "10:00 <small>· 2 spots left</small>" in page.text
        and "10:30 <small>· 3 spots left</small>" in page.text
    )


async def test_unknown_or_inactive_types_are_404(client, admin, db_session) -> None:
    staff, _kind = await _setup(db_session)
    await make_type(db_session, [staff], name="Old", slug="old", active=False)
    for url in ("/book/nope", "/book/old", "/book/old/details?start=" + TEN_PARAM):
        assert (await client.get(url)).status_code == 404, url


# ---------- the waitlist ----------


async def test_joining_the_waitlist_without_javascript(client, admin, db_session) -> None:
    await _setup(db_session)
    page = await client.get("/book/haircut?date=2026-12-05&tz=Europe/London")
    assert "Join the waitlist for Saturday 5 December 2026" in page.text
    form = {
        "date": "2026-12-05",
        "staff": "",
        "tz": "Europe/London",
        "time_of_day": "morning",
        "name": "Wendy",
        "email": "Wendy@Example.com",
    }
    joined = await post_form(client, "/book/haircut/waitlist", form, follow_redirects=False)
    assert joined.status_code == 303
    assert joined.headers["location"] == "/book/haircut?date=2026-12-05&tz=Europe%2FLondon"
    entry = await db_session.scalar(select(WaitlistEntry))
    assert (entry.day, entry.time_of_day, entry.name, entry.email, entry.timezone, entry.status) == (
        date(2026, 12, 5),
        "morning",
        "Wendy",
        "wendy@example.com",
        "Europe/London",
        "waiting",
    )
    after = await client.get(joined.headers["location"])
    assert "Thank you: we will email you if a time comes free on Saturday 5 December 2026." in after.text


async def test_the_waitlist_form_with_htmx_and_its_errors(client, admin, db_session) -> None:
    await _setup(db_session)
    form = {"date": "2026-12-05", "tz": "Europe/Paris", "time_of_day": "evening", "name": "", "email": "nope"}
    refused = await post_form(client, "/book/haircut/waitlist", form, htmx=True)
    assert refused.status_code == 422 and refused.text.lstrip().startswith('<section id="waitlist"')
    assert (
        "Enter your name." in refused.text
        and "Enter your email address, like name@example.com." in refused.text
    )
    assert 'value="nope"' in refused.text and '<option value="evening" selected>' in refused.text
    plain = await post_form(client, "/book/haircut/waitlist", form)
    assert plain.status_code == 422 and "<html" in plain.text and "Enter your name." in plain.text
    thanked = await post_form(
        client, "/book/haircut/waitlist", {**form, "name": "Wendy", "email": "w@example.com"}, htmx=True
    )
    assert thanked.status_code == 200 and "<html" not in thanked.text
    assert "Thank you: we will email you if a time comes free on Saturday 5 December 2026." in thanked.text
    past = await post_form(
        client,
        "/book/haircut/waitlist",
        {**form, "date": "2026-11-30", "name": "W", "email": "w@example.com"},
        htmx=True,
    )
    assert past.status_code == 422 and "That day has passed." in past.text


# ---------- details ----------


async def test_the_details_step_shows_the_time_in_both_zones(client, admin, db_session) -> None:
    staff, _kind = await _setup(
        db_session, questions=QUESTIONS, price=4000, deposit_kind="amount", deposit_value=1000
    )
    page = await client.get(f"/book/haircut/details?start={TEN_PARAM}&staff={staff.id}&tz=Europe/London")
    assert page.status_code == 200
    assert "Tuesday 1 December 2026, 09:00 (Europe/London)" in page.text
    assert "Tuesday 1 December 2026, 10:00 (Europe/Paris) at Test Bakery" in page.text
    assert "with Sam Stylist" in page.text and "€40.00" in page.text and "deposit €10.00" in page.text
    assert f'name="start" value="{TEN_PARAM}"' in page.text and 'name="tz" value="Europe/London"' in page.text
    assert '<option value="Colour">Colour</option>' in page.text and 'name="q_notes"' in page.text
    assert 'name="q_terms" required' in page.text
    assert (await client.get("/book/haircut/details?start=garbage", follow_redirects=False)).headers[
        "location"
    ] == "/book/haircut"


async def test_the_details_form_is_prefilled_for_a_signed_in_customer(client, admin, db_session) -> None:
    await _setup(db_session)
    await make_user("kim@example.com", ["user"], first_name="Kim", last_name="Lee")
    await sign_in(client, "kim@example.com", "another long passphrase")
    page = await client.get(f"/book/haircut/details?start={TEN_PARAM}")
    assert 'value="Kim Lee"' in page.text and 'value="kim@example.com"' in page.text


async def test_booking_without_javascript_confirms_and_emails(client, admin, db_session) -> None:
    _staff, _kind = await _setup(db_session, questions=QUESTIONS)
    await client.get("/book/haircut")
    answers = {"q_goal": "Colour", "q_notes": "Short please", "q_terms": "on"}
    done = await post_form(
        client, "/book/haircut/details", _details(tz="Europe/London", **answers), follow_redirects=False
    )
    assert done.status_code == 303
    attendee = await db_session.scalar(select(Attendee))
    assert done.headers["location"] == f"/book/done/{manage_token(attendee.id)}"
    assert (attendee.name, attendee.email, attendee.phone, attendee.timezone) == (
        "Ada Client",
        "ada@example.com",
        "0600",
        "Europe/London",
    )
    assert attendee.answers == {"goal": "Colour", "notes": "Short please", "terms": True}
    appointment = await db_session.get(Appointment, attendee.appointment_id)
    assert (appointment.start_at, appointment.status) == (TEN, "confirmed")
    email = await db_session.scalar(select(OutboxEmail))
    assert email.to_address == "ada@example.com" and email.subject.startswith("Booked: Haircut on")
    assert email.attachments[0]["filename"] == "haircut.ics"


async def test_booking_with_htmx_redirects_by_header(client, admin, db_session) -> None:
    await _setup(db_session)
    done = await post_form(client, "/book/haircut/details", _details(), htmx=True)
    attendee = await db_session.scalar(select(Attendee))
    assert done.status_code < 300 and done.headers["hx-redirect"] == f"/book/done/{manage_token(attendee.id)}"


async def test_missing_details_are_422_and_nothing_is_lost(client, admin, db_session) -> None:
    await _setup(db_session, questions=QUESTIONS)
    sent = _details(name="", email="ada@", phone="0611", q_goal="Perm", q_notes="Keep me")
    refused = await post_form(client, "/book/haircut/details", sent, htmx=True)
    assert refused.status_code == 422 and refused.text.lstrip().startswith('<div id="details"')
    assert (
        "Enter your name." in refused.text
        and "Enter your email address, like name@example.com." in refused.text
    )
    assert (
        "Choose one of the options." in refused.text and "Please tick this box to continue." in refused.text
    )
    assert (
        'value="ada@"' in refused.text
        and 'value="0611"' in refused.text
        and "Keep me</textarea>" in refused.text
    )
    assert f'name="start" value="{TEN_PARAM}"' in refused.text
    required = await post_form(client, "/book/haircut/details", _details(q_terms="on"))
    assert (
        required.status_code == 422
        and "<html" in required.text
        and "This field is required." in required.text
    )
    assert (await db_session.scalar(select(Attendee))) is None


async def test_a_time_taken_meanwhile_is_409_with_the_other_times(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session)
    await _book(db_session, kind)  # someone else got 10:00 first
    taken = await post_form(client, "/book/haircut/details", _details(name="Bea", phone="0707"))
    assert taken.status_code == 409
    assert (
        "That time was just taken." in taken.text
        and "Pick another time below: what you typed is kept." in taken.text
    )
    assert 'value="Bea"' in taken.text and 'value="0707"' in taken.text
    assert f'value="{TEN_PARAM}"' not in taken.text
    assert '<input type="radio" name="start" value="2026-12-01T08:00:00Z" checked> 09:00' in taken.text
    back = 'href="/book/haircut?date=2026-12-01&amp;tz=Europe%2FParis"'
    assert back in taken.text
    # Picking one of them books it, with what was typed.
    again = await post_form(
        client,
        "/book/haircut/details",
        _details(name="Bea", start="2026-12-01T08:00:00Z"),
        follow_redirects=False,
    )
    assert again.status_code == 303
    # The details page of a time already gone says so at once.
    stale = await client.get(f"/book/haircut/details?start={TEN_PARAM}")
    assert stale.status_code == 409 and "That time was just taken." in stale.text


async def test_other_refusals_are_422_with_their_message(client, admin, db_session) -> None:
    await _setup(db_session)
    past = await post_form(client, "/book/haircut/details", _details(start="2026-12-01T06:00:00Z"))
    assert past.status_code == 422 and "That time has passed." in past.text
    # The day's free times are offered in the same form, with what was typed.
    assert 'value="Ada Client"' in past.text
    assert '<input type="radio" name="start" value="2026-12-01T08:00:00Z" checked> 09:00' in past.text
    closed = await post_form(
        client, "/book/haircut/details", _details(start="2026-12-05T09:00:00Z"), htmx=True
    )
    assert closed.status_code == 422 and "We are closed that day." in closed.text
    # Nothing free that day: no form to send again, a way back to the times instead.
    assert 'name="email"' not in closed.text
    assert (
        'href="/book/haircut?date=2026-12-05&amp;tz=Europe%2FParis">Choose another time</a>.' in closed.text
    )
    assert (await db_session.scalar(select(Attendee))) is None


# ---------- confirmation, calendar file ----------


async def test_the_confirmation_shows_qr_code_and_links(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session, location="1 rue de la Paix, Paris")
    attendee = await _book(db_session, kind, zone="Europe/London")
    token = manage_token(attendee.id)
    page = await client.get(f"/book/done/{token}")
    assert page.status_code == 200 and "You are booked" in page.text
    assert "Tuesday 1 December 2026, 09:00 (Europe/London)" in page.text
    assert "Tuesday 1 December 2026, 10:00 (Europe/Paris) at Test Bakery" in page.text
    assert "1 rue de la Paix, Paris" in page.text and "Sam Stylist" in page.text
    assert "<svg" in page.text and attendee.checkin_code in page.text
    assert (
        f'href="/book/manage/{token}/appointment.ics"' in page.text
        and f'href="/book/manage/{token}"' in page.text
    )
    assert (await client.get(f"/book/done/{attendee.id}.forged")).status_code == 404
    assert (await client.get("/book/done/garbage")).status_code == 404


async def test_the_calendar_file_of_a_booking(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session)
    attendee = await _book(db_session, kind, zone="Europe/London")
    response = await client.get(f"/book/manage/{manage_token(attendee.id)}/appointment.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="haircut.ics"'
    calendar = Calendar.from_ical(response.content)
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == TEN and str(event["DTSTART"].params["TZID"]) == "Europe/London"
    assert str(event["SUMMARY"]) == "Haircut with Sam Stylist"
    assert (await client.get("/book/manage/nope/appointment.ics")).status_code == 404


# ---------- manage: cancel ----------


async def test_cancelling_through_the_link(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session)
    attendee = await _book(db_session, kind, start=THURSDAY)
    token = manage_token(attendee.id)
    page = await client.get(f"/book/manage/{token}")
    assert page.status_code == 200 and "You can cancel free of charge." in page.text
    assert "You can reschedule 2 more times." in page.text
    assert (
        f'action="/book/manage/{token}/cancel"' in page.text
        and 'data-confirm="Cancel this booking?"' in page.text
    )
    cancelled = await post_form(client, f"/book/manage/{token}/cancel", follow_redirects=False)
    assert cancelled.status_code == 303 and cancelled.headers["location"] == f"/book/manage/{token}"
    after = await client.get(f"/book/manage/{token}")
    assert "Your booking is cancelled." in after.text and "This booking is cancelled." in after.text
    assert "This booking can no longer be changed online." in after.text and "/cancel" not in after.text
    await db_session.refresh(attendee)
    assert attendee.status == "cancelled"
    again = await post_form(client, f"/book/manage/{token}/cancel")
    assert again.status_code == 422 and "This booking is already cancelled." in again.text
    assert (await client.get("/book/manage/garbage")).status_code == 404


async def test_a_late_cancellation_names_its_fee_or_is_refused(client, admin, db_session) -> None:
    staff, kind = await _setup(db_session, cancellation_hours=24, cancellation_fee=1500)
    attendee = await _book(db_session, kind)  # in three hours
    token = manage_token(attendee.id)
    page = await client.get(f"/book/manage/{token}")
    assert "Cancelling less than 24 hours before costs a fee of €15.00." in page.text
    assert 'data-confirm="Cancel this booking? A fee of €15.00 applies."' in page.text
    cancelled = await post_form(client, f"/book/manage/{token}/cancel")
    assert "Your booking is cancelled. A cancellation fee of €15.00 applies." in cancelled.text
    strict = await make_type(db_session, [staff], name="Strict", slug="strict", cancellation_hours=24)
    other = await _book(db_session, strict, start=TEN + timedelta(hours=2), n=2)
    refused = await post_form(client, f"/book/manage/{manage_token(other.id)}/cancel")
    assert refused.status_code == 422 and "It is too late to cancel online" in refused.text


# ---------- manage: reschedule ----------


async def test_rescheduling_through_the_link(client, admin, db_session) -> None:
    _staff, kind = await _setup(db_session, duration_minutes=60)
    attendee = await _book(db_session, kind, start=THURSDAY, zone="Europe/London")
    token = manage_token(attendee.id)
    page = await client.get(f"/book/manage/{token}/reschedule?date=2026-12-03")
    assert page.status_code == 200 and "Times shown in Europe/London · business in Europe/Paris" in page.text
    assert '<option value="Europe/London" selected>' in page.text  # their zone, as booked
    assert (
        "Now: <strong>Thursday 3 December 2026, 09:00 (Europe/London)</strong> with Sam Stylist." in page.text
    )
    found = re.findall(
        r'href="/book/manage/[^"]+/reschedule\?([^"]+)" role="button" class="outline">(\d\d:\d\d)', page.text
    )
    # The booking does not stand in its own way: 08:30 to 09:30 overlap only itself.
    assert [label for _query, label in found[:4]] == ["08:00", "08:30", "09:00", "09:30"]
    assert "start=2026-12-03T08%3A30%3A00Z" in found[1][0]
    chosen = await client.get(
        f"/book/manage/{token}/reschedule?tz=Europe/London&date=2026-12-03&start=2026-12-03T13:00:00Z"
    )
    assert "Move to Thursday 3 December 2026, 13:00 (Europe/London)?" in chosen.text
    fragment = await client.get(
        f"/book/manage/{token}/reschedule?date=2026-12-02", headers={"HX-Request": "true"}
    )
    assert (
        fragment.text.lstrip().startswith('<section id="slots"')
        and "Wednesday 2 December 2026" in fragment.text
    )
    moved = await post_form(
        client,
        f"/book/manage/{token}/reschedule",
        {"start": "2026-12-03T13:00:00Z", "tz": "Europe/London"},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"/book/done/{token}"
    appointment = await db_session.scalar(select(Appointment).execution_options(populate_existing=True))
    assert appointment.start_at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC) and appointment.sequence == 1
    done = await client.get(moved.headers["location"])
    assert "Your booking has moved to Thursday 3 December 2026, 13:00 (Europe/London)." in done.text


async def test_rescheduling_refusals(client, admin, db_session) -> None:
    staff, kind = await _setup(db_session)
    attendee = await _book(db_session, kind, start=THURSDAY)
    await _book(db_session, kind, start=THURSDAY + timedelta(hours=2), n=2)
    token = manage_token(attendee.id)
    taken = await post_form(client, f"/book/manage/{token}/reschedule", {"start": "2026-12-03T11:00:00Z"})
    assert taken.status_code == 409 and "That time was just taken." in taken.text
    closed = await post_form(client, f"/book/manage/{token}/reschedule", {"start": "2026-12-05T09:00:00Z"})
    assert closed.status_code == 422 and "We are closed that day." in closed.text
    garbage = await post_form(client, f"/book/manage/{token}/reschedule", {"start": "soon"})
    assert garbage.status_code == 422 and "Choose one of the times offered." in garbage.text
    fixed = await make_type(db_session, [staff], name="Fixed", slug="fixed", max_reschedules=0)
    other = await _book(db_session, fixed, start=THURSDAY + timedelta(hours=4), n=3)
    other_token = manage_token(other.id)
    page = await client.get(f"/book/manage/{other_token}/reschedule")
    assert (
        "This booking has been rescheduled the most times allowed (0)." in page.text
        and 'id="slots"' not in page.text
    )
    refused = await post_form(
        client, f"/book/manage/{other_token}/reschedule", {"start": "2026-12-02T09:00:00Z"}
    )
    assert refused.status_code == 422 and "rescheduled the most times allowed" in refused.text


# ---------- waitlist offers ----------


async def _offer(db_session, kind, staff, expires: datetime) -> WaitlistEntry:
    entry = WaitlistEntry(
        type_id=kind.id,
        day=date(2026, 12, 1),
        name="Wendy",
        email="wendy@example.com",
        timezone="Europe/London",
        status="offered",
        offered_start=TEN,
        offered_staff_id=staff.id,
        offer_expires_at=expires,
    )
    db_session.add(entry)
    await db_session.commit()
    return entry


async def test_claiming_a_waitlist_offer(client, admin, db_session) -> None:
    staff, kind = await _setup(db_session)
    entry = await _offer(db_session, kind, staff, NOW + timedelta(hours=2))
    token = manage_token(entry.id, "claim")
    page = await client.get(f"/book/claim/{token}")
    assert page.status_code == 200 and "Tuesday 1 December 2026, 09:00 (Europe/London)" in page.text
    assert "held for you, Wendy, until 09:00 (Europe/London)" in page.text and "With Sam Stylist" in page.text
    claimed = await post_form(client, f"/book/claim/{token}", follow_redirects=False)
    attendee = await db_session.scalar(select(Attendee))
    assert (
        claimed.status_code == 303
        and claimed.headers["location"] == f"/book/done/{manage_token(attendee.id)}"
    )
    assert (attendee.email, attendee.timezone) == ("wendy@example.com", "Europe/London")
    assert (await db_session.scalar(select(OutboxEmail.to_address))) == "wendy@example.com"
    again = await client.get(f"/book/claim/{token}")
    assert (
        "You have already booked this time." in again.text
        and f'href="/book/done/{manage_token(attendee.id)}"' in again.text
    )
    assert (
        await client.get(f"/book/claim/{manage_token(entry.id)}")
    ).status_code == 404  # a manage token is no claim token


async def test_an_expired_offer_says_so(client, admin, db_session) -> None:
    staff, kind = await _setup(db_session)
    entry = await _offer(db_session, kind, staff, NOW - timedelta(minutes=1))
    token = manage_token(entry.id, "claim")
    page = await client.get(f"/book/claim/{token}")
    assert (
        page.status_code == 410
        and "This offer has expired" in page.text
        and "Book this time" not in page.text
    )
    refused = await post_form(client, f"/book/claim/{token}")
    assert refused.status_code == 410 and "This offer has expired" in refused.text
    assert (await db_session.scalar(select(Attendee))) is None


async def test_a_staff_proposal_is_accepted_or_declined_through_the_link(client, admin, db_session) -> None:
    from verso.domains.scheduling.models import RescheduleRequest
    from verso.domains.scheduling.services import load_appointment, propose_time

    _staff, kind = await _setup(db_session)
    attendee = await _book(db_session, kind, start=THURSDAY)
    token = manage_token(attendee.id)
    appointment = await load_appointment(db_session, attendee.appointment_id)
    later = THURSDAY + timedelta(hours=2)
    await propose_time(db_session, appointment, later, reason="The kiln is busy", actor_id=None, now=NOW)
    await db_session.commit()
    page = await client.get(f"/book/manage/{token}")
    assert "We suggest a new time" in page.text and "The kiln is busy" in page.text
    assert f'action="/book/manage/{token}/proposal"' in page.text
    accepted = await post_form(
        client, f"/book/manage/{token}/proposal", {"answer": "accept"}, follow_redirects=False
    )
    assert accepted.status_code == 303
    moved = await db_session.scalar(
        select(Appointment.start_at).where(Appointment.id == attendee.appointment_id)
    )
    assert moved == later
    assert (await db_session.scalar(select(RescheduleRequest.status))) == "approved"
    after = await client.get(f"/book/manage/{token}")
    assert (
        "Your booking has moved to the new time." in after.text and "We suggest a new time" not in after.text
    )
    none_left = await post_form(client, f"/book/manage/{token}/proposal", {"answer": "decline"})
    assert none_left.status_code == 422 and "There is no new time waiting for your answer." in none_left.text
