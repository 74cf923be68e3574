"""A new owner installs Verso: setup wizard, sign in, the staff shell, an htmx table, settings.

Runs in Debian's Chromium against ``verso run``. Screenshots go to docs/screenshots (the README
shows them). The page must never trip the Content Security Policy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.browser.conftest import run_axe

EMAIL = "owner@juniper.example"
PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def owner(browser: Browser, live_server: str, wizard_screenshot: None) -> dict[str, str]:
    """Run the setup wizard once for this module (the server keeps its state between tests)."""
    page = browser.new_page()
    page.goto(f"{live_server}/admin")
    expect(page).to_have_url(f"{live_server}/setup")
    page.get_by_label("Business name").fill("Juniper Ceramics")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my business").click()
    expect(page).to_have_url(f"{live_server}/admin")
    page.close()
    return {"email": EMAIL, "password": PASSWORD}


def _watch_csp(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A 422 is the form's answer with inline errors: Chromium logs it, but it is expected.
        expected = "status of 422" in message.text
        if not expected and ("Content Security Policy" in message.text or message.type == "error"):
            problems.append(f"{message.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def _sign_in(page: Page, base: str, owner: dict[str, str]) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email or username").fill(owner["email"])
    page.get_by_label("Password").fill(owner["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/admin")


def test_setup_wizard_validates_then_is_gone(
    browser: Browser, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    """The wizard itself ran in the ``owner`` fixture; here: its inline errors, then that it is gone."""
    assert browser.new_page().goto(f"{live_server}/setup").status == 404


@pytest.fixture(scope="module")
def wizard_screenshot(browser: Browser, live_server: str, screenshot_dir: Path) -> None:
    """Before setup: a wrong email is refused inline and the rest of the input is kept."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = _watch_csp(page)
    page.goto(f"{live_server}/admin")
    expect(page).to_have_url(f"{live_server}/setup")
    page.get_by_label("Business name").fill("Juniper Ceramics")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Create my business").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Business name")).to_have_value("Juniper Ceramics")
    page.screenshot(path=str(screenshot_dir / "setup.png"), full_page=True)
    assert errors == [], errors
    page.close()


def test_owner_journey_through_the_staff_shell(
    browser: Browser, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = _watch_csp(page)
    _sign_in(page, live_server, owner)
    nav = page.get_by_role("navigation", name="Modules")
    for label in ("Dashboard", "Users", "Jobs", "Outbox", "Audit log", "Settings"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)

    # The audit log is an htmx table: searching and sorting swap the table, not the page.
    nav.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(f"{live_server}/admin/audit")
    page.evaluate("window.__sameDocument = true")
    table = page.locator("#audit-table")
    expect(table.locator("tbody tr")).to_have_count(3)  # user.created, setup.completed, auth.login
    page.get_by_role("searchbox").fill("setup")
    expect(page).to_have_url(re.compile(r"q=setup"))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("setup.completed")
    page.get_by_role("searchbox").fill("")
    expect(table.locator("tbody tr")).to_have_count(3)
    table.get_by_role("link", name=re.compile("^Action")).click()
    expect(page).to_have_url(re.compile(r"sort=action"))
    first = table.locator("tbody tr").first
    expect(first).to_contain_text("auth.login")
    assert page.evaluate("window.__sameDocument") is True, "the table reloaded the whole page"
    page.screenshot(path=str(screenshot_dir / "audit-table.png"), full_page=True)

    # Settings: an invalid email is refused inline, a valid change shows up everywhere.
    nav.get_by_role("link", name="Settings").click()
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


def test_table_works_with_javascript_off(browser: Browser, live_server: str, owner: dict[str, str]) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server}/admin/audit")
    page.get_by_role("searchbox").fill("setup")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(re.compile(r"q=setup"))
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    context.close()


def test_phone_width_dark_theme(
    browser: Browser, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    _sign_in(page, live_server, owner)
    page.get_by_text("Menu").click()
    expect(page.get_by_role("navigation", name="Modules").get_by_role("link", name="Jobs")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "phone-dark.png"), full_page=True)
    context.close()


def test_no_serious_accessibility_violations(
    browser: Browser, live_server: str, owner: dict[str, str]
) -> None:
    context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
    page = context.new_page()
    page.goto(f"{live_server}/login")
    assert run_axe(page) == []
    _sign_in(page, live_server, owner)
    for path in ("/admin", "/admin/audit", "/admin/jobs", "/admin/settings", "/admin/outbox"):
        page.goto(f"{live_server}{path}")
        assert run_axe(page) == [], path
    context.close()
