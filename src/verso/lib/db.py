"""Database wiring: one engine configuration for SQLite and PostgreSQL, tuned per engine.

SQLite gets WAL, foreign keys, a busy timeout and ``synchronous=NORMAL`` on every connection, which
is what a single box needs. PostgreSQL goes through asyncpg with a pool. Statements slower than
``VERSO_SLOW_QUERY_MS`` are logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from advanced_alchemy.base import orm_registry
from advanced_alchemy.config import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from litestar.di import NamedDependency
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from verso.settings import Settings, get_settings

log = logging.getLogger("verso.sql")
# The request's session, as controllers declare it (Litestar 3 wants named dependencies explicit).
DbSession = NamedDependency[AsyncSession]
metadata = orm_registry.metadata
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA temp_store=MEMORY",
    ):
        cursor.execute(pragma)
    cursor.close()


def _attach_slow_query_log(engine: Engine, threshold_ms: int) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _start(_conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool) -> None:
        context._verso_started = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _finish(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool) -> None:
        elapsed_ms = (time.perf_counter() - context._verso_started) * 1000
        if elapsed_ms >= threshold_ms:
            log.warning(
                "slow query", extra={"duration_ms": round(elapsed_ms, 1), "statement": statement[:500]}
            )


def engine_config(settings: Settings) -> EngineConfig:
    if settings.is_sqlite:
        return EngineConfig(connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, pool_pre_ping=False)
    if settings.database_pool_size == 0:
        return EngineConfig(poolclass=NullPool)  # a connection per session (behind PgBouncer, and in tests)
    return EngineConfig(
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def build_alchemy_config(settings: Settings, config_class: type[Any] = SQLAlchemyAsyncConfig) -> Any:
    """The advanced-alchemy configuration: engine, sessions and alembic in one place.

    The served app uses the framework-neutral config class; ``verso database ...`` passes
    advanced-alchemy's Litestar flavour of it (which imports alembic, so only the CLI pays for it).
    """
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = config_class(
        connection_string=settings.effective_database_url,
        engine_config=engine_config(settings),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        alembic_config=AlembicAsyncConfig(
            script_location=str(migrations_dir()),
            version_table_name="alembic_version",
            render_as_batch=True,
            compare_type=True,
        ),
        metadata=metadata,
        create_all=False,
    )
    engine = config.get_engine()
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    _attach_slow_query_log(engine.sync_engine, settings.slow_query_ms)
    return config


def migrations_dir() -> Path:
    """``migrations/`` at the top of the source tree (Verso is installed from its checkout)."""
    return Path(__file__).resolve().parents[3] / "migrations"


@lru_cache(maxsize=1)
def get_alchemy_config() -> SQLAlchemyAsyncConfig:
    """The process-wide configuration (one engine, one pool)."""
    return build_alchemy_config(get_settings())


def get_engine() -> AsyncEngine:
    return get_alchemy_config().get_engine()


def session_factory() -> async_sessionmaker[AsyncSession]:
    """Sessions for work outside a request: jobs, listeners, CLI commands."""
    return get_alchemy_config().create_session_maker()  # type: ignore[return-value]


async def provide_db_session() -> AsyncIterator[AsyncSession]:
    """The request's session (``db_session`` in controllers); closed, and rolled back if
    uncommitted, once the response is built. Services commit their own business actions."""
    async with session_factory()() as session:
        yield session


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
