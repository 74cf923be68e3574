"""Shared fixtures: an isolated data directory and database for the run, on SQLite or PostgreSQL.

Set ``VERSO_TEST_POSTGRES`` to a server URL (``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
to run the whole suite on PostgreSQL: a uniquely named database is created for the run and dropped
afterwards. Without it every test runs on SQLite in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="verso-test-"))
_PG_SERVER = os.environ.get("VERSO_TEST_POSTGRES", "")
_PG_DB = f"verso_test_{secrets.token_hex(4)}" if _PG_SERVER else ""

os.environ.update(
    {
        "VERSO_DATA_DIR": str(_TMP / "data"),
        "VERSO_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "VERSO_RUN_WORKER": "false",
        "VERSO_LOG_LEVEL": "WARNING",
        "VERSO_BASE_URL": "http://testserver.local",
    }
)
if _PG_SERVER:
    os.environ["VERSO_DATABASE_URL"] = _PG_SERVER.rsplit("/", 1)[0] + f"/{_PG_DB}"
    # The test client runs the app on its own event loop; asyncpg connections belong to the loop that
    # opened them, so tests open one per session instead of pooling them across loops.
    os.environ["VERSO_DATABASE_POOL_SIZE"] = "0"
else:
    os.environ["VERSO_DATABASE_URL"] = f"sqlite+aiosqlite:///{_TMP / 'data' / 'verso.db'}"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = _PG_SERVER.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    if _PG_SERVER:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{_PG_DB}"'))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _PG_SERVER:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)'))
    shutil.rmtree(_TMP, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in this thread
    until the session ends, and no asyncio test can run after it has started."""
    browser_dir = str(Path(__file__).parent / "browser")
    items.sort(key=lambda item: str(item.fspath).startswith(browser_dir))


def pytest_report_header(config: pytest.Config) -> str:
    return f"verso database: {'postgresql ' + _PG_DB if _PG_SERVER else 'sqlite'}"


@pytest.fixture(scope="session")
def is_postgres() -> bool:
    return bool(_PG_SERVER)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _TMP / "data"


@pytest.fixture(scope="session")
async def _schema() -> AsyncIterator[None]:
    """Create every table once for the run, straight from the models."""
    import verso.models  # noqa: F401  (every model, so create_all makes every table)
    from verso.lib.db import get_engine, metadata

    engine = get_engine()
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _clean_tables(_schema: None) -> AsyncIterator[None]:
    """Every test starts from empty tables."""
    yield
    from sqlalchemy import text

    from verso.lib import clock
    from verso.lib.db import get_engine, metadata
    from verso.lib.events import bus

    clock.freeze(None)
    await bus.drain()
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with get_engine().begin() as conn:
        if conn.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            await conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))
    _reset_caches()


def _reset_caches() -> None:
    from verso.lib.caches import reset_process_caches

    reset_process_caches()


@pytest.fixture
async def db_session(_schema: None) -> AsyncIterator:
    """A session outside any request, as jobs and CLI commands use."""
    from verso.lib.db import session_factory

    async with session_factory()() as session:
        yield session


@pytest.fixture
def session_maker(_schema: None):
    from verso.lib.db import session_factory

    return session_factory()


@pytest.fixture(scope="session")
def tmp_root() -> Iterator[Path]:
    yield _TMP


@pytest.fixture
async def app(_schema: None):
    from verso.app import create_app

    return create_app()


@pytest.fixture
async def client(app) -> AsyncIterator:
    """An HTTP client against the app (lifespan run, worker off), with cookies kept."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
async def admin(_schema: None):
    """A finished first-run setup: the business and its first admin (password ``ADMIN_PASSWORD``)."""
    from tests.factories import complete_setup

    return await complete_setup()


@pytest.fixture
async def admin_client(client, admin):
    from tests.factories import ADMIN_PASSWORD, sign_in

    await sign_in(client, admin.email, ADMIN_PASSWORD)
    return client
