"""The staff calendar journey (issue 6): staff make someone bookable around the clock and add a short
appointment type, book a walk-in from the calendar, find them on the week view, switch to the month
view and back (htmx swaps the calendar and the address follows), open the appointment and check the
attendee in by hand; and drag an appointment to another hour (a clash is refused with the reason).
The calendar passes axe and nothing trips the Content Security Policy."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import run_axe
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import watch_console as _watch_console
from tests.browser.test_booking_journey import WEEKDAYS, _bookable_every_day
from tests.browser.test_identity_journey import _outbox_link

PARIS = ZoneInfo("Europe/Paris")  # the business zone the setup wizard chose
STEP = 5  # minutes: the type's length and how often it starts


def _around_the_clock(page, base: str) -> str:
    """The bookable staff member, working all day every day (00:00 to 00:00 is the whole day), so
    a booking made now can be checked in today at any hour."""
    name = _bookable_every_day(page, base)
    for day in range(WEEKDAYS):
        page.locator(f"#f-h-{day}-0-start").fill("00:00")
        page.locator(f"#f-h-{day}-0-end").fill("00:00")
    with page.expect_navigation():  # the message of the first save is on the page already
        page.get_by_role("button", name="Save hours").click()
    expect(page.get_by_text(f"{name}: hours saved.")).to_be_visible()
    expect(page.locator("#f-h-0-0-end")).to_have_value("00:00")
    return name


def _short_type(page, base: str, staff_name: str, name: str = "Desk Visit") -> None:
    """A type of STEP minutes bookable at once, and changeable online until it starts."""
    page.goto(f"{base}/admin/scheduling/types/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Web address").fill(name.lower().replace(" ", "-"))
    page.get_by_label("Duration (minutes)").fill(str(STEP))
    page.get_by_label("Start times every (minutes)").fill(str(STEP))
    page.get_by_label("Minimum notice (hours)").fill("0")
    page.get_by_label("Reschedule until (hours before)").fill("0")
    page.get_by_label(staff_name).check()
    page.get_by_role("button", name="Create appointment type").click()
    expect(page.get_by_text(f"“{name}” saved.")).to_be_visible()


def _next_start() -> datetime:
    """The first start time at least two minutes from now, in the business zone."""
    soon = datetime.now(PARIS) + timedelta(minutes=2)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=-soon.minute % STEP)


def test_staff_book_a_walk_in_find_them_on_the_calendar_and_check_them_in(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    start = _next_start()
    if start.date() != datetime.now(PARIS).date():
        pytest.skip("the last minutes of the business day: a booking made now would be for tomorrow")
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    staff_name = _around_the_clock(staff, live_server)
    _short_type(staff, live_server, staff_name)

    staff.get_by_role("navigation", name="Modules").get_by_role("link", name="Calendar").click()
    expect(staff.get_by_role("heading", name="Calendar", level=1)).to_be_visible()
    staff.locator("#calendar-new").click()
    expect(staff.get_by_role("heading", name="New appointment")).to_be_visible()
    expect(staff.get_by_label("Date")).to_have_value(start.date().isoformat())
    staff.get_by_label("Type").select_option(label=f"Desk Visit ({STEP} min)")
    staff.get_by_label("Staff member").select_option(label=staff_name)
    staff.get_by_label("Time (Europe/Paris)").fill(f"{start:%H:%M}")
    staff.get_by_label("Name", exact=True).fill("Wendy Walk-in")
    staff.get_by_label("Email").fill("wendy@example.com")
    staff.get_by_role("button", name="Book").click()
    expect(staff.get_by_text("Desk Visit booked for Wendy Walk-in.")).to_be_visible()
    appointment_url = staff.url

    staff.get_by_role("button", name="Back to the calendar").click()  # the day view of that day
    calendar = staff.locator("#calendar")
    expect(calendar.get_by_role("link", name=re.compile("Wendy Walk-in"))).to_be_visible()
    staff.locator("#calendar-view-week").click()
    expect(staff).to_have_url(re.compile(r"view=week"))
    entry = calendar.get_by_role("link", name=re.compile(f"{start:%H:%M}.*Desk Visit.*Wendy Walk-in"))
    expect(entry).to_be_visible()
    staff.screenshot(path=str(screenshot_dir / "staff-calendar-week.png"), full_page=True)
    audit = person(bypass_csp=True, viewport={"width": 1280, "height": 900}).new_page()
    _sign_in(audit, live_server, owner)
    audit.goto(staff.url)
    assert run_axe(audit) == []

    staff.locator("#calendar-view-month").click()
    expect(staff).to_have_url(re.compile(r"view=month"))
    expect(calendar.get_by_role("heading", level=2)).to_have_text(f"{start:%B %Y}")
    expect(calendar.locator(".calendar-month")).to_contain_text("Wendy Walk-in")
    staff.locator("#calendar-view-week").click()
    expect(staff).to_have_url(re.compile(r"view=week"))
    staff.go_back()  # the month again, restored from the pushed address
    expect(staff).to_have_url(re.compile(r"view=month"))
    expect(calendar.locator(".calendar-month")).to_be_visible()

    calendar.get_by_role("link", name=re.compile("Wendy Walk-in")).click()
    expect(staff).to_have_url(appointment_url)
    attendees = staff.get_by_role("table", name="People booked on this appointment")
    expect(attendees).to_contain_text("Not yet")
    staff.get_by_role("button", name="Check in Wendy Walk-in").click()
    expect(staff.get_by_text("Wendy Walk-in checked in.")).to_be_visible()
    expect(attendees).to_contain_text("(by hand)")
    expect(staff.get_by_role("button", name="Check in Wendy Walk-in")).to_have_count(0)
    expect(staff.locator(".description-list")).to_contain_text("In progress")
    staff.screenshot(path=str(screenshot_dir / "staff-appointment.png"), full_page=True)
    assert errors == [], errors


def test_a_customer_abroad_books_reschedules_by_the_link_and_is_checked_in_by_code(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    """The issue's journey: a customer in New York books, the email with the .ics reaches the
    outbox, they reschedule through its link, staff find the new time on the week view and check
    them in at the desk by the code."""
    if (_next_start() + timedelta(minutes=3 * STEP)).date() != datetime.now(PARIS).date():
        pytest.skip("the last minutes of the business day: the times offered would be tomorrow's")
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    staff_errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    _short_type(staff, live_server, _around_the_clock(staff, live_server), name="Zone Visit")

    customer = person(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York").new_page()
    errors = _watch_console(customer)
    customer.goto(f"{live_server}/book/zone-visit")
    slots = customer.locator("#slots")
    expect(slots).to_contain_text("Times shown in America/New_York · business in Europe/Paris")
    times = slots.locator(".booking-times a")
    expect(times.first).to_be_visible()
    times.first.click()
    expect(customer.get_by_text("(America/New_York)")).to_be_visible()
    customer.get_by_label("Your name").fill("Nia York")
    customer.get_by_label("Email").fill("nia@example.com")
    customer.get_by_role("button", name="Confirm booking").click()
    expect(customer.get_by_role("heading", name="You are booked")).to_be_visible()

    # The confirmation reached the outbox with its invitation attached, and the link to change it.
    link = _outbox_link(staff, live_server, "nia@example.com", rf"{re.escape(live_server)}/book/manage/\S+")
    expect(staff.get_by_role("link", name="zone-visit.ics")).to_be_visible()
    customer.goto(link)
    customer.get_by_role("button", name="Choose a new time").click()
    expect(customer.get_by_role("heading", name="Reschedule Zone Visit")).to_be_visible()
    later = customer.locator("#slots .booking-times a").nth(2)
    new_time = later.inner_text()
    later.click()
    customer.get_by_role("button", name="Move my booking").click()
    expect(customer.get_by_text("Your booking has moved to")).to_be_visible()
    expect(customer.get_by_text(f", {new_time} (America/New_York)").first).to_be_visible()
    code = customer.locator(".booking-code").inner_text()
    customer.screenshot(path=str(screenshot_dir / "booking-rescheduled.png"), full_page=True)

    staff.get_by_role("navigation", name="Modules").get_by_role("link", name="Calendar").click()
    staff.locator("#calendar-view-week").click()
    expect(staff).to_have_url(re.compile(r"view=week"))
    expect(
        staff.locator("#calendar").get_by_role("link", name=re.compile("Zone Visit.*Nia York"))
    ).to_be_visible()
    staff.get_by_role("navigation", name="Modules").get_by_role("link", name="Check-in").click()
    staff.get_by_label("Check-in code").fill(code)
    staff.get_by_role("button", name="Check in").click()
    expect(staff.get_by_text("Nia York is checked in.")).to_be_visible()
    assert errors == [], errors
    assert staff_errors == [], staff_errors


def test_staff_drag_an_appointment_to_another_hour(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    """Tomorrow's day view: an appointment dragged from 10:00 to the 11:00 row is moved (the toast
    says so and it shows at 11:00); dragged onto a time that clashes, it stays and the toast says why."""
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    staff_name = _around_the_clock(staff, live_server)
    _short_type(staff, live_server, staff_name, name="Drag Visit")
    tomorrow = (datetime.now(PARIS) + timedelta(days=1)).date()
    for who, at in (("Dora Drag", "10:00"), ("Otto Other", "12:00")):
        staff.goto(f"{live_server}/admin/scheduling/appointments/new?date={tomorrow.isoformat()}")
        staff.get_by_label("Type").select_option(label=f"Drag Visit ({STEP} min)")
        staff.get_by_label("Staff member").select_option(label=staff_name)
        staff.get_by_label("Time (Europe/Paris)").fill(at)
        staff.get_by_label("Name", exact=True).fill(who)
        staff.get_by_label("Email").fill(f"{who.split()[0].lower()}@example.com")
        staff.get_by_role("button", name="Book").click()
        expect(staff.get_by_text(f"Drag Visit booked for {who}.")).to_be_visible()
    staff.goto(f"{live_server}/admin/scheduling/calendar?view=day&date={tomorrow.isoformat()}")
    staff.get_by_label("Staff", exact=True).select_option(label=staff_name)  # one column: theirs
    expect(staff).to_have_url(re.compile(r"staff="))
    calendar = staff.locator("#calendar")
    dora = calendar.get_by_role("link", name=re.compile("10:00.*Dora Drag"))
    expect(dora).to_be_visible()
    dora.drag_to(calendar.locator('td[data-drop-hour="11"]').first)
    expect(staff.get_by_text("Appointment moved; the attendees are sent the new time.")).to_be_visible()
    expect(calendar.get_by_role("link", name=re.compile("11:00.*Dora Drag"))).to_be_visible()
    staff.screenshot(path=str(screenshot_dir / "staff-calendar-drag.png"), full_page=True)
    calendar.get_by_role("link", name=re.compile("11:00.*Dora Drag")).drag_to(
        calendar.locator('td[data-drop-hour="12"]').first
    )
    expect(staff.get_by_text(re.compile("not free|taken|booked", re.IGNORECASE)).first).to_be_visible()
    expect(calendar.get_by_role("link", name=re.compile("11:00.*Dora Drag"))).to_be_visible()
    assert errors == [], errors
