"""Migrations against models: ``upgrade head`` on an empty database matches the models exactly, and
the newest migration downgrades. Runs on whichever engine the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from verso.domains.shop.models._search import include_modelled_name
from verso.lib import migrate
from verso.models import metadata


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(os.environ["VERSO_TEST_POSTGRES"].replace("+asyncpg", ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database on the engine under test."""
    server = os.environ.get("VERSO_TEST_POSTGRES")
    if not server:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"verso_mig_{secrets.token_hex(4)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _inspect(url: str, fn):
    async def run():
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(fn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _drift(connection: Connection) -> list:
    # Only the search index's objects that the engine makes outside the models are skipped.
    opts = {"compare_type": migrate.compare_type, "include_name": include_modelled_name}
    context = MigrationContext.configure(connection, opts=opts)
    return compare_metadata(context, metadata)


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def test_upgrade_head_matches_the_models(empty_database_url: str) -> None:
    migrate.upgrade_head(empty_database_url)
    assert migrate.current_revision(empty_database_url) == migrate.head_revision()
    assert _inspect(empty_database_url, _drift) == []
    assert set(metadata.tables) <= _inspect(empty_database_url, _tables)


def test_newest_migration_downgrades_and_upgrades_again(empty_database_url: str) -> None:
    migrate.upgrade_head(empty_database_url)
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_database_url))
    newest = script.get_revision(script.get_current_head())
    migrate.downgrade(newest.down_revision or "base", empty_database_url)
    assert migrate.current_revision(empty_database_url) == newest.down_revision
    migrate.upgrade_head(empty_database_url)
    assert _inspect(empty_database_url, _drift) == []


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
