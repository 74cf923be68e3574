"""OpenID Connect in Chromium: the owner adds a provider (the fake one from the OIDC tests, on
127.0.0.1) in the admin, a visitor signs in with it and gets an account, and the owner, a password
user, links it on Sign-in methods and unlinks it again. The owner disables the provider at the end,
so the shared server's /login is as the other browser tests expect it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in, watch_console
from tests.identity.oidc.provider import CLIENT_ID, CLIENT_SECRET, FakeProvider

PROVIDERS = "/admin/identity/sign-in-providers"


@pytest.fixture
def fake_provider() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


def _add_provider(page: Page, base: str, issuer: str) -> None:
    """As the owner: add the provider through the admin form, as an admin would."""
    page.goto(f"{base}{PROVIDERS}")
    page.get_by_role("button", name="Add provider").first.click()
    page.get_by_label("Short name").fill("testid")
    page.get_by_label("Button label").fill("TestID")
    page.get_by_label("Provider").select_option("apple")
    expect(page.get_by_label("Team ID")).to_be_visible()  # Apple's fields show for Apple only
    page.get_by_label("Provider").select_option("generic")
    expect(page.get_by_label("Team ID")).to_be_hidden()
    page.get_by_label("Issuer URL").fill(issuer)
    page.get_by_label("Client ID").fill(CLIENT_ID)
    page.get_by_label("Client secret").fill(CLIENT_SECRET)
    page.get_by_label("Show on the sign-in page").check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{base}{PROVIDERS}/testid")
    expect(page.get_by_text("TestID added.")).to_be_visible()


def test_sign_in_link_and_unlink_with_a_provider(
    person, live_server: str, owner: dict[str, str], fake_provider: FakeProvider, screenshot_dir: Path
) -> None:
    admin = person().new_page()
    admin_problems = watch_console(admin)
    sign_in(admin, live_server, owner)
    _add_provider(admin, live_server, fake_provider.issuer)

    # A visitor: one click at Verso, the provider approves, and they are in with a new account.
    visitor = person().new_page()
    visitor_problems = watch_console(visitor)
    fake_provider.user = {"sub": "visitor-1", "email": "vera@example.com", "email_verified": True}
    visitor.goto(f"{live_server}/login")
    visitor.get_by_role("button", name="Sign in with TestID").click()
    expect(visitor).to_have_url(f"{live_server}/account")
    visitor.goto(f"{live_server}/account/sign-in-methods")
    expect(visitor.get_by_text("vera@example.com")).to_be_visible()
    expect(visitor.get_by_text("You sign in only with the providers below.")).to_be_visible()

    # The owner signs in with a password and links their provider account, then unlinks it.
    fake_provider.user = {"sub": "owner-1", "email": owner["email"], "email_verified": True}
    admin.goto(f"{live_server}/account/sign-in-methods")
    expect(admin.get_by_text("No linked accounts yet.")).to_be_visible()
    admin.get_by_role("button", name="Link TestID").click()
    expect(admin).to_have_url(f"{live_server}/account/sign-in-methods")
    expect(admin.get_by_text("You can now sign in with TestID.")).to_be_visible()
    linked = admin.locator("ul.oidc-identities li")
    expect(linked).to_contain_text(owner["email"])
    admin.screenshot(path=str(screenshot_dir / "sign-in-methods.png"), full_page=True)
    linked.get_by_role("button", name="Unlink").click()
    admin.locator("dialog [data-confirm-ok]").click()  # the confirm dialog
    expect(admin.get_by_text("Sign-in method removed.")).to_be_visible()
    expect(admin.get_by_text("No linked accounts yet.")).to_be_visible()

    admin.goto(f"{live_server}{PROVIDERS}")
    admin.get_by_role("row", name=re.compile("TestID")).get_by_role("button", name="Disable").click()
    expect(admin.get_by_text("TestID disabled.")).to_be_visible()
    assert admin_problems == [] and visitor_problems == [], admin_problems + visitor_problems
