"""The staff side of bookings over HTTP: the calendar (day, week, month; page and htmx fragment;
filters), an appointment's page and every action on it (happy path, refusals with 409 or 422),
booking on a customer's behalf, the check-in desk (typed and scanned codes), the waitlist, calendar
feeds with the public .ics download, and permissions (an employee reads and writes, a "commercial"
user only reads)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.scheduling.models import (
    Appointment,
    AppointmentType,
    Attendee,
    RescheduleRequest,
    Resource,
    StaffMember,
    WaitlistEntry,
)
from verso.domains.scheduling.services import Booker, book, load_appointment, manage_token
from verso.lib import clock

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday, 08:00 in Paris (the business zone)
TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris
CALENDAR = "/admin/scheduling/calendar"
HX = {"HX-Request": "true"}
DASH = "\N{EN DASH}"


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


@pytest.fixture
async def employee(client, admin):
    """Signed in with the employee role: appointments read and write."""
    await make_user("desk@example.com", ["employee"])
    await sign_in(client, "desk@example.com", PASSWORD)
    return client


@pytest.fixture
async def commercial(client, admin):
    """Signed in with the commercial role: appointments read only."""
    await make_user("sales@example.com", ["commercial"])
    await sign_in(client, "sales@example.com", PASSWORD)
    return client


async def _booked(db_session, kind, start=TEN, name="Ann Example", staff_id=None) -> Attendee:
    attendee = await book(
        db_session, kind, start, Booker(name=name, email=f"{name.split()[0].lower()}@example.com"),
        now=NOW, staff_id=staff_id,
    )  # fmt: skip
    await db_session.commit()
    return attendee


@dataclass
class Setting:
    sam: StaffMember
    kim: StaffMember
    haircut: AppointmentType
    yoga: AppointmentType
    ann: Attendee


async def _setting(db_session) -> Setting:
    """Two staff members (Sam, Kim), a haircut (red) they both take, a yoga class for eight (green)
    in the studio with Kim, and bookings: Ann with Sam at 10:00 Paris, two people at yoga on Thursday."""
    sam = await make_staff(db_session)
    kim = await make_staff(db_session, "kim@example.com", "Kim Colour")
    haircut = await make_type(db_session, [sam, kim], color="#dc2626")
    yoga = await make_type(
        db_session, [kim], slug="yoga", name="Yoga", max_attendees=8, color="#16a34a", resource_kind="room"
    )
    db_session.add(Resource(name="Studio", kind="room", capacity=8))
    await db_session.commit()
    ann = await _booked(db_session, haircut, staff_id=sam.id)
    thursday = TEN + timedelta(days=2)
    await _booked(db_session, yoga, thursday, "Bo One")
    await _booked(db_session, yoga, thursday, "Cy Two")
    return Setting(sam, kim, haircut, yoga, ann)


async def _reload(db_session, appointment_id) -> Appointment:
    appointment = await load_appointment(db_session, appointment_id)
    assert appointment is not None
    return appointment


def _toast(response) -> str:
    return json.loads(response.headers["hx-trigger"])["toast"]["message"]


# ---- the calendar ----------------------------------------------------------------------------
async def test_week_view_page_and_fragment(employee, db_session) -> None:
    s = await _setting(db_session)
    page = await employee.get(CALENDAR)  # today's week by default
    assert page.status_code == 200 and "<html" in page.text and page.headers["vary"] == "HX-Request"
    text = unescape(page.text)
    assert f"30 Nov {DASH} 6 Dec 2026" in text and "Times in Europe/Paris" in text
    assert f'href="/admin/scheduling/appointments/{s.ann.appointment_id}"' in text
    assert f"10:00{DASH}10:30" in text and "Ann Example" in text and 'fill="#dc2626"' in text
    assert "Yoga" in text and "2/8 booked" in text and 'fill="#16a34a"' in text
    assert (
        '<th scope="col" class="cal-hour-head">Time</th>' in text
        and '<th scope="row" class="cal-hour">10:00</th>' in text
    )
    assert 'aria-current="page"' in text and ">Calendar<" in text  # the sidebar entry
    assert "Calendar feeds" in text and "Sam Stylist" in text  # the employee may write
    fragment = await employee.get(f"{CALENDAR}?view=week&date=2026-12-09", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="calendar"')
    assert f"7 Dec {DASH} 13 Dec 2026" in unescape(fragment.text) and "Ann Example" not in fragment.text
    assert 'hx-get="/admin/scheduling/calendar?view=week&amp;date=2026-12-02"' in fragment.text  # previous


async def test_dragging_an_appointment_to_another_hour_moves_it(employee, db_session) -> None:
    s = await _setting(db_session)
    week = f"{CALENDAR}?view=week&date=2026-12-01"
    page = unescape((await employee.get(week)).text)
    assert f'draggable="true" data-appointment="{s.ann.appointment_id}" data-minute="0"' in page
    assert 'data-drop-day="2026-12-02" data-drop-hour="14"' in page and 'id="calendar-move"' in page
    drop = {"appointment": str(s.ann.appointment_id), "day": "2026-12-02", "hour": "14", "minute": "0"}
    moved = await post_form(employee, f"{CALENDAR}/move?view=week&date=2026-12-01", drop, htmx=True)
    assert moved.status_code == 200 and _toast(moved).startswith("Appointment moved")
    assert moved.text.lstrip().startswith('<section id="calendar"') and "30 Nov" in unescape(moved.text)
    appointment = await _reload(db_session, s.ann.appointment_id)
    assert appointment.start_at == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 14:00 in Paris
    # In the day view a column is a staff member: dropping there hands the appointment over.
    day = unescape((await employee.get(f"{CALENDAR}?view=day&date=2026-12-02")).text)
    assert f'data-drop-day="2026-12-02" data-drop-hour="14" data-drop-staff="{s.kim.id}"' in day
    handed = await post_form(
        employee, f"{CALENDAR}/move?view=day&date=2026-12-02", {**drop, "staff": str(s.kim.id)}, htmx=True
    )
    assert (
        handed.status_code == 200 and (await _reload(db_session, s.ann.appointment_id)).staff_id == s.kim.id
    )
    # Onto Kim's yoga class on Thursday: refused with the reason, nothing moved.
    clash = {**drop, "day": "2026-12-03", "hour": "10", "staff": str(s.kim.id)}
    refused = await post_form(employee, f"{CALENDAR}/move?view=week&date=2026-12-01", clash, htmx=True)
    assert (
        refused.status_code == 409 and json.loads(refused.headers["hx-trigger"])["toast"]["level"] == "error"
    )
    assert (await _reload(db_session, s.ann.appointment_id)).start_at == datetime(
        2026, 12, 2, 13, 0, tzinfo=UTC
    )
    unreadable = await post_form(employee, f"{CALENDAR}/move", {"appointment": "nope", "day": "x"}, htmx=True)
    assert unreadable.status_code == 422


async def test_day_and_month_views_with_filters(employee, db_session) -> None:
    s = await _setting(db_session)
    day = unescape((await employee.get(f"{CALENDAR}?view=day&date=2026-12-01")).text)
    assert "Tuesday 1 December 2026" in day and "Ann Example" in day and "Yoga" not in day
    assert '<th scope="col">Kim Colour</th>' in day and '<th scope="col">Sam Stylist</th>' in day
    month = await employee.get(f"{CALENDAR}?view=month&date=2026-12-15", headers=HX)
    text = unescape(month.text)
    assert month.status_code == 200 and "<html" not in text and "December 2026" in text
    assert text.count('class="cal-day-number"') == 35 and "Ann Example" in text and "2/8 booked" in text
    only_kim = unescape((await employee.get(f"{CALENDAR}?view=month&date=2026-12-15&staff={s.kim.id}")).text)
    assert "2/8 booked" in only_kim and "Ann Example" not in only_kim
    assert f'<option value="{s.kim.id}" selected>Kim Colour</option>' in only_kim
    studio = await db_session.scalar(select(Resource.id))
    in_studio = unescape((await employee.get(f"{CALENDAR}?view=week&date=2026-12-01&resource={studio}")).text)
    assert "2/8 booked" in in_studio and "Ann Example" not in in_studio and "· Studio" in in_studio
    junk = await employee.get(f"{CALENDAR}?view=year&date=soon&staff=x")
    assert junk.status_code == 200 and f"30 Nov {DASH} 6 Dec 2026" in unescape(junk.text)


async def test_an_appointment_late_in_the_utc_day_shows_on_the_next_local_day(employee, db_session) -> None:
    sam = await make_staff(
        db_session, hours=tuple((d, datetime.min.time(), datetime.max.time()) for d in range(7))
    )
    kind = await make_type(db_session, [sam])
    await _booked(db_session, kind, datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # 00:30 on the 2nd in Paris
    first = unescape((await employee.get(f"{CALENDAR}?view=day&date=2026-12-01")).text)
    second = unescape((await employee.get(f"{CALENDAR}?view=day&date=2026-12-02")).text)
    assert "Ann Example" not in first
    assert f"00:30{DASH}01:00" in second and '<th scope="row" class="cal-hour">00:00</th>' in second


# ---- one appointment -------------------------------------------------------------------------
async def test_detail_page_and_fragment(employee, db_session) -> None:
    s = await _setting(db_session)
    appointment = await _reload(db_session, s.ann.appointment_id)
    appointment.notes = "Allergic to lavender."
    attendee = appointment.attendees[0]
    attendee.phone, attendee.answers = "+33 6 00 00 00 00", {"hair": "Long"}
    s.haircut.questions = [{"key": "hair", "label": "Hair length", "kind": "text"}]
    await db_session.commit()
    url = f"/admin/scheduling/appointments/{s.ann.appointment_id}"
    page = await employee.get(url)
    text = unescape(page.text)
    assert page.status_code == 200 and "<html" in text
    assert re.search(r'href="/admin/scheduling/calendar" aria-current="page"', text)  # not the dashboard
    assert "Haircut · Tuesday 1 December 2026, 10:00" in text and "Sam Stylist" in text
    assert (
        "ann@example.com" in text and "+33 6 00 00 00 00" in text and "Hair length" in text and "Long" in text
    )
    assert "Allergic to lavender." in text and "Appointment created" in text and "Ann Example booked" in text
    assert '<option value="in_progress">In progress</option>' in text and '<option value="completed">' in text
    assert '<option value="cancelled">' not in text  # cancelling has its own form, with a reason
    assert f"{url}/attendees/{s.ann.id}/check-in" in text and "/no-show" not in text  # not started yet
    fragment = await employee.get(url, headers=HX)
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith('<div id="appointment-admin"')
    assert (
        await employee.get("/admin/scheduling/appointments/0190a7a0-0000-7000-8000-000000000000")
    ).status_code == 404


async def test_status_changes_follow_the_transitions(employee, db_session) -> None:
    s = await _setting(db_session)
    url = f"/admin/scheduling/appointments/{s.ann.appointment_id}"
    done = await post_form(employee, f"{url}/status", {"status": "completed"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == url
    assert (await _reload(db_session, s.ann.appointment_id)).status == "completed"
    refused = await post_form(employee, f"{url}/status", {"status": "confirmed"}, htmx=True)
    assert refused.status_code == 422
    assert "A completed appointment can become: none." in unescape(refused.text)
    assert "<html" not in refused.text and "Change the status to" not in refused.text  # nothing is offered


async def test_move_to_a_free_time_and_a_clash_answers_409(employee, db_session) -> None:
    s = await _setting(db_session)
    bob = await _booked(db_session, s.haircut, TEN + timedelta(hours=2), "Bob Second", staff_id=s.sam.id)
    url = f"/admin/scheduling/appointments/{s.ann.appointment_id}"
    when = {"move_day": "2026-12-01", "move_at": "14:30", "move_staff": str(s.kim.id)}
    moved = await post_form(employee, f"{url}/move", when, htmx=True)
    assert (
        moved.status_code == 200
        and _toast(moved) == "Appointment moved; the attendees are sent the new time."
    )
    appointment = await _reload(db_session, s.ann.appointment_id)
    assert (appointment.start_at, appointment.staff_id) == (
        datetime(2026, 12, 1, 13, 30, tzinfo=UTC),
        s.kim.id,
    )
    clash = await post_form(employee, f"{url}/move", when | {"move_at": "12:00", "move_staff": str(s.sam.id)})
    assert clash.status_code == 409 and "<html" in clash.text
    assert 'id="f-move_at-error"' in clash.text and 'value="12:00"' in clash.text  # the input is kept
    assert (await _reload(db_session, bob.appointment_id)).start_at == TEN + timedelta(hours=2)
    bad = await post_form(employee, f"{url}/move", {"move_day": "2026-12-01", "move_at": "25:00"})
    assert bad.status_code == 422 and "Enter a time as HH:MM." in bad.text


async def test_cancel_propose_and_notes(employee, db_session) -> None:
    s = await _setting(db_session)
    url = f"/admin/scheduling/appointments/{s.ann.appointment_id}"
    when = {"propose_day": "2026-12-02", "propose_at": "11:00"}
    proposed = await post_form(employee, f"{url}/propose", when | {"propose_reason": "Sam is ill"}, htmx=True)
    assert (
        proposed.status_code == 200
        and "Proposed new times" in proposed.text
        and "Sam is ill" in proposed.text
    )
    request = await db_session.scalar(select(RescheduleRequest))
    assert (request.proposed_start, request.status) == (datetime(2026, 12, 2, 10, tzinfo=UTC), "pending")
    no_reason = await post_form(
        employee, f"{url}/propose", {"propose_day": "2026-12-02", "propose_at": "11:00"}
    )
    assert no_reason.status_code == 422 and 'id="f-propose_reason-error"' in no_reason.text
    noted = await post_form(employee, f"{url}/notes", {"notes": "Call first."}, follow_redirects=False)
    assert noted.status_code == 303
    cancelled = await post_form(employee, f"{url}/cancel", {"cancel_reason": "Closed for a leak"}, htmx=True)
    assert _toast(cancelled) == "Appointment cancelled; the attendees are told."
    appointment = await _reload(db_session, s.ann.appointment_id)
    assert (appointment.status, appointment.cancel_reason, appointment.notes) == (
        "cancelled", "Closed for a leak", "Call first."
    )  # fmt: skip
    assert [a.status for a in appointment.attendees] == ["cancelled"]
    again = await post_form(employee, f"{url}/cancel", {"cancel_reason": ""})
    assert again.status_code == 422 and "A cancelled appointment cannot be cancelled." in again.text


async def test_check_in_and_no_show_from_the_appointment(employee, db_session) -> None:
    s = await _setting(db_session)
    clock.freeze(TEN + timedelta(days=2, minutes=5))  # the yoga class has begun
    await sign_in(employee, "desk@example.com", PASSWORD)  # two days on, the session has gone idle
    appointment = await db_session.scalar(select(Appointment).where(Appointment.capacity == 8))
    bo, cy = (await _reload(db_session, appointment.id)).attendees
    url = f"/admin/scheduling/appointments/{appointment.id}"
    arrived = await post_form(employee, f"{url}/attendees/{bo.id}/check-in", htmx=True)
    assert arrived.status_code == 200 and _toast(arrived) == "Bo One checked in."
    absent = await post_form(employee, f"{url}/attendees/{cy.id}/no-show", follow_redirects=False)
    assert absent.status_code == 303
    fresh = await _reload(db_session, appointment.id)
    assert [(a.name, a.status, a.checkin_method) for a in fresh.attendees] == [
        ("Bo One", "confirmed", "manual"), ("Cy Two", "no_show", "")
    ]  # fmt: skip
    assert fresh.status == "in_progress" and fresh.attendees[0].checked_in_at == clock.utcnow()
    twice = await post_form(employee, f"{url}/attendees/{bo.id}/check-in")
    assert twice.status_code == 422 and "Already checked in at 10:05." in twice.text
    stranger = await post_form(employee, f"{url}/attendees/{s.ann.id}/check-in")
    assert stranger.status_code == 404


# ---- booking on someone's behalf -------------------------------------------------------------
async def test_new_appointment_form_books_and_refuses(employee, db_session) -> None:
    s = await _setting(db_session)
    form = await employee.get(f"/admin/scheduling/appointments/new?date=2026-12-03&staff={s.kim.id}")
    text = unescape(form.text)
    assert form.status_code == 200 and 'value="2026-12-03"' in text
    assert (
        f'<option value="{s.kim.id}" selected>Kim Colour</option>' in text
        and "Yoga (30 min, up to 8 people)" in text
    )
    fields = {"type": str(s.haircut.id), "staff": "", "day": "2026-12-01", "at": "15:00", "name": "Dee New",
              "email": "dee@example.com", "phone": "0600"}  # fmt: skip
    made = await post_form(employee, "/admin/scheduling/appointments", fields, follow_redirects=False)
    assert made.status_code == 303
    dee = await db_session.scalar(select(Attendee).where(Attendee.name == "Dee New"))
    assert made.headers["location"] == f"/admin/scheduling/appointments/{dee.appointment_id}"
    booked = await _reload(db_session, dee.appointment_id)
    assert (booked.start_at, dee.phone, dee.timezone) == (
        datetime(2026, 12, 1, 14, tzinfo=UTC),
        "0600",
        "Europe/Paris",
    )
    taken = await post_form(employee, "/admin/scheduling/appointments",
                            fields | {"at": "10:00", "staff": str(s.sam.id)}, htmx=True)  # fmt: skip
    assert taken.status_code == 409 and 'id="f-at-error"' in taken.text and 'value="Dee New"' in taken.text
    closed = await post_form(employee, "/admin/scheduling/appointments", fields | {"at": "20:00"})
    assert closed.status_code == 422 and 'id="f-at-error"' in closed.text
    missing = await post_form(employee, "/admin/scheduling/appointments", fields | {"name": "", "email": "x"})
    assert missing.status_code == 422
    assert 'id="f-name-error"' in missing.text and "Enter a valid email address." in missing.text


# ---- the check-in desk -----------------------------------------------------------------------
async def test_check_in_desk_with_a_scanned_then_a_typed_code(employee, db_session) -> None:
    s = await _setting(db_session)
    code, ann_id = s.ann.checkin_code, s.ann.id
    scanned = unescape((await employee.get(f"/admin/scheduling/check-in?code={code}")).text)
    assert (
        "Check in <strong>Ann Example</strong> for Haircut" in scanned
        and '<input type="hidden" name="method" value="qr">' in scanned
    )
    done = await post_form(employee, "/admin/scheduling/check-in", {"code": code, "method": "qr"},
                           follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == f"/admin/scheduling/check-in?done={ann_id}"
    shown = unescape((await employee.get(done.headers["location"])).text)
    assert "<strong>Ann Example</strong> is checked in." in shown
    db_session.expire_all()
    attendee = await db_session.get(Attendee, ann_id)
    assert (attendee.checkin_method, attendee.checked_in_at) == ("qr", NOW)
    used = await post_form(employee, "/admin/scheduling/check-in", {"code": code.lower()}, htmx=True)
    assert (
        used.status_code == 422 and "Already checked in at 08:00." in used.text and "<html" not in used.text
    )
    unknown = await post_form(employee, "/admin/scheduling/check-in", {"code": "NOPE"})
    assert unknown.status_code == 422 and "Unknown code: check the letters and try again." in unknown.text
    yoga_people = await db_session.scalars(select(Attendee).where(Attendee.name == "Bo One"))
    early = await post_form(employee, "/admin/scheduling/check-in", {"code": yoga_people.one().checkin_code})
    assert early.status_code == 422 and "This code is for Thursday 03 December 2026, not today." in early.text


# ---- the waitlist ----------------------------------------------------------------------------
async def test_waitlist_by_day_and_priority(employee, db_session) -> None:
    s = await _setting(db_session)
    for n, day in enumerate((2, 2, 5)):
        db_session.add(WaitlistEntry(type_id=s.haircut.id, day=date(2026, 12, day), name=f"Wait {n}",
                                     email=f"w{n}@example.com", time_of_day="morning"))  # fmt: skip
        await db_session.commit()
    page = unescape((await employee.get("/admin/scheduling/waitlist")).text)
    assert "Wednesday 2 December 2026" in page and "Saturday 5 December 2026" in page
    assert page.index("Wait 0") < page.index("Wait 1") < page.index("Wait 2")
    second = await db_session.scalar(select(WaitlistEntry).where(WaitlistEntry.name == "Wait 1"))
    raised = await post_form(
        employee, f"/admin/scheduling/waitlist/{second.id}/priority", {"priority": "5"}, htmx=True
    )
    assert _toast(raised) == "Wait 1 now has priority 5." and "<html" not in raised.text
    assert unescape(raised.text).index("Wait 1") < unescape(raised.text).index("Wait 0")
    wrong = await post_form(
        employee, f"/admin/scheduling/waitlist/{second.id}/priority", {"priority": "lots"}
    )
    assert (
        wrong.status_code == 422 and 'id="priority-' in wrong.text and "Enter a whole number." in wrong.text
    )
    offered = unescape((await employee.get("/admin/scheduling/waitlist?status=offered")).text)
    assert "Nobody is waiting" in offered


# ---- feeds -----------------------------------------------------------------------------------
async def test_feed_issue_download_replace_and_revoke(employee, db_session) -> None:
    s = await _setting(db_session)
    issued = await post_form(employee, f"{CALENDAR}/feeds/staff/{s.sam.id}", htmx=True)
    assert issued.status_code == 201 and issued.headers["cache-control"] == "no-store"
    text = unescape(issued.text)
    assert text.lstrip().startswith('<section id="calendar-feeds"') and "shown only once" in text
    url = text.split('id="feed-url" type="text" readonly value="')[1].split('"')[0]
    assert url.startswith("http://testserver.local/calendars/") and url.endswith(".ics")
    path = url.removeprefix("http://testserver.local")
    feed = await employee.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert feed.headers["cache-control"] == "private, max-age=300"
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Haircut with Sam Stylist"]
    listed = unescape((await employee.get(CALENDAR)).text)
    assert "shown only once" not in listed and url not in listed and "Replace feed" in listed
    replaced = await post_form(employee, f"{CALENDAR}/feeds/staff/{s.sam.id}", follow_redirects=False)
    assert replaced.status_code == 201 and "<html" in replaced.text
    assert (await employee.get(path)).status_code == 404  # the old address stops working
    new_path = unescape(replaced.text).split('readonly value="http://testserver.local')[1].split('"')[0]
    revoked = await post_form(
        employee, f"{CALENDAR}/feeds/staff/{s.sam.id}/revoke?view=day", follow_redirects=False
    )
    assert revoked.status_code == 303 and revoked.headers["location"] == f"{CALENDAR}?view=day"
    assert (await employee.get(new_path)).status_code == 404
    assert (await employee.get(new_path.removesuffix(".ics"))).status_code == 404
    assert (await post_form(employee, f"{CALENDAR}/feeds/staff/{s.haircut.id}")).status_code == 404
    assert (await post_form(employee, f"{CALENDAR}/feeds/customer/{s.sam.id}")).status_code == 404


async def test_the_feed_needs_no_sign_in(client, admin, db_session) -> None:
    from verso.domains.scheduling.services import feed_path, issue_feed

    sam = await make_staff(db_session)
    token = await issue_feed(db_session, "staff", sam.id)
    await db_session.commit()
    response = await client.get(feed_path(token))
    assert response.status_code == 200 and response.content.startswith(b"BEGIN:VCALENDAR")


# ---- permissions -----------------------------------------------------------------------------
async def test_commercial_staff_read_but_cannot_act(commercial, db_session) -> None:
    s = await _setting(db_session)
    url = f"/admin/scheduling/appointments/{s.ann.appointment_id}"
    calendar = unescape((await commercial.get(CALENDAR)).text)
    assert (
        "Ann Example" in calendar and "Calendar feeds" not in calendar and "New appointment" not in calendar
    )
    assert 'draggable="true"' not in calendar and "data-drop-day" not in calendar
    detail = unescape((await commercial.get(url)).text)
    assert detail.count("Ann Example") >= 1 and "Change status" not in detail and "/check-in" not in detail
    assert (await commercial.get("/admin/scheduling/waitlist")).status_code == 200
    for path, data in [
        (f"{url}/status", {"status": "completed"}),
        (f"{url}/cancel", {}),
        (f"{url}/notes", {"notes": "x"}),
        (f"{url}/attendees/{s.ann.id}/check-in", {}),
        ("/admin/scheduling/check-in", {"code": s.ann.checkin_code}),
        ("/admin/scheduling/appointments", {}),
        (f"{CALENDAR}/feeds/staff/{s.sam.id}", {}),
        (f"{CALENDAR}/move", {"appointment": str(s.ann.appointment_id), "day": "2026-12-01", "hour": "11"}),
    ]:
        assert (await post_form(commercial, path, data)).status_code == 403, path
    assert (await commercial.get("/admin/scheduling/check-in")).status_code == 403
    assert (await commercial.get("/admin/scheduling/appointments/new")).status_code == 403
    assert (await _reload(db_session, s.ann.appointment_id)).status == "confirmed"


async def test_signed_out_people_are_sent_to_sign_in(client, admin) -> None:
    response = await client.get(CALENDAR, follow_redirects=False)
    assert response.status_code in (302, 303, 401) and "Ann" not in response.text


async def test_a_no_show_penalty_shows_to_staff_and_to_the_customer(employee, db_session) -> None:
    sam = await make_staff(db_session)
    charged = await make_type(db_session, [sam], no_show_penalty="fee", no_show_fee=2500)
    barred = await make_type(db_session, [sam], slug="perm", name="Perm", no_show_penalty="block")
    customer = await make_user("ann@example.com", ["user"], email_verified=True)
    person = Booker(name="Ann Example", email="ann@example.com", customer_id=customer.id)
    ann = await book(db_session, charged, TEN, person, now=NOW)
    bo = await book(
        db_session, barred, TEN + timedelta(hours=2), Booker(name="Bo One", email="bo@example.com"), now=NOW
    )
    await db_session.commit()
    before = await employee.get(f"/book/manage/{manage_token(ann.id)}")
    assert "If you do not come and have not cancelled, a no-show fee of €25.00 is charged." in unescape(
        before.text
    )
    assert _fee_notice(before) == ""
    clock.freeze(TEN + timedelta(hours=3))
    await sign_in(employee, "desk@example.com", PASSWORD)
    first = f"/admin/scheduling/appointments/{ann.appointment_id}"
    fee = await post_form(employee, f"{first}/attendees/{ann.id}/no-show", htmx=True)
    assert _toast(fee) == "Ann Example marked as a no-show. A no-show fee of €25.00 is due."
    assert "Fee due: €25.00" in unescape(fee.text) and "Blocked from booking" not in fee.text
    second = f"/admin/scheduling/appointments/{bo.appointment_id}"
    blocked = await post_form(employee, f"{second}/attendees/{bo.id}/no-show", htmx=True)
    assert _toast(blocked) == "Bo One marked as a no-show. Bo One can no longer book online."
    assert "Blocked from booking" in blocked.text and "Fee due" not in blocked.text
    assert "Blocked from booking" not in (await employee.get(first)).text
    # The customer sees what is due on the booking's link and in their account.
    manage = await employee.get(f"/book/manage/{manage_token(ann.id)}")
    assert _fee_notice(manage) == "No-show fee €25.00"
    assert _fee_notice(await employee.get(f"/book/manage/{manage_token(bo.id)}")) == ""
    employee.cookies.clear()
    await sign_in(employee, "ann@example.com", PASSWORD)
    portal = await employee.get(f"/account/appointments/{ann.id}")
    assert portal.status_code == 200 and _fee_notice(portal) == "No-show fee €25.00"


def _fee_notice(response) -> str:
    """The fee a customer's booking page says is due ("No-show fee €25.00"), or ""."""
    found = re.search(r'<p class="notice booking-fee"[^>]*>(.*?)</p>', unescape(response.text), re.S)
    if found is None:
        return ""
    words = (word.strip(":.,") for word in re.sub(r"<[^>]+>", " ", found.group(1)).split())
    return " ".join(word for word in words if word != "due")
