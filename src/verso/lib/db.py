"""Database wiring: one engine configuration for SQLite and PostgreSQL, tuned per engine.

SQLite gets WAL, foreign keys, a busy timeout and ``synchronous=NORMAL`` on every connection, which
is what a single box needs. PostgreSQL goes through asyncpg with a pool. Statements slower than
``VERSO_SLOW_QUERY_MS`` are logged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Sequence
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
from sqlalchemy import Connection, Executable, Row, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from verso.lib.caches import on_reset
from verso.lib.sqlite_driver import SQLITE_BUSY_TIMEOUT_MS
from verso.settings import Settings, get_settings

log = logging.getLogger("verso.sql")
# The request's session, as controllers declare it (Litestar 3 wants named dependencies explicit).
DbSession = NamedDependency[AsyncSession]
metadata = orm_registry.metadata


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
    """Pooled connections on both engines. On SQLite a kept connection is a file handle and an
    idle thread, while opening one costs a thread start, the pragmas and SQLAlchemy's checks, so
    SQLite keeps every connection it opens (up to twice the setting) instead of closing the
    overflow: under load an overflow connection would be opened and closed on most requests."""
    if settings.database_pool_size == 0:
        return EngineConfig(poolclass=NullPool)  # a connection per session (behind PgBouncer, and in tests)
    if settings.is_sqlite:
        return EngineConfig(
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=2 * settings.database_pool_size,
            max_overflow=0,
            pool_pre_ping=False,
        )
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
        connection_string=_connection_string(settings.effective_database_url),
        engine_config=engine_config(settings),
        # advanced-alchemy's cache invalidation is not used (Verso's caches follow lib.versions);
        # saying so here spares its listener a lookup through the engine's options every commit.
        session_config=AsyncSessionConfig(expire_on_commit=False, info={"enable_cache_listener": False}),
        alembic_config=AlembicAsyncConfig(
            script_location=str(migrations_dir()),
            version_table_name="alembic_version",
            render_as_batch=True,
            compare_type=True,
        ),
        metadata=metadata,
        create_all=False,
        # Verso keeps files in lib.storage, not in advanced-alchemy's FileObject columns; its
        # listener would inspect every object of every flush for them.
        enable_file_object_listener=False,
    )
    engine = config.get_engine()
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    _attach_slow_query_log(engine.sync_engine, settings.slow_query_ms)
    return config


def _connection_string(url: str) -> str:
    """SQLite files go through Verso's tuning of the aiosqlite dialect (lib/sqlite_driver.py); an
    in-memory database (one connection, shared) keeps the stock dialect."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite" and parsed.database not in (None, "", ":memory:"):
        return parsed.set(drivername="sqlite+verso").render_as_string(hide_password=False)
    return url


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


async def update_or_insert(session: AsyncSession, update: Executable, insert: Executable) -> Any:
    """The first column of ``update`` (an UPDATE ... RETURNING), or, when it matched no row, of
    ``insert`` (None when that inserted nothing either). Two statements SQLAlchemy compiles once,
    where an ``ON CONFLICT`` upsert (:func:`upsert`) is compiled afresh on every call (SQLAlchemy
    2.0 keeps no cache for it): the better trade on a hot path, where the row is usually there.
    A key inserted by someone else meanwhile cannot fail it: on SQLite the UPDATE already holds the
    only write lock; on PostgreSQL the INSERT runs in a savepoint and the UPDATE runs again."""
    found = (await session.execute(update)).scalar()
    if found is not None:
        return found
    if dialect_name(session) != "postgresql":
        return (await session.execute(insert)).scalar()
    try:
        async with session.begin_nested():
            return (await session.execute(insert)).scalar()
    except IntegrityError:
        return (await session.execute(update)).scalar()


def upsert(session: AsyncSession | str, table: Any) -> Any:
    """An INSERT into ``table`` (a model or a Table) that knows ``ON CONFLICT`` on the session's
    database (or the dialect named): both engines speak it, through their own constructs."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session if isinstance(session, str) else dialect_name(session)
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


_sqlite_reader: sqlite3.Connection | None = None
_sqlite_reader_engine: Engine | None = None
# SQLAlchemy connections over the reader, one per thread (tests run the app on a thread of its own).
_reader_connections: dict[int, Connection] = {}


@on_reset
def _close_reader() -> None:
    global _sqlite_reader, _sqlite_reader_engine
    for connection in _reader_connections.values():
        connection.close()
    _reader_connections.clear()
    if _sqlite_reader_engine is not None:
        _sqlite_reader_engine.dispose()
        _sqlite_reader_engine = None
    if _sqlite_reader is not None:
        _sqlite_reader.close()
        _sqlite_reader = None


def _reader() -> sqlite3.Connection | None:
    """This process's read-only synchronous connection to the SQLite file (None on PostgreSQL)."""
    global _sqlite_reader
    if _sqlite_reader is None:
        url = make_url(get_settings().effective_database_url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        _sqlite_reader = sqlite3.connect(url.database, check_same_thread=False, isolation_level=None)
        _sqlite_reader.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _sqlite_reader.execute("PRAGMA query_only=1")
    return _sqlite_reader


def has_local_reads() -> bool:
    """True on SQLite, where :func:`read_row` costs microseconds and no thread hop."""
    return _reader() is not None


async def read_row(sql: str, **params: Any) -> tuple[Any, ...] | None:
    """One row from a tiny indexed read that runs on every request (a version counter, a session).

    On SQLite it runs synchronously on a connection of its own: WAL readers see the latest commit
    and never wait for writers, and a few microseconds on the event loop cost far less than the
    thread hop of an aiosqlite call. On PostgreSQL it is an ordinary pooled query. ``sql`` names its
    parameters ``:name`` (both drivers read that style)."""
    reader = _reader()
    if reader is not None:
        return reader.execute(sql, params).fetchone()
    async with get_engine().connect() as connection:
        row = (await connection.execute(text(sql), params)).first()
    return tuple(row) if row is not None else None


def _reader_engine() -> Engine | None:
    """A synchronous SQLAlchemy engine over :func:`_reader`'s connection, so a Core statement's
    types (UUIDs, times, JSON) convert as they do through the async engine."""
    global _sqlite_reader_engine
    if _sqlite_reader_engine is None:
        reader = _reader()
        if reader is None:
            return None
        _sqlite_reader_engine = create_engine("sqlite://", creator=lambda: reader, poolclass=StaticPool)
    return _sqlite_reader_engine


def _reader_connection() -> Connection | None:
    """This thread's SQLAlchemy connection over the reader, kept open: connecting and closing
    cost more than a small read. The reader is in autocommit, so each read sees the last commit."""
    thread = threading.get_ident()
    connection = _reader_connections.get(thread)
    if connection is None:
        engine = _reader_engine()
        if engine is None:
            return None
        connection = _reader_connections[thread] = engine.connect()
    return connection


async def read_rows(statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Row[Any]]:
    """The rows of a small Core read on a hot page (a visitor's own bits of a shared page): on
    SQLite synchronously, with no thread hop; on PostgreSQL through the pool."""
    reader = _reader_connection()
    if reader is not None:
        try:
            return reader.execute(statement, params).all()
        except Exception:
            reader.rollback()  # leave the kept connection usable
            raise
    async with get_engine().connect() as connection:
        return (await connection.execute(statement, params)).all()


async def read_scalar(sql: str, **params: Any) -> Any:
    """The first column of :func:`read_row`, or None."""
    row = await read_row(sql, **params)
    return row[0] if row else None
