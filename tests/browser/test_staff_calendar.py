"""The staff calendar journey (issue 6): staff make someone bookable around the clock and add a short
appointment type, book a walk-in from the calendar, find them on the week view, switch to the month
view and back (htmx swaps the calendar and the address follows), open the appointment and check the
attendee in by hand. The calendar passes axe and nothing trips the Content Security Policy."""

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


def _short_type(page, base: str, staff_name: str) -> None:
    page.goto(f"{base}/admin/scheduling/types/new")
    page.get_by_label("Name", exact=True).fill("Desk Visit")
    page.get_by_label("Web address").fill("desk-visit")
    page.get_by_label("Duration (minutes)").fill(str(STEP))
    page.get_by_label("Start times every (minutes)").fill(str(STEP))
    page.get_by_label("Minimum notice (hours)").fill("0")
    page.get_by_label(staff_name).check()
    page.get_by_role("button", name="Create appointment type").click()
    expect(page.get_by_text("“Desk Visit” saved.")).to_be_visible()


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
