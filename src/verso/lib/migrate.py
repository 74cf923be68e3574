"""Alembic, driven from Python: used by ``verso quickstart``, the Containerfile and the tests.

``verso database ...`` (advanced-alchemy's commands) drives the same ``migrations/`` folder.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from advanced_alchemy.types import GUID
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from verso.lib.db import migrations_dir
from verso.settings import get_settings

VERSION_TABLE = "alembic_version"


def compare_type(_ctx: Any, _inspected: Any, _column: Any, _db_type: Any, model_type: Any) -> bool | None:
    """Type comparison for autogenerate and drift checks.

    advanced-alchemy's portable GUID reflects as NUMERIC/BLOB on SQLite: not a real change.
    """
    if isinstance(model_type, GUID):
        return False
    return None  # alembic's default comparison


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["url"] = url or get_settings().effective_database_url
    return config


def upgrade_head(url: str | None = None) -> None:
    """Apply every migration (call from synchronous code: alembic runs its own event loop)."""
    config = alembic_config(url)
    _ensure_sqlite_directory(config.attributes["url"])
    command.upgrade(config, "head")


def _ensure_sqlite_directory(url: str) -> None:
    database = make_url(url).database
    if url.startswith("sqlite") and database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def downgrade(revision: str, url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str | None = None) -> str | None:
    """The database's revision (call from synchronous code)."""

    async def read() -> str | None:
        engine = create_async_engine(url or get_settings().effective_database_url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_revision_of)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    ).get_current_revision()
