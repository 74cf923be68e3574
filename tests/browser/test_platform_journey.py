"""A new owner installs Verso: setup wizard, sign in, the staff shell, an htmx table, settings.

Runs in Debian's Chromium against ``verso run``. Screenshots go to docs/screenshots (the README
shows them). The page must never trip the Content Security Policy.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.browser.conftest import run_axe
from tests.browser.conftest import sign_in as _sign_in
from tests.browser.conftest import watch_console as _watch_csp


def test_setup_wizard_validates_then_is_gone(
    browser: Browser, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    """The wizard itself ran in the ``owner`` fixture; here: its inline errors, then that it is gone."""
    assert browser.new_page().goto(f"{live_server}/setup").status == 404


def test_owner_journey_through_the_staff_shell(
    browser: Browser, person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    page = person(viewport={"width": 1280, "height": 900}).new_page()
    errors = _watch_csp(page)
    _sign_in(page, live_server, owner)
    nav = page.get_by_role("navigation", name="Modules")
    for label in ("Dashboard", "Users", "Jobs", "Outbox", "Audit log", "Settings"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)

    # The audit log is an htmx table: searching and sorting swap the table, not the page.
    nav.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{live_server}/admin/audit")
    page.evaluate("window.__sameDocument = true")
    table = page.locator("#audit-table")
    before = table.locator("tbody tr").count()  # other journeys may have run first
    assert before >= 3  # at least user.created, setup.completed, auth.login
    page.get_by_role("searchbox").fill("setup")
    expect(page).to_have_url(re.compile(r"q=setup"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("setup.completed")
    page.get_by_role("searchbox").fill("")
    expect(table.locator("tbody tr")).to_have_count(before)
    table.get_by_role("link", name=re.compile("^Action")).click()
    expect(page).to_have_url(re.compile(r"sort=action"))
    expect(table.locator("th[aria-sort='ascending']")).to_contain_text("Action")
    actions = table.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == sorted(actions) and len(actions) == before
    assert page.evaluate("window.__sameDocument") is True, "the table reloaded the whole page"
    page.screenshot(path=str(screenshot_dir / "audit-table.png"), full_page=True)

    # Settings: an invalid email is refused inline, a valid change shows up everywhere.
    nav.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_label("Contact email").fill("nope")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    page.get_by_label("Contact email").fill("hello@juniper.example")
    page.get_by_label("Business name").fill("Juniper & Co.")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Juniper & Co.")

    # Sign out from the user menu.
    page.locator(".user-menu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server}/")
    assert page.goto(f"{live_server}/admin").url.startswith(f"{live_server}/login")
    assert errors == [], errors
    page.close()


def test_table_works_with_javascript_off(
    browser: Browser, person, live_server: str, owner: dict[str, str]
) -> None:
    page = person(java_script_enabled=False).new_page()
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server}/admin/audit")
    page.get_by_role("searchbox").fill("setup")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"q=setup"))
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)


def test_phone_width_dark_theme(
    browser: Browser, person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    page = person(viewport={"width": 390, "height": 844}, color_scheme="dark").new_page()
    _sign_in(page, live_server, owner)
    page.get_by_text("Menu").click()
    expect(page.get_by_role("navigation", name="Modules").get_by_role("link", name="Jobs")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "phone-dark.png"), full_page=True)


def test_no_serious_accessibility_violations(
    browser: Browser, person, live_server: str, owner: dict[str, str]
) -> None:
    page = person(bypass_csp=True).new_page()  # axe is injected as an inline script
    page.goto(f"{live_server}/login")
    assert run_axe(page) == []
    _sign_in(page, live_server, owner)
    for path in ("/admin", "/admin/audit", "/admin/jobs", "/admin/settings", "/admin/outbox"):
        page.goto(f"{live_server}{path}")
        assert run_axe(page) == [], path
