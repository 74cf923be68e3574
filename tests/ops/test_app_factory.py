"""The app factory and the data layer's defaults."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from verso.server.routing import load_domains
from verso.server.security import security_headers
from verso.settings import get_settings


def test_every_domain_is_wired(app) -> None:
    paths = {route.path for route in app.routes}
    for expected in (
        "/login",
        "/admin",
        "/admin/jobs",
        "/admin/outbox",
        "/admin/audit",
        "/health",
        "/metrics",
    ):
        assert expected in paths
    assert {module.key for module, _package in load_domains()} >= {"identity", "ops", "compliance"}


NEW_DOMAIN = '''
"""A module written by following the pattern of the others."""
from litestar import get

from verso.lib.modules import Module
from verso.server.navigation import NavEntry


@get("/admin/greenhouse", permission="admin.access", nav=NavEntry("Operations", "Greenhouse"),
     sync_to_thread=False)
def greenhouse() -> str:
    return "tomatoes"


module = Module("greenhouse", "Greenhouse", "Plants", core=True)
routes = [greenhouse]
listeners: list = []
jobs: list = []
'''


async def test_a_new_domain_needs_no_wiring(tmp_path, monkeypatch, admin) -> None:
    """Drop a package beside the others: it is routed, guarded and in the sidebar."""
    from litestar.testing import AsyncTestClient

    import verso.domains
    from tests.factories import ADMIN_PASSWORD, sign_in
    from verso.app import create_app

    (tmp_path / "greenhouse").mkdir()
    (tmp_path / "greenhouse" / "__init__.py").write_text(NEW_DOMAIN)
    monkeypatch.setattr(verso.domains, "__path__", [*verso.domains.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "verso.domains.greenhouse", raising=False)
    async with AsyncTestClient(app=create_app(), base_url="http://testserver.local") as client:
        assert (await client.get("/admin/greenhouse", follow_redirects=False)).status_code == 303
        await sign_in(client, admin.email, ADMIN_PASSWORD)
        assert (await client.get("/admin/greenhouse")).text == "tomatoes"
        assert 'href="/admin/greenhouse"' in (await client.get("/admin")).text
    sys.modules.pop("verso.domains.greenhouse", None)


def test_heavy_optional_libraries_are_not_loaded_by_the_served_app() -> None:
    code = (
        "import json, sys; from verso.app import create_app; create_app(); "
        "heavy = ('stripe', 'pywebpush', 'alembic', 'mako', 'rich', 'babel', 'icalendar'); "
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


async def test_sqlite_connections_are_tuned(is_postgres: bool) -> None:
    if is_postgres:
        pytest.skip("SQLite pragmas only apply to SQLite")
    from verso.lib.db import get_engine

    async with get_engine().connect() as conn:
        values = [
            (await conn.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        ]
    assert values == ["wal", 1, 10_000, 1]  # synchronous=NORMAL is 1


def test_https_turns_on_hsts_and_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    https = dataclasses.replace(get_settings(), base_url="https://shop.example")
    headers = dict(security_headers(https))
    assert headers[b"strict-transport-security"] == b"max-age=31536000; includeSubDomains"
    assert b"strict-transport-security" not in dict(security_headers(get_settings()))
    monkeypatch.setattr("verso.domains.identity.cookies.get_settings", lambda: https)
    from verso.domains.identity.cookies import session_cookie

    cookie = session_cookie("token")
    assert cookie.secure and cookie.httponly and cookie.samesite == "lax"


def test_start_up_leaves_heavy_libraries_for_first_use(tmp_path: Path) -> None:
    """The start-up budget (issue 2) holds only while these load on first use, not at import."""
    heavy = ["webauthn", "joserfc", "cryptography", "httpx", "PIL", "stripe", "pywebpush"]
    probe = (
        "import sys; from verso.app import create_app; create_app(); "
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    env = {**os.environ, "VERSO_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_route_reserving_an_undeclared_action_is_named(app) -> None:
    """A typo in ``verified_action=`` would silently switch the check off: start-up names it."""
    from litestar import get

    from verso.server.routing import route_handlers, unknown_verified_actions

    assert unknown_verified_actions(route_handlers(app)) == []

    @get("/typo", permission="shop.products.read", verified_action="shop.reveiws.write", sync_to_thread=False)
    def typo() -> None: ...

    assert unknown_verified_actions([("/typo", typo)]) == ["/typo (shop.reveiws.write)"]
