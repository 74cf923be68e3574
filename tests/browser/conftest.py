"""Browser tests: Playwright drives Debian's Chromium against Verso served by Granian on 127.0.0.1.

The server gets its own data directory and database (SQLite, or a fresh PostgreSQL database when
``VERSO_TEST_POSTGRES`` is set), runs in its own process group and is stopped by that group's id.
Without Chromium the tests skip, unless ``VERSO_REQUIRE_BROWSER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

CHROME = os.environ.get("CHROME_BIN", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
    if not Path(CHROME).exists():
        if os.environ.get("VERSO_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"Chromium not found at {CHROME} and VERSO_REQUIRE_BROWSER=1")
        skip = pytest.mark.skip(reason=f"Chromium not found at {CHROME} (apt-get install chromium)")
        for item in items:
            if str(item.fspath).startswith(here):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """The browser tests talk to their own server and database, never the suite's: nothing to clean
    (and Playwright's sync API cannot share the thread with pytest-asyncio's loop)."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, tmp_root: Path) -> dict:
    profile = tmp_root / "chromium-xdg"
    profile.mkdir(exist_ok=True)
    os.environ["XDG_CONFIG_HOME"] = str(profile)
    os.environ["XDG_CACHE_HOME"] = str(profile)
    return {
        **browser_type_launch_args,
        "executable_path": CHROME,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg(sql: str) -> None:
    """Run one admin statement on a thread of its own: Playwright's loop owns this thread."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(os.environ["VERSO_TEST_POSTGRES"].replace("+asyncpg", ""))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def live_server(tmp_root: Path) -> Iterator[str]:
    """A fresh Verso (no setup done yet) with the worker on, served by ``verso run``."""
    port = _free_port()
    data = tmp_root / f"browser-{port}"
    env = {
        **os.environ,
        "VERSO_DATA_DIR": str(data),
        "VERSO_RUN_WORKER": "true",
        "VERSO_LOG_LEVEL": "WARNING",
        "VERSO_BASE_URL": f"http://127.0.0.1:{port}",
        "VERSO_SECRET_KEY": secrets.token_urlsafe(48),
        # Loopback is a trusted proxy, so each browser context can be its own client address (`person`).
        "VERSO_TRUSTED_PROXIES": "127.0.0.1",
    }
    pg_name = None
    if os.environ.get("VERSO_TEST_POSTGRES"):
        pg_name = f"verso_browser_{secrets.token_hex(4)}"
        _pg(f'CREATE DATABASE "{pg_name}"')
        env["VERSO_DATABASE_URL"] = os.environ["VERSO_TEST_POSTGRES"].rsplit("/", 1)[0] + f"/{pg_name}"
    else:
        env["VERSO_DATABASE_URL"] = f"sqlite+aiosqlite:///{data / 'verso.db'}"
    subprocess.run(
        [sys.executable, "-c", "from verso.lib.migrate import upgrade_head; upgrade_head()"],
        env=env,
        check=True,
        capture_output=True,
    )
    log = (tmp_root / f"server-{port}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "verso", "run", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, proc)
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


def _wait_until_serving(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("verso run exited early; see the server log in the test temp dir")
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # answering (503 until the worker's first heartbeat) is enough
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("verso run did not answer within 30 s")


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def run_axe(page) -> list[dict]:
    """Serious and critical accessibility violations on the current page (axe-core, vendored)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:3],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


_addresses = iter(range(1, 250))


@pytest.fixture
def person(browser):
    """A new browser context per person, each from its own client address (as separate people are):
    the per-address sign-in limit then applies per person, not to the whole suite."""
    contexts = []

    def open_context(**options):
        headers = {"X-Forwarded-For": f"198.51.100.{next(_addresses)}"}
        context = browser.new_context(extra_http_headers=headers, **options)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


EMAIL = "owner@juniper.example"
PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="session")
def wizard_screenshot(browser: Browser, live_server: str, screenshot_dir: Path) -> None:
    """Before setup: a wrong email is refused inline and the rest of the input is kept."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_console(page)
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


@pytest.fixture(scope="session")
def owner(browser: Browser, live_server: str, wizard_screenshot: None) -> dict[str, str]:
    """Run the setup wizard once for this module (the server keeps its state between tests)."""
    return complete_setup(browser, live_server)


def complete_setup(browser: Browser, base: str) -> dict[str, str]:
    """The first admin, through a fresh server's setup wizard, as the owner would."""
    page = browser.new_page()
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/setup")
    page.get_by_label("Business name").fill("Juniper Ceramics")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my business").click()
    expect(page).to_have_url(f"{base}/admin")
    page.close()
    return {"email": EMAIL, "password": PASSWORD}


def watch_console(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A 422 (inline errors) or 409 (a clash, said in a toast) is the app's answer to the person:
        # Chromium logs it, but it is expected.
        expected = "status of 422" in message.text or "status of 409" in message.text
        if not expected and ("Content Security Policy" in message.text or message.type == "error"):
            problems.append(f"{message.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def sign_in(page: Page, base: str, owner: dict[str, str]) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email or username").fill(owner["email"])
    page.get_by_label("Password").fill(owner["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(f"{base}/admin")
