"""SQLAlchemy's aiosqlite dialect, tuned for one busy process writing to one SQLite file.

Three changes, all measured on the checkout path (``bench/checkout.py``):

- **One thread hop per statement.** aiosqlite runs every call on the connection's own thread, and
  SQLAlchemy's adapter makes four calls per statement (open a cursor, execute, fetch, close), each
  a round trip through a queue, a thread wake-up and the event loop. Here the whole statement runs
  in one call, and a commit or rollback with no transaction open (the pool rolls back every
  connection it takes back) makes none.
- **Writers queue in the event loop, not in SQLite's busy handler.** SQLite has one writer at a
  time; a connection that finds the file locked sleeps in the busy handler (1, 2, 5... up to 100 ms
  at a time), long after the writer before it finished. Writes from this process first take an
  ``asyncio.Lock`` (one per event loop and database file) at their first write statement and give it
  back when the transaction ends, which is when SQLite's own lock is given back too. The next writer
  starts the moment the lock is free. Other processes (a CLI command, a second worker) still meet
  SQLite's busy timeout, as before. A writer that waits longer than that timeout fails as SQLite
  would: "database is locked".
- **Inside a write transaction, statements run on the event loop.** Once a write has run (on the
  connection's thread, as it may wait for another process), SQLite's write lock is this
  transaction's, so the statements after it cannot wait on anyone and take microseconds: they run
  in place, without a hop, for up to ``INLINE_SLICE_S`` at a time before one goes through the
  thread again and lets other requests run (a long import still shares the loop). While the lock is
  held every other writer waits, so this shortens the queue. Whatever ends a transaction (a commit,
  the RELEASE of an outermost savepoint) goes through the thread: it may checkpoint the WAL, which
  writes the database file. A single long statement inside a write transaction still holds the
  loop while it runs.

Registered as ``sqlite+verso``; :func:`verso.lib.db.build_alchemy_config` uses it for SQLite files.
The dialect keeps aiosqlite's name and behaviour otherwise.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
import weakref
from collections import deque
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import await_only

SQLITE_BUSY_TIMEOUT_MS = 10_000
INLINE_SLICE_S = 0.002
# What comes before a statement's first keyword (sqlite3 skips it too when it decides to BEGIN).
_LEAD = r"(?:\s|/\*.*?\*/|--[^\n]*(?:\n|$)|\()*"
# A statement that takes SQLite's write lock. Compiled ORM and Core writes are recognised by their
# execution context; this catches text() statements and DDL. (``WITH ... INSERT`` runs in
# autocommit under Python 3.11's sqlite3, so it holds no lock past itself and is not counted: a
# read-only ``WITH`` must not take the lock.)
_WRITE = re.compile(_LEAD + r"(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE | re.DOTALL)
# Statements that end a transaction (RELEASE of the outermost savepoint commits): never in place, as
# a commit may checkpoint the WAL.
_ENDS = re.compile(_LEAD + r"(RELEASE|COMMIT|END|ROLLBACK)\b", re.IGNORECASE | re.DOTALL)
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _write_lock(database: str) -> asyncio.Lock:
    """The write lock of one database file on this event loop (tests run the app on a loop of its
    own, and two files have two locks)."""
    loop = asyncio.get_running_loop()
    locks = _locks.get(loop)
    if locks is None:
        locks = _locks[loop] = {}
    lock = locks.get(database)
    if lock is None:
        lock = locks[database] = asyncio.Lock()
    return lock


async def _acquire(lock: asyncio.Lock) -> None:
    async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
        await lock.acquire()


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple[Any, ...]:
    """One statement, start to finish, on the connection's thread."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


async def _in_place(conn: sqlite3.Connection, operation: str, parameters: Any) -> tuple[Any, ...]:
    """:func:`_run` on the event loop's thread. A coroutine that never suspends, awaited only so that
    SQLAlchemy sees the await its async API requires of every statement."""
    return _run(conn, operation, parameters, False)


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._call(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._call(operation, seq_of_parameters, many=True)

    def _call(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapted: _Connection = self._adapt_connection  # type: ignore[assignment]
        try:
            connection = self._connection
            if (
                not many
                and time.perf_counter() < adapted.inline_until
                and connection._conn.in_transaction
                and not _ENDS.match(operation)
            ):
                description, rows, lastrowid, rowcount = self.await_(
                    _in_place(connection._conn, operation, parameters)
                )
            else:
                description, rows, lastrowid, rowcount = self.await_(
                    connection._execute(_run, connection._conn, operation, parameters, many)
                )
                if adapted.write_lock is not None and connection._conn.in_transaction:
                    adapted.inline_until = time.perf_counter() + INLINE_SLICE_S
        except Exception as error:
            adapted._handle_exception(error)
        self.description = description
        if description:
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows)
        else:
            self.lastrowid, self.rowcount = lastrowid, rowcount


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("database", "inline_until", "write_lock")

    def __init__(self, dbapi: Any, connection: Any, database: str) -> None:
        super().__init__(dbapi, connection)
        self.database = database
        self.write_lock: asyncio.Lock | None = None  # held from the first write to commit or rollback
        self.inline_until = 0.0  # statements run on the event loop until then (see the docstring)

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        return super().cursor(server_side) if server_side else _Cursor(self)

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        """False when a commit or rollback would do nothing (the pool rolls back every connection
        it takes back, most of them after reads only): then it costs no hop."""
        raw = self._connection._connection
        return raw is None or raw.in_transaction

    def transaction_open(self) -> bool:
        raw = self._connection._connection
        return raw is not None and raw.in_transaction

    def take_write_lock(self) -> None:
        if self.write_lock is not None:
            return
        lock = _write_lock(self.database)
        try:
            await_only(_acquire(lock))
        except TimeoutError:
            raise self.dbapi.OperationalError("database is locked") from None
        self.write_lock = lock

    def give_write_lock(self) -> None:
        self.inline_until = 0.0
        lock, self.write_lock = self.write_lock, None
        if lock is not None:
            lock.release()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        kw["check_same_thread"] = False  # statements in a write transaction run on the loop's thread
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection, str(arg[0] if arg else kw.get("database", "")))


class VersoSQLiteDialect(SQLiteDialect_aiosqlite):
    """aiosqlite with one hop per statement and an in-process queue for writers."""

    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> _DBAPI:  # type: ignore[override]
        return _DBAPI(__import__("aiosqlite"), sqlite3)

    def _before(self, cursor: Any, statement: str, context: Any) -> None:
        compiled_write = context is not None and (context.isinsert or context.isupdate or context.isdelete)
        if compiled_write or _WRITE.match(statement):
            cursor._adapt_connection.take_write_lock()

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        self._before(cursor, statement, context)
        super().do_execute(cursor, statement, parameters, context)

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        self._before(cursor, statement, context)
        super().do_executemany(cursor, statement, parameters, context)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        self._before(cursor, statement, context)
        super().do_execute_no_params(cursor, statement, context)

    def do_commit(self, dbapi_connection: Any) -> None:
        try:
            super().do_commit(dbapi_connection)
        finally:
            if not dbapi_connection.transaction_open():  # a failed commit keeps it until the rollback
                dbapi_connection.give_write_lock()

    def do_rollback(self, dbapi_connection: Any) -> None:
        try:
            super().do_rollback(dbapi_connection)
        finally:
            dbapi_connection.give_write_lock()

    def do_close(self, dbapi_connection: Any) -> None:
        try:
            super().do_close(dbapi_connection)
        finally:
            dbapi_connection.give_write_lock()

    def do_terminate(self, dbapi_connection: Any) -> None:
        try:
            super().do_terminate(dbapi_connection)
        finally:
            dbapi_connection.give_write_lock()


registry.register("sqlite.verso", __name__, "VersoSQLiteDialect")
