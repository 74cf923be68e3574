"""The booking journey (issue 6): staff make someone bookable every day and add a priced type; a
customer whose browser is in London opens /book, picks the type (the page switches to their zone by
itself), moves to another day, picks a time, gives their details and sees the confirmation with its
QR code; then they open the manage link and cancel. The type's page passes axe and nothing trips
the Content Security Policy."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import run_axe
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import watch_console as _watch_console

WEEKDAYS = 7


def _bookable_every_day(page, base: str) -> str:
    """A staff member working 09:00 to 17:00 (Paris) every day, so the journey runs on any date. The
    journeys share one server: the first makes someone bookable, the next ones reuse them."""
    page.goto(f"{base}/admin/scheduling/staff")
    member = page.locator('#staff-table tbody a[href^="/admin/scheduling/staff/"]')
    if member.count():
        member.first.click()
    else:
        page.goto(f"{base}/admin/scheduling/staff/new")
        page.get_by_label("Staff account").select_option(index=1)
        page.get_by_label("Name shown to customers").fill("Nina Barber")
        page.get_by_label("Time zone").select_option("Europe/Paris")
        page.get_by_role("button", name="Add staff member").click()
    name = page.get_by_label("Name shown to customers").input_value()
    for day in range(WEEKDAYS):
        page.locator(f"#f-h-{day}-0-start").fill("09:00")
        page.locator(f"#f-h-{day}-0-end").fill("17:00")
    page.get_by_role("button", name="Save hours").click()
    expect(page.get_by_text(f"{name}: hours saved.")).to_be_visible()
    return name


def _priced_type(page, base: str, staff_name: str) -> None:
    page.goto(f"{base}/admin/scheduling/types/new")
    page.get_by_label("Name", exact=True).fill("Journey Cut")
    page.get_by_label("Web address").fill("journey-cut")
    page.get_by_label("Duration (minutes)").fill("30")
    page.get_by_label("Start times every (minutes)").fill("30")
    page.get_by_label("Minimum notice (hours)").fill("0")
    page.get_by_label("Price (EUR)").fill("20")
    page.get_by_label(staff_name).check()
    page.get_by_role("button", name="Create appointment type").click()
    expect(page.get_by_text("“Journey Cut” saved.")).to_be_visible()


def test_a_customer_books_in_their_zone_then_cancels(
    person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    staff = person(viewport={"width": 1280, "height": 900}).new_page()
    staff_errors = _watch_console(staff)
    _sign_in(staff, live_server, owner)
    _priced_type(staff, live_server, _bookable_every_day(staff, live_server))

    customer = person(viewport={"width": 1280, "height": 900}, timezone_id="Europe/London").new_page()
    errors = _watch_console(customer)
    customer.goto(f"{live_server}/book")
    expect(customer.get_by_text("€20.00").first).to_be_visible()
    customer.get_by_role("button", name="Choose a time for Journey Cut").click()
    expect(customer.get_by_role("heading", name="Journey Cut", level=1)).to_be_visible()
    # The browser's zone replaces the business zone the server guessed, and the times follow.
    expect(customer.get_by_label("Your time zone")).to_have_value("Europe/London")
    slots = customer.locator("#slots")
    expect(slots).to_contain_text("Times shown in Europe/London · business in Europe/Paris")
    expect(customer).to_have_url(re.compile(r"tz=Europe%2FLondon"))
    first_day = date.fromisoformat(customer.get_by_label("Date").input_value())

    customer.get_by_role("link", name="Next day").click()
    second_day = first_day + timedelta(days=1)
    expect(customer.get_by_label("Date")).to_have_value(second_day.isoformat())
    later = second_day + timedelta(days=1)
    customer.get_by_label("Date").fill(later.isoformat())
    expect(slots.get_by_role("heading", level=2)).to_have_text(f"{later:%A} {later.day} {later:%B %Y}")
    expect(customer).to_have_url(re.compile(f"date={later.isoformat()}"))
    first_time = slots.locator(".booking-times a").first
    expect(first_time).to_have_text("08:00")  # London is an hour behind Paris, where she opens at 09:00

    audit_context = person(bypass_csp=True, viewport={"width": 1280, "height": 900})
    audit = audit_context.new_page()
    audit.goto(customer.url)
    assert run_axe(audit) == []
    customer.screenshot(path=str(screenshot_dir / "booking-times.png"), full_page=True)

    first_time.click()
    expect(customer.get_by_text(f"{later.day} {later:%B %Y}, 08:00 (Europe/London)")).to_be_visible()
    expect(customer.get_by_text(f"{later.day} {later:%B %Y}, 09:00 (Europe/Paris)")).to_be_visible()
    # No card or bank details are set up, so the one way to pay is at the appointment.
    expect(customer.get_by_label(re.compile("Pay at the appointment"))).to_be_checked()
    customer.get_by_label("Your name").fill("Lou London")
    customer.get_by_label("Email").fill("lou@example.com")
    customer.get_by_role("button", name="Confirm booking").click()

    expect(customer.get_by_role("heading", name="You are booked")).to_be_visible()
    expect(customer.get_by_text("paid at the appointment")).to_be_visible()
    expect(customer.locator(".booking-qr svg")).to_be_visible()
    expect(customer.locator(".booking-code")).to_have_text(re.compile(r"^[A-Z2-7]{10}$"))
    expect(customer.get_by_role("button", name="Add to calendar")).to_be_visible()
    customer.screenshot(path=str(screenshot_dir / "booking-confirmation.png"), full_page=True)

    customer.get_by_role("link", name="Change or cancel this booking").click()
    expect(customer.get_by_text("You can cancel free of charge.")).to_be_visible()
    customer.get_by_role("button", name="Cancel booking").click()
    dialog = customer.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Cancel this booking?")
    dialog.get_by_role("button", name="Cancel booking").click()
    expect(customer.get_by_text("Your booking is cancelled.")).to_be_visible()
    expect(customer.get_by_text("This booking is cancelled.")).to_be_visible()
    expect(customer.get_by_role("button", name="Cancel booking")).to_have_count(0)
    assert errors == [], errors
    assert staff_errors == [], staff_errors
