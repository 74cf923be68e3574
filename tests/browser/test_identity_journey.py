"""A customer joins and secures their account: register, verify by the emailed link, sign in, turn on
two-step verification (the test is the authenticator app, with pyotp), sign in with a code and with a
backup code; and signing out another session really ends it.

The verification email is read the way staff read it: in the outbox at /admin/outbox.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in, watch_console

EMAIL = "chloe.customer@example.com"
PASSWORD = "a customer passphrase"


def _outbox_link(page: Page, base: str, to: str, pattern: str) -> str:
    """As staff: find the newest email to ``to`` in the outbox and take the link matching ``pattern``."""
    page.goto(f"{base}/admin/outbox?q={to}")
    page.locator("#outbox-table tbody tr").first.get_by_role("link").click()
    page.get_by_text("Plain text").click()
    text = page.locator("details pre").inner_text()
    return re.search(pattern, text).group(0)


def _password_step(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email or username").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Sign out").click()


def test_register_verify_and_two_step_sign_in(
    browser: Browser, person, live_server: str, owner: dict[str, str], screenshot_dir: Path
) -> None:
    customer = person().new_page()
    problems = watch_console(customer)
    customer.goto(f"{live_server}/register")
    customer.get_by_label("Email").fill(EMAIL)
    customer.get_by_label("Password", exact=True).fill(PASSWORD)
    customer.get_by_label("Repeat the password").fill(PASSWORD)
    customer.get_by_role("button", name=re.compile("Create")).click()
    expect(customer.get_by_text("Check your inbox")).to_be_visible()

    staff = person().new_page()
    sign_in(staff, live_server, owner)
    link = _outbox_link(staff, live_server, EMAIL, rf"{re.escape(live_server)}/verify/\S+")
    customer.goto(link)
    expect(customer.locator("main")).to_contain_text("confirmed")

    _password_step(customer, live_server)
    expect(customer).to_have_url(f"{live_server}/account")
    customer.goto(f"{live_server}/account/security")
    customer.get_by_role("button", name="Set up an authenticator app").click()
    secret = customer.locator("code.secret").inner_text()
    app = pyotp.TOTP(secret)
    customer.get_by_label("Code shown by the app").fill(app.now())
    customer.get_by_role("button", name="Turn on").click()
    expect(customer.get_by_text("they are shown only now")).to_be_visible()
    backup_codes = customer.locator("ul.backup-codes code").all_inner_texts()
    assert len(backup_codes) == 10
    customer.screenshot(path=str(screenshot_dir / "two-step.png"), full_page=True)

    _sign_out(customer)
    _password_step(customer, live_server)
    expect(customer).to_have_url(f"{live_server}/mfa")
    customer.get_by_label("Code").fill(app.at(time.time() + 30))  # the next code: the last one was spent
    customer.get_by_role("button", name="Verify").click()
    expect(customer).to_have_url(f"{live_server}/account")

    _sign_out(customer)
    _password_step(customer, live_server)
    customer.get_by_label("Code").fill(backup_codes[0])
    customer.get_by_role("button", name="Verify").click()
    expect(customer).to_have_url(f"{live_server}/account")
    expect(customer.get_by_text("You used a backup code")).to_be_visible()
    assert problems == [], problems


def test_signing_out_another_session_ends_it(person, live_server: str, owner: dict[str, str]) -> None:
    laptop, phone = person().new_page(), person().new_page()
    sign_in(laptop, live_server, owner)
    sign_in(phone, live_server, owner)
    laptop.goto(f"{live_server}/account/sessions")
    assert laptop.locator("tbody tr").count() >= 2  # earlier tests signed this owner in too
    laptop.get_by_role("button", name="Sign out other sessions").click()
    laptop.locator("dialog [data-confirm-ok]").click()  # the confirm dialog
    expect(laptop.get_by_text(re.compile(r"Signed out of \d+ other session"))).to_be_visible()
    expect(laptop.locator("tbody tr")).to_have_count(1)
    phone.goto(f"{live_server}/admin")
    expect(phone).to_have_url(re.compile(r"/login"))
