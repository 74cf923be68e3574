"""Passkeys in Chromium with a virtual authenticator: sign in with a password, add a passkey, sign
out, sign in with the passkey alone (no password, no /mfa step).

WebAuthn refuses an IP address as the relying party id ("This is an invalid domain"), and the shared
``live_server`` is addressed as 127.0.0.1, so this module serves its own Verso at ``localhost``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.browser.conftest import _free_port, _pg, _wait_until_serving, complete_setup

_TABLES = """
import asyncio
from verso.lib.migrate import upgrade_head
upgrade_head()
# Until a migration creates them: make the passkey tables (no-op once they exist).
from verso.domains.identity.passkeys import models
from verso.lib.db import get_engine
async def main():
    async with get_engine().begin() as conn:
        for table in (models.Passkey.__table__, models.WebAuthnChallenge.__table__):
            await conn.run_sync(lambda c, t=table: t.create(c, checkfirst=True))
    await get_engine().dispose()
asyncio.run(main())
"""


@pytest.fixture(scope="module")
def localhost_server(tmp_root: Path) -> Iterator[str]:
    port = _free_port()
    data = tmp_root / f"passkeys-{port}"
    base = f"http://localhost:{port}"
    env = {
        **os.environ,
        "VERSO_DATA_DIR": str(data),
        "VERSO_RUN_WORKER": "true",
        "VERSO_LOG_LEVEL": "WARNING",
        "VERSO_BASE_URL": base,
        "VERSO_SECRET_KEY": secrets.token_urlsafe(48),
    }
    pg_name = None
    if os.environ.get("VERSO_TEST_POSTGRES"):
        pg_name = f"verso_passkeys_{secrets.token_hex(4)}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        env["VERSO_DATABASE_URL"] = os.environ["VERSO_TEST_POSTGRES"].rsplit("/", 1)[0] + f"/{pg_name}"
    else:
        env["VERSO_DATABASE_URL"] = f"sqlite+aiosqlite:///{data / 'verso.db'}"
    subprocess.run([sys.executable, "-c", _TABLES], env=env, check=True, capture_output=True)
    log = (tmp_root / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "verso", "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}", proc)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        if pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def owner(browser: Browser, localhost_server: str) -> dict[str, str]:
    """The first admin, through the setup wizard of this module's fresh server."""
    return complete_setup(browser, localhost_server)


def _problems(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.type == "error":
            problems.append(f"{message.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def _virtual_authenticator(page: Page) -> tuple[object, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, result["authenticatorId"]


def test_add_a_passkey_then_sign_in_with_it_alone(
    browser: Browser, localhost_server: str, owner: dict[str, str]
) -> None:
    base = localhost_server
    context = browser.new_context()
    page = context.new_page()
    problems = _problems(page)
    page.goto(f"{base}/login")
    cdp, authenticator = _virtual_authenticator(page)

    # With WebAuthn available the passkey button shows on the login page.
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()
    page.get_by_label("Email or username").fill(owner["email"])
    page.get_by_label("Password").fill(owner["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{base}/admin")

    page.goto(f"{base}/account/security/passkeys")
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    page.get_by_label("Name for the new passkey").fill("Test laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("cell", name="Test laptop", exact=True)).to_be_visible()
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    page.get_by_role("button", name="Sign out").first.click()
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/login?next=/admin")

    page.goto(f"{base}/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{base}/admin")
    page.goto(f"{base}/account/security/passkeys")
    expect(page.get_by_role("row", name="Test laptop")).not_to_contain_text("Never")
    assert problems == [], problems
    context.close()


def test_without_webauthn_the_buttons_stay_hidden(
    browser: Browser, localhost_server: str, owner: dict
) -> None:
    context = browser.new_context()
    context.add_init_script("delete window.PublicKeyCredential;")
    page = context.new_page()
    page.goto(f"{localhost_server}/login")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    context.close()
