"""The catalogue version: one counter that every catalogue change increments in its own transaction.

Storefront caches keep what they built together with the version they saw; a page is reused only
while the stored version is unchanged, so a price or stock change is visible on the next request in
every process. Services call :func:`catalog_changed`; the increment is written just before the
session commits, so it lands (or rolls back) with the change itself.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.base import orm_registry
from sqlalchemy import Column, Integer, Table, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from verso.lib.db import read_scalar

catalog_version = Table(
    "shop_catalog_version",
    orm_registry.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False, server_default="0"),
)
_FLAG = "verso_catalog_changed"


def catalog_changed(session: AsyncSession | Session) -> None:
    """Mark the session: its commit increments the catalogue version."""
    session.info[_FLAG] = True


def _upsert(dialect: str) -> Any:
    """``INSERT (1, 1) ... ON CONFLICT DO UPDATE version + 1``: one statement, so two processes
    changing the catalogue at once each add one, and a fresh database needs no seed row."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(catalog_version).values(id=1, version=1)
    return stmt.on_conflict_do_update(
        index_elements=[catalog_version.c.id], set_={"version": catalog_version.c.version + 1}
    )


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        session.execute(_upsert(session.get_bind().dialect.name))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_FLAG, None)


async def current_version() -> int:
    """The committed catalogue version, read fresh (a few microseconds on SQLite): what caches
    compare against on every request, so a change in any process shows on the next request."""
    return await read_scalar("SELECT version FROM shop_catalog_version WHERE id = :id", id=1) or 0
