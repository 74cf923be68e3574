"""After booking: the policy's messages, cancelling, rescheduling (SEQUENCE raised, same UID),
status transitions, check-in refusals, the waitlist hand-over, reminders and feeds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.scheduling.helpers import make_staff, make_type
from verso.domains.ops.services import Business, business_cache
from verso.domains.scheduling.models import Appointment, WaitlistEntry
from verso.domains.scheduling.services import (
    Booker,
    PolicyError,
    book,
    cancel_attendee,
    check_in,
    claim_offer,
    confirm_booking,
    expire_offers,
    feed_for_token,
    issue_feed,
    join_waitlist,
    load_attendee,
    policy_view,
    reschedule_attendee,
    revoke_feed,
    send_reminders,
    set_status,
)
from verso.lib.email import OutboxEmail

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Paris
TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def person(n: int = 1) -> Booker:
    return Booker(name=f"Client {n}", email=f"client{n}@example.com", timezone="Europe/Paris")


async def _booked(db_session, kind, start=TEN, n=1, now=NOW):
    attendee = await book(db_session, kind, start, person(n), now=now)
    loaded = await load_attendee(db_session, attendee.id)
    await confirm_booking(db_session, loaded, now=now)
    await db_session.commit()
    return await load_attendee(db_session, attendee.id)


async def _emails(db_session) -> list[OutboxEmail]:
    return list(await db_session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def _ics(email: OutboxEmail) -> Calendar:
    return Calendar.from_ical(email.attachments[0]["content"])


async def test_confirmation_carries_an_invitation_and_a_check_in_code(db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)])
    attendee = await _booked(db_session, kind)
    (email,) = await _emails(db_session)
    assert email.subject.startswith("Booked: Haircut on Tuesday 1 December 2026, 10:00 (Europe/Paris)")
    assert attendee.checkin_code in email.text_body
    assert f"/book/manage/{attendee.id}." in email.text_body
    calendar = _ics(email)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == TEN
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


async def test_cancelling_inside_the_window_is_refused_without_a_fee_and_charged_with_one(db_session) -> None:
    staff = await make_staff(db_session)
    free = await make_type(db_session, [staff], cancellation_hours=24)
    attendee = await _booked(db_session, free)
    view = policy_view(attendee, now=NOW)
    assert view.can_cancel is False
    assert "too late to cancel online" in view.cancel_message
    with pytest.raises(PolicyError, match="too late to cancel"):
        await cancel_attendee(db_session, attendee, now=NOW, by_staff=False)
    await db_session.rollback()
    paid = await make_type(db_session, [staff], slug="colour", name="Colour", cancellation_fee=1500)
    other = await _booked(db_session, paid, start=TEN + timedelta(hours=2), n=2)
    assert "fee of €15.00" in policy_view(other, now=NOW).cancel_message
    assert await cancel_attendee(db_session, other, now=NOW, by_staff=False) == 1500
    await db_session.commit()
    cancelled = await load_attendee(db_session, other.id)
    assert (cancelled.status, cancelled.appointment.status) == ("cancelled", "cancelled")
    last = (await _emails(db_session))[-1]
    calendar = _ics(last)
    assert calendar["METHOD"] == "CANCEL"
    assert calendar.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


async def test_reschedule_keeps_the_uid_raises_the_sequence_and_counts(db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)], max_reschedules=1, reschedule_hours=1)
    attendee = await _booked(db_session, kind)
    uid = _ics((await _emails(db_session))[0]).walk("VEVENT")[0]["UID"]
    moved = await reschedule_attendee(db_session, attendee, TEN + timedelta(hours=3), now=NOW, by_staff=False)
    await db_session.commit()
    assert moved.appointment.start_at == TEN + timedelta(hours=3)
    assert moved.reschedules == 1
    event = _ics((await _emails(db_session))[-1]).walk("VEVENT")[0]
    assert (event["UID"], event["SEQUENCE"]) == (uid, 1)
    with pytest.raises(PolicyError, match="most times allowed"):
        await reschedule_attendee(db_session, moved, TEN, now=NOW, by_staff=False)


async def test_status_follows_the_allowed_transitions(db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)])
    attendee = await _booked(db_session, kind)
    appointment = attendee.appointment
    with pytest.raises(PolicyError, match="can become: cancelled, completed, in_progress, no_show"):
        await set_status(db_session, appointment, "scheduled", now=NOW)
    await set_status(db_session, appointment, "completed", now=NOW)
    with pytest.raises(PolicyError, match="can become: none"):
        await set_status(db_session, appointment, "confirmed", now=NOW)


async def test_check_in_refuses_wrong_day_used_and_unknown_codes(db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)])
    attendee = await _booked(db_session, kind, start=TEN + timedelta(days=1))
    with pytest.raises(PolicyError, match="not today"):
        await check_in(db_session, attendee.checkin_code, method="qr", now=NOW)
    with pytest.raises(PolicyError, match="Unknown code"):
        await check_in(db_session, "NOPE", method="manual", now=NOW)
    arrival = TEN + timedelta(days=1, minutes=-5)
    with pytest.raises(PolicyError, match="expired"):
        await check_in(db_session, attendee.checkin_code, method="manual", now=arrival + timedelta(days=2))
    done = await check_in(db_session, attendee.checkin_code.lower(), method="qr", now=arrival)
    assert (done.checkin_method, done.appointment.status) == ("qr", "in_progress")
    with pytest.raises(PolicyError, match="Already checked in at 08:55"):
        await check_in(db_session, attendee.checkin_code, method="manual", now=arrival)


async def test_a_freed_slot_is_offered_in_order_and_passes_on_when_the_offer_expires(db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)], cancellation_hours=0)
    wednesday = TEN + timedelta(days=1)
    attendee = await _booked(db_session, kind, start=wednesday)
    day = wednesday.date()
    first = await join_waitlist(db_session, kind, day=day, time_of_day="morning", booker=person(7), now=NOW)
    vip = await join_waitlist(db_session, kind, day=day, time_of_day="any", booker=person(8), now=NOW)
    vip.priority = 5
    evening = await join_waitlist(db_session, kind, day=day, time_of_day="evening", booker=person(9), now=NOW)
    await db_session.commit()
    await cancel_attendee(db_session, attendee, now=NOW, by_staff=False)
    await db_session.commit()
    await db_session.refresh(vip)
    assert (vip.status, vip.offered_start) == ("offered", wednesday)
    (offer_email,) = [e for e in await _emails(db_session) if e.template == "scheduling/waitlist_offer"]
    assert offer_email.to_address == "client8@example.com"
    assert "/book/claim/" in offer_email.text_body
    assert await expire_offers(db_session, now=NOW + timedelta(hours=3)) == 1
    await db_session.commit()
    for entry in (vip, first, evening):
        await db_session.refresh(entry)
    assert (vip.status, first.status, evening.status) == ("expired", "offered", "waiting")
    with pytest.raises(PolicyError, match="expired"):
        await claim_offer(db_session, vip, now=NOW + timedelta(hours=3))
    claimed = await claim_offer(db_session, first, now=NOW + timedelta(hours=3, minutes=5))
    await db_session.commit()
    assert claimed.email == "client7@example.com"
    assert (await db_session.get(WaitlistEntry, first.id)).status == "booked"


async def test_reminders_go_once_and_not_for_moments_before_the_booking(db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)], reminder_hours=[24, 2])
    early = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    attendee = await book(db_session, kind, TEN, person(), now=early)
    attendee.created_at = early
    await db_session.commit()
    assert await send_reminders(db_session, now=TEN - timedelta(hours=30)) == 0
    assert await send_reminders(db_session, now=TEN - timedelta(hours=23)) == 1
    assert await send_reminders(db_session, now=TEN - timedelta(hours=22)) == 0
    assert await send_reminders(db_session, now=TEN - timedelta(hours=1)) == 1
    await db_session.commit()
    reminders = [e for e in await _emails(db_session) if e.subject.startswith("Reminder")]
    assert len(reminders) == 2


async def test_a_staff_feed_lists_their_bookings_until_revoked(db_session) -> None:
    staff = await make_staff(db_session)
    staff_id = staff.id
    kind = await make_type(db_session, [staff])
    await _booked(db_session, kind)
    token = await issue_feed(db_session, "staff", staff_id)
    await db_session.commit()
    calendar = Calendar.from_ical(await feed_for_token(db_session, token))
    assert calendar["X-WR-CALNAME"].endswith("Sam Stylist")
    assert len(calendar.walk("VEVENT")) == 1
    await revoke_feed(db_session, "staff", staff_id)
    await db_session.commit()
    assert await feed_for_token(db_session, token) is None
    assert (await db_session.scalars(select(Appointment))).one().sequence == 0


async def test_the_policy_says_what_not_coming_costs(db_session) -> None:
    staff = await make_staff(db_session)
    plain = await make_type(db_session, [staff])
    charged = await make_type(
        db_session, [staff], slug="colour", name="Colour", no_show_penalty="fee", no_show_fee=2000
    )
    barred = await make_type(db_session, [staff], slug="perm", name="Perm", no_show_penalty="block")
    views = [
        policy_view(await _booked(db_session, kind, start=TEN + timedelta(hours=n), n=n), now=NOW)
        for n, kind in enumerate((plain, charged, barred))
    ]
    assert [view.no_show_message for view in views] == [
        "",
        "If you do not come and have not cancelled, a no-show fee of €20.00 is charged.",
        "If you do not come and have not cancelled, you will no longer be able to book online.",
    ]
    gone = await _booked(db_session, charged, start=TEN + timedelta(hours=4), n=9)
    assert policy_view(gone, now=TEN + timedelta(hours=5)).no_show_message == ""  # past: nothing to warn of


# ---- the waitlist in the customer's own zone (business in Paris) --------------------------------
WED_PARIS_MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # Wed 10:00 Paris, Wed 22:00 Auckland
WED_PARIS_AFTERNOON = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # Wed 16:00 Paris, Thu 04:00 Auckland


def _from(zone: str, n: int) -> Booker:
    return Booker(name=f"Client {n}", email=f"client{n}@example.com", timezone=zone)


async def test_a_freed_slot_goes_to_whoever_waits_for_that_local_day_and_time(db_session) -> None:
    business_cache.set(Business(timezone="Europe/Paris"))
    kind = await make_type(db_session, [await make_staff(db_session)])
    afternoon = await _booked(db_session, kind, start=WED_PARIS_AFTERNOON)
    morning = await _booked(db_session, kind, start=WED_PARIS_MORNING, n=2)
    # Thursday morning in Auckland: Wednesday afternoon for the business.
    thursday = await join_waitlist(
        db_session, kind, day=date(2026, 12, 3), time_of_day="morning",
        booker=_from("Pacific/Auckland", 7), now=NOW,
    )  # fmt: skip
    wednesday = await join_waitlist(
        db_session, kind, day=date(2026, 12, 2), time_of_day="any",
        booker=_from("Pacific/Auckland", 8), now=NOW,
    )  # fmt: skip
    wednesday.priority = 5  # first in line, but Wednesday afternoon in Paris is Thursday for them
    await db_session.commit()
    await cancel_attendee(db_session, afternoon, now=NOW, by_staff=True)
    await db_session.commit()
    await db_session.refresh(thursday)
    await db_session.refresh(wednesday)
    assert (thursday.status, thursday.offered_start) == ("offered", WED_PARIS_AFTERNOON)
    assert wednesday.status == "waiting"
    (offer,) = [e for e in await _emails(db_session) if e.template == "scheduling/waitlist_offer"]
    assert offer.to_address == "client7@example.com" and "Thursday 03 December, 04:00" in offer.subject
    await cancel_attendee(db_session, morning, now=NOW, by_staff=True)  # Wednesday 22:00 in Auckland
    await db_session.commit()
    await db_session.refresh(wednesday)
    assert (wednesday.status, wednesday.offered_start) == ("offered", WED_PARIS_MORNING)


async def test_a_slot_on_another_local_date_is_not_offered(db_session) -> None:
    business_cache.set(Business(timezone="Europe/Paris"))
    kind = await make_type(db_session, [await make_staff(db_session)])
    booked = await _booked(db_session, kind, start=WED_PARIS_AFTERNOON)
    # Wednesday in Auckland too, but the freed time is already Thursday 04:00 there.
    wednesday = await join_waitlist(
        db_session, kind, day=date(2026, 12, 2), time_of_day="any",
        booker=_from("Pacific/Auckland", 7), now=NOW,
    )  # fmt: skip
    await db_session.commit()
    await cancel_attendee(db_session, booked, now=NOW, by_staff=True)
    await db_session.commit()
    await db_session.refresh(wednesday)
    assert wednesday.status == "waiting"
    assert not [e for e in await _emails(db_session) if e.template == "scheduling/waitlist_offer"]


async def test_a_day_has_passed_by_the_customers_own_clock(db_session) -> None:
    business_cache.set(Business(timezone="Europe/Paris"))
    kind = await make_type(db_session, [await make_staff(db_session)])
    tuesday = date(2026, 12, 1)
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # Wed 00:30 in Paris, Tue 15:30 in Los Angeles
    entry = await join_waitlist(
        db_session, kind, day=tuesday, time_of_day="evening", booker=_from("America/Los_Angeles", 1), now=late
    )
    assert (entry.day, entry.timezone) == (tuesday, "America/Los_Angeles")
    with pytest.raises(PolicyError, match="That day has passed"):
        await join_waitlist(db_session, kind, day=tuesday, time_of_day="any", booker=person(2), now=late)
    noon = datetime(2026, 12, 1, 11, 30, tzinfo=UTC)  # Tue 12:30 in Paris, Wed 00:30 in Auckland
    with pytest.raises(PolicyError, match="That day has passed"):
        await join_waitlist(
            db_session, kind, day=tuesday, time_of_day="any", booker=_from("Pacific/Auckland", 3), now=noon
        )
