"""The catalogue version: one counter that every catalogue change increments in its own transaction.

Storefront caches keep what they built together with the version they saw; a page is reused only
while the stored version is unchanged, so a price or stock change is visible on the next request in
every process. Services call :func:`catalog_changed`; the increment is written just before the
session commits, so it lands (or rolls back) with the change itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from itertools import chain
from typing import Any, TypeVar, cast

from advanced_alchemy.base import orm_registry
from sqlalchemy import Column, Executable, Integer, Row, Table, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from verso.domains.shop.models import Discount, ShippingRate, ShippingZone, ShopSettings, TaxRate
from verso.lib.caches import VersionedLRU
from verso.lib.db import dialect_name, read_rows, read_scalar

T = TypeVar("T")

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


# The shop's set-up that checkout keeps per version (see :func:`per_version`). Its services call
# :func:`catalog_changed`; this also catches a write that bypasses them (a script, a test helper).
_SET_UP_MODELS = (Discount, ShippingZone, ShippingRate, ShopSettings, TaxRate)


@event.listens_for(Session, "before_flush")
def _set_up_written(session: Session, _context: Any, _instances: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(row, _SET_UP_MODELS) for row in changed):
        catalog_changed(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_FLAG, None)


async def current_version() -> int:
    """The committed catalogue version, read fresh (a few microseconds on SQLite): what caches
    compare against on every request, so a change in any process shows on the next request."""
    return await read_scalar("SELECT version FROM shop_catalog_version WHERE id = :id", id=1) or 0


_set_up: VersionedLRU[str, Any] = VersionedLRU(max_entries=32)
_VERSION = select(catalog_version.c.version).where(catalog_version.c.id == 1)
Reader = Callable[[Executable], Awaitable[Sequence[Row[Any]]]]


async def per_version(session: AsyncSession, key: str, build: Callable[[Reader], Awaitable[T]]) -> T:
    """``build(read)``'s value, kept while the catalogue version is unchanged: for the shop's set-up
    that every checkout page reads (settings, shipping zones, tax rates, automatic discounts), whose
    services call :func:`catalog_changed` when staff change it. ``build`` reads Core rows with ``read``.

    Kept values are read as committed, on a connection of their own (:func:`read_rows`) after the
    version: at least that new, never a caller's uncommitted change nor an older snapshot. A session
    that has changed the catalogue itself (not yet committed) reads through itself and keeps nothing,
    so it sees its own changes."""

    async def through_session(statement: Executable) -> Sequence[Row[Any]]:
        return (await session.execute(statement)).all()

    if session.info.get(_FLAG):
        return await build(through_session)
    if dialect_name(session) == "postgresql":
        # Through the request's own connection: a second pooled connection per read, taken while the
        # session holds one, starves the pool under load (every request holding one, waiting for
        # another). READ COMMITTED: each statement sees what is committed when it starts.
        version = (await session.execute(_VERSION)).scalar() or 0
        read: Reader = through_session
    else:
        version, read = await current_version(), read_rows
    found = _set_up.get(key, version)
    if found is None:
        found = await build(read)
        _set_up.put(key, version, found)
    return cast(T, found)
