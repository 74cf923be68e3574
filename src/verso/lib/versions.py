"""Change counters: one committed number per kind of data (the shop's catalogue, the scheduling
set-up and bookings) that every change increments in its own transaction.

Caches keep what they built together with the number they saw and reuse it only while the stored
number is unchanged, so a change made by any process shows on the next request everywhere. A service
marks its session with :meth:`ChangeCounter.changed` (writes of the counter's models are marked
automatically); the increment is written just before the session commits, so it lands (or rolls
back) with the change itself.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from advanced_alchemy.base import orm_registry
from sqlalchemy import Column, Integer, Table, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from verso.lib.db import dialect_name, read_scalar, upsert


class ChangeCounter:
    """The counter in table ``name`` (one row, id 1), bumped by sessions that wrote any of
    ``models`` or were marked with :meth:`changed`."""

    def __init__(self, name: str, models: tuple[type, ...] = ()) -> None:
        self.table = Table(
            name,
            orm_registry.metadata,
            Column("id", Integer, primary_key=True, autoincrement=False),
            Column("version", Integer, nullable=False, server_default="0"),
        )
        self.select = select(self.table.c.version).where(self.table.c.id == 1)
        self._sql = f"SELECT version FROM {name} WHERE id = 1"  # noqa: S608 (a constant table name)
        self._flag = f"verso_changed:{name}"
        self._models = models
        event.listen(Session, "before_flush", self._written)
        event.listen(Session, "before_commit", self._bump)
        event.listen(Session, "after_rollback", self._forget)

    def changed(self, session: AsyncSession | Session) -> None:
        """Mark the session: its commit increments the counter."""
        session.info[self._flag] = True

    def is_changed(self, session: AsyncSession | Session) -> bool:
        """Whether the session has changed this data and not committed yet."""
        return bool(session.info.get(self._flag))

    async def current(self) -> int:
        """The committed number, read fresh (a few microseconds on SQLite)."""
        return await read_scalar(self._sql) or 0

    async def read(self, session: AsyncSession) -> int:
        """:meth:`current` for a request holding ``session``: on PostgreSQL through the session's own
        connection (a second pooled connection per read, taken while the session holds one, starves
        the pool under load; READ COMMITTED sees what is committed when the statement starts)."""
        if dialect_name(session) == "postgresql":
            return (await session.execute(self.select)).scalar() or 0
        return await self.current()

    def _upsert(self, dialect: str) -> Any:
        """``INSERT (1, 1) ... ON CONFLICT DO UPDATE version + 1``: one statement, so two processes
        changing the data at once each add one, and a fresh database needs no seed row."""
        stmt = upsert(dialect, self.table).values(id=1, version=1)
        return stmt.on_conflict_do_update(
            index_elements=[self.table.c.id], set_={"version": self.table.c.version + 1}
        )

    def _written(self, session: Session, _context: Any, _instances: Any) -> None:
        if self._models and any(
            isinstance(row, self._models) for row in chain(session.new, session.dirty, session.deleted)
        ):
            self.changed(session)

    def _bump(self, session: Session) -> None:
        if session.info.pop(self._flag, False):
            session.execute(self._upsert(session.get_bind().dialect.name))

    def _forget(self, session: Session) -> None:
        session.info.pop(self._flag, None)
