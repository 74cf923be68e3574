"""Alembic environment for Verso: every model's metadata, SQLite-safe batch mode, type comparison."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from verso.domains.shop.models._search import include_modelled_name
from verso.lib.migrate import compare_type
from verso.models import metadata

config = context.config
VERSION_TABLE = "alembic_version"


def _url() -> str:
    url = config.attributes.get("url") or getattr(config, "db_url", None)
    if url:
        return url
    from verso.settings import get_settings

    return get_settings().effective_database_url


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=compare_type,
        include_name=include_modelled_name,  # the search index's engine-made objects (FTS5, tsvector)
        version_table=VERSION_TABLE,
        user_module_prefix="sa.",
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Any) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    # Always a private engine: never dispose the application's pool from here.
    engine: AsyncEngine = create_async_engine(_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
