"""The catalogue version: one counter that every catalogue change increments in its own transaction.

Storefront caches keep what they built together with the version they saw; a page is reused only
while the stored version is unchanged, so a price or stock change is visible on the next request in
every process. Services call :func:`catalog_changed`; the increment is written just before the
session commits, so it lands (or rolls back) with the change itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Discount, ShippingRate, ShippingZone, ShopSettings, TaxRate
from verso.lib.caches import VersionedLRU
from verso.lib.db import dialect_name, read_rows
from verso.lib.versions import ChangeCounter

T = TypeVar("T")

# The shop's set-up that checkout keeps per version (see :func:`per_version`). Its services call
# :func:`catalog_changed`; this also catches a write that bypasses them (a script, a test helper).
_catalogue = ChangeCounter(
    "shop_catalog_version", (Discount, ShippingZone, ShippingRate, ShopSettings, TaxRate)
)
catalog_version = _catalogue.table
catalog_changed = _catalogue.changed


async def current_version() -> int:
    """The committed catalogue version, read fresh: what caches compare against on every request,
    so a change in any process shows on the next request."""
    return await _catalogue.current()


_set_up: VersionedLRU[str, Any] = VersionedLRU(max_entries=32)
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

    if _catalogue.is_changed(session):
        return await build(through_session)
    version = await _catalogue.read(session)
    # On PostgreSQL through the request's own connection, as the version (see ChangeCounter.read).
    read: Reader = through_session if dialect_name(session) == "postgresql" else read_rows
    found = _set_up.get(key, version)
    if found is None:
        found = await build(read)
        _set_up.put(key, version, found)
    return cast(T, found)
