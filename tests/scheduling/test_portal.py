"""The customer's appointments at /account/appointments: their own bookings only, upcoming and past,
in their time zone; one booking's page with the check-in QR code, the policy's messages and the
reschedule link; cancelling within the policy (fee said first) and refused outside it (422); anyone
else's booking answering 404; and the "my bookings" feed shown once, working, then revoked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from uuid import uuid4

import pytest
from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.identity.models import User
from verso.domains.scheduling.models import Attendee, CalendarFeed
from verso.domains.scheduling.services import Booker, book, load_attendee, manage_token
from verso.domains.scheduling.views._calendar._board import FEED_DOWNLOADS_PER_MINUTE
from verso.lib import clock

URL = "/account/appointments"
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Paris (the business zone)
TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris, 04:00 in New York


@pytest.fixture
async def cleo(client, admin, db_session) -> User:
    """A signed-in customer who lives in New York (the clock at NOW from before she signs in)."""
    clock.freeze(NOW)
    user = await make_user("cleo@example.com", ["user"], email_verified=True, first_name="Cleo")
    await db_session.execute(update(User).where(User.id == user.id).values(timezone="America/New_York"))
    await db_session.commit()
    await sign_in(client, "cleo@example.com", PASSWORD)
    return user


@pytest.fixture
async def staff(db_session):
    return await make_staff(db_session)


async def _book(db_session, kind, start: datetime, customer_id=None, name: str = "Cleo", now=NOW) -> Attendee:
    booker = Booker(name=name, email=f"{name.lower()}@example.com", timezone="America/New_York",
                    customer_id=customer_id)  # fmt: skip
    attendee = await book(db_session, kind, start, booker, now=now)
    await db_session.commit()
    return attendee


async def test_anonymous_visitors_are_sent_to_sign_in(client, admin) -> None:
    response = await client.get(URL, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_list_shows_only_their_bookings_in_their_zone(client, cleo, db_session, staff) -> None:
    kind = await make_type(db_session, [staff], location="12 Rue de la Paix")
    soon = await _book(db_session, kind, TEN, cleo.id)
    later = await _book(db_session, kind, TEN + timedelta(days=1), cleo.id)
    past = await _book(db_session, kind, TEN - timedelta(days=7), cleo.id, now=NOW - timedelta(days=8))
    await _book(db_session, kind, TEN + timedelta(hours=2), name="Dan")  # someone else's
    page = await client.get(URL)
    text = unescape(page.text)
    assert page.status_code == 200 and "<html" in text
    assert "in your time zone (America/New_York)" in text
    upcoming, past_part = text.split('id="past-title"')
    assert upcoming.index(f'href="{URL}/{soon.id}">Tue 1 Dec 2026, 04:00') < upcoming.index(
        f'href="{URL}/{later.id}">Wed 2 Dec 2026, 04:00'
    )
    assert f'href="{URL}/{past.id}">Tue 24 Nov 2026, 04:00' in past_part and str(soon.id) not in past_part
    assert "Sam Stylist" in upcoming and "Haircut" in upcoming and "12 Rue de la Paix" in upcoming
    assert "Confirmed" in upcoming
    assert "Dan" not in text and text.count(f'href="{URL}/') == 3
    fragment = await client.get(URL, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="my-appointments">')
    assert fragment.headers["vary"] == "HX-Request"


async def test_nothing_booked_yet(client, cleo) -> None:
    page = await client.get(URL)
    assert page.status_code == 200 and "Nothing booked" in page.text and "Get a calendar feed" in page.text


async def test_a_booking_page_has_the_code_the_policy_and_the_reschedule_link(
    client, cleo, db_session, staff
) -> None:
    kind = await make_type(db_session, [staff], cancellation_hours=0, reschedule_hours=0, max_reschedules=2)
    mine = await _book(db_session, kind, TEN, cleo.id)
    page = await client.get(f"{URL}/{mine.id}")
    text = unescape(page.text)
    assert page.status_code == 200
    assert "Tuesday 1 December 2026, 04:00 (America/New_York)" in text
    assert "Tuesday 1 December 2026, 10:00 (Europe/Paris)" in text  # the business's time too
    assert mine.checkin_code in text and "<svg" in text and 'aria-label="QR code for checking in"' in text
    assert "You can cancel free of charge." in text and "You can reschedule 2 more times." in text
    token = manage_token(mine.id)
    assert f'href="/book/manage/{token}/reschedule"' in text
    assert f'href="/book/manage/{token}/appointment.ics"' in text
    assert f'action="{URL}/{mine.id}/cancel"' in text


async def test_anyone_elses_booking_is_404(client, cleo, db_session, staff) -> None:
    kind = await make_type(db_session, [staff])
    theirs = await _book(db_session, kind, TEN, name="Dan")
    bob = await make_user("bob@example.com", ["user"])
    bobs = await _book(db_session, kind, TEN + timedelta(hours=1), bob.id, name="Bob")
    for attendee_id in (theirs.id, bobs.id, uuid4()):
        assert (await client.get(f"{URL}/{attendee_id}")).status_code == 404
        refused = await post_form(client, f"{URL}/{attendee_id}/cancel")
        assert refused.status_code == 404
    statuses = set(await db_session.scalars(select(Attendee.status)))
    assert statuses == {"confirmed"}


async def test_cancelling_says_the_fee_first_then_charges_it(client, cleo, db_session, staff) -> None:
    kind = await make_type(db_session, [staff], cancellation_hours=24, cancellation_fee=1500)
    mine = await _book(db_session, kind, TEN, cleo.id)
    page = unescape((await client.get(f"{URL}/{mine.id}")).text)
    assert "Cancelling less than 24 hours before costs a fee of €15.00." in page
    assert 'data-confirm="Cancel this booking? A fee of €15.00 applies."' in page
    done = await post_form(client, f"{URL}/{mine.id}/cancel", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{URL}/{mine.id}"
    after = unescape((await client.get(f"{URL}/{mine.id}")).text)
    assert "Your booking is cancelled. A cancellation fee of €15.00 applies." in after
    assert "This booking is cancelled." in after and mine.checkin_code not in after
    mine_id = mine.id
    db_session.expire_all()
    assert (await load_attendee(db_session, mine_id)).status == "cancelled"


async def test_cancelling_too_late_is_refused_with_the_reason(client, cleo, db_session, staff) -> None:
    kind = await make_type(db_session, [staff], cancellation_hours=24)
    mine = await _book(db_session, kind, TEN, cleo.id)
    page = unescape((await client.get(f"{URL}/{mine.id}")).text)
    assert "It is too late to cancel online" in page and f'action="{URL}/{mine.id}/cancel"' not in page
    refused = await post_form(client, f"{URL}/{mine.id}/cancel")
    assert refused.status_code == 422
    assert 'role="alert"><p class="form-errors-title">It is too late to cancel online' in unescape(
        refused.text
    )
    mine_id = mine.id
    db_session.expire_all()
    assert (await load_attendee(db_session, mine_id)).status == "confirmed"


async def test_the_feed_address_is_shown_once_works_and_is_revoked(client, cleo, db_session, staff) -> None:
    kind = await make_type(db_session, [staff])
    await _book(db_session, kind, TEN, cleo.id)
    await _book(db_session, kind, TEN + timedelta(hours=1), name="Dan")
    issued = await post_form(client, f"{URL}/feed")
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    text = unescape(issued.text)
    start = text.index('id="feed-url" type="text" readonly value="') + len(
        'id="feed-url" type="text" readonly value="'
    )
    address = text[start : text.index('"', start)]
    assert address.startswith("http") and address.endswith(".ics") and "/calendars/" in address
    ics = await client.get(address[address.index("/calendars/") :])
    assert ics.status_code == 200 and "NAME:Test Bakery: My bookings" in ics.text
    assert ics.text.count("BEGIN:VEVENT") == 1 and "DTSTART;TZID=Europe/Paris:20261201T100000" in ics.text
    again = unescape((await client.get(URL)).text)
    assert address not in again and "Revoke feed" in again and "Make a new address" in again
    htmx = await post_form(client, f"{URL}/feed", htmx=True)
    assert htmx.status_code == 201 and htmx.text.lstrip().startswith('<div id="my-appointments">')
    assert address not in htmx.text  # a new address replaces the old one
    assert (await client.get(address[address.index("/calendars/") :])).status_code == 404
    revoked = await post_form(client, f"{URL}/feed/revoke", follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == URL
    assert await db_session.scalar(select(CalendarFeed.id)) is None
    assert "Get a calendar feed" in (await client.get(URL)).text


async def test_a_feed_answers_a_few_times_a_minute(client, cleo, db_session, staff) -> None:
    kind = await make_type(db_session, [staff])
    await _book(db_session, kind, TEN, cleo.id)
    issued = unescape((await post_form(client, f"{URL}/feed")).text)
    path = re.search(r'(/calendars/[^"]+\.ics)', issued).group(1)
    answers = [(await client.get(path)).status_code for _ in range(FEED_DOWNLOADS_PER_MINUTE + 1)]
    assert answers[:-1] == [200] * FEED_DOWNLOADS_PER_MINUTE and answers[-1] == 429
    assert (await client.get("/calendars/someone-else.ics")).status_code == 404  # counted per feed
