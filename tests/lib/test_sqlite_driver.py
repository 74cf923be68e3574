"""The SQLite dialect's two changes (lib/sqlite_driver.py): one thread hop per statement, and writers
queueing on an in-process lock instead of in SQLite's busy handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from verso.lib import sqlite_driver

PROBE = "driver_probe"


@pytest.fixture
async def probe(session_maker, is_postgres: bool) -> AsyncIterator[None]:
    if is_postgres:
        pytest.skip("SQLite's driver")
    async with session_maker() as session:
        await session.execute(text(f"CREATE TABLE IF NOT EXISTS {PROBE} (id INTEGER PRIMARY KEY, n INTEGER)"))
        await session.commit()
    yield
    async with session_maker() as session:
        await session.execute(text(f"DROP TABLE {PROBE}"))
        await session.commit()


def _lock(session) -> asyncio.Lock:
    """The process's write lock for the test database (one per file and event loop)."""
    return sqlite_driver._write_lock(session.get_bind().url.database)


async def _insert(session, n: int) -> None:
    await session.execute(text(f"INSERT INTO {PROBE} (n) VALUES (:n)"), {"n": n})


def thread_calls(monkeypatch) -> list[object]:
    """The calls run on aiosqlite's connection threads from now on."""
    calls: list[object] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_a_statement_is_one_call_on_the_connections_thread(probe, session_maker, monkeypatch) -> None:
    async with session_maker() as session:
        await _insert(session, 1)
        await _insert(session, 2)
        await session.commit()
    async with session_maker() as session:
        await session.execute(text("SELECT 1"))  # the session's connection is open
        calls = thread_calls(monkeypatch)
        rows = (await session.execute(text(f"SELECT n FROM {PROBE} ORDER BY n"))).all()
        count = (await session.execute(text(f"SELECT count(*) FROM {PROBE}"))).scalar()
        assert [row.n for row in rows] == [1, 2] and count == 2
        assert len(calls) == 2  # the stock adapter: cursor, execute, fetch and close, four per statement


async def test_after_a_write_the_transaction_runs_in_place(probe, session_maker, monkeypatch) -> None:
    monkeypatch.setattr(sqlite_driver, "INLINE_SLICE_S", 60.0)
    async with session_maker() as session:
        await session.execute(text("SELECT 1"))
        calls = thread_calls(monkeypatch)
        await _insert(session, 1)  # may wait for another process: on the thread
        await _insert(session, 2)
        updated = await session.execute(text(f"UPDATE {PROBE} SET n = n + 10 WHERE n > 1 RETURNING n"))
        assert [row.n for row in updated] == [12]
        assert len(calls) == 1
        await session.commit()  # may checkpoint the WAL: on the thread
        assert len(calls) == 2
        await session.execute(text(f"SELECT count(*) FROM {PROBE}"))  # a new transaction: on the thread
        assert len(calls) == 3


async def test_a_long_write_transaction_still_lets_the_loop_run(probe, session_maker, monkeypatch) -> None:
    monkeypatch.setattr(sqlite_driver, "INLINE_SLICE_S", 0.0)
    async with session_maker() as session:
        await session.execute(text("SELECT 1"))
        calls = thread_calls(monkeypatch)
        for n in range(3):
            await _insert(session, n)
        assert len(calls) == 3  # every slice is over at once: each statement yields to the loop
        await session.rollback()


async def test_a_second_writer_waits_in_the_process_not_in_sqlite(probe, session_maker) -> None:
    async with session_maker() as first, session_maker() as second:
        await _insert(first, 1)  # first now holds SQLite's write lock, and the process's
        lock = _lock(first)
        assert lock.locked()

        async def write() -> None:
            await _insert(second, 2)
            await second.commit()

        waiting = asyncio.create_task(write())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        assert len(lock._waiters or ()) == 1  # queued on the lock, not sleeping in the busy handler
        await first.commit()
        await asyncio.wait_for(waiting, 2)
        assert not lock.locked()
        assert (await first.execute(text(f"SELECT count(*) FROM {PROBE}"))).scalar() == 2


async def test_the_lock_is_given_back_when_the_transaction_rolls_back(probe, session_maker) -> None:
    async with session_maker() as session:
        await _insert(session, 1)
        assert _lock(session).locked()
        await session.rollback()
        assert not _lock(session).locked()
        await session.execute(text(f"SELECT count(*) FROM {PROBE}"))  # a read takes no lock
        assert not _lock(session).locked()


async def test_a_writer_that_waits_too_long_fails_as_sqlite_would(probe, session_maker, monkeypatch) -> None:
    monkeypatch.setattr(sqlite_driver, "SQLITE_BUSY_TIMEOUT_MS", 50)
    async with session_maker() as first, session_maker() as second:
        await _insert(first, 1)
        with pytest.raises(OperationalError, match="database is locked"):
            await _insert(second, 2)
        await second.rollback()
        await first.commit()
        await _insert(second, 3)  # the lock was never taken by the failed writer
        await second.commit()
        assert (await second.execute(text(f"SELECT count(*) FROM {PROBE}"))).scalar() == 2


async def test_a_write_behind_a_comment_still_takes_the_lock(probe, session_maker) -> None:
    async with session_maker() as session:
        await session.execute(text(f"/* why */ -- and how\n INSERT INTO {PROBE} (n) VALUES (1)"))
        assert _lock(session).locked()
        await session.rollback()
        assert not _lock(session).locked()


async def test_a_savepoint_that_ends_the_transaction_leaves_the_loop_alone(
    probe, session_maker, monkeypatch
) -> None:
    """A SAVEPOINT as a session's first statement is its outermost transaction (pysqlite sends no
    BEGIN): its RELEASE commits, so what follows is a new transaction and goes through the thread."""
    monkeypatch.setattr(sqlite_driver, "INLINE_SLICE_S", 60.0)
    async with session_maker() as session:
        await session.execute(text("SELECT 1"))
        calls = thread_calls(monkeypatch)
        async with session.begin_nested():
            await _insert(session, 1)
        count = len(calls)
        await _insert(session, 2)  # a new transaction after the RELEASE: on the thread again
        assert len(calls) == count + 1
        await session.commit()
    async with session_maker() as session:
        assert (await session.execute(text(f"SELECT count(*) FROM {PROBE}"))).scalar() == 2
