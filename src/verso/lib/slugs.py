"""URL slugs: readable ASCII from any name, kept unique within a table column."""

from __future__ import annotations

import re
from typing import Any

from slugify import slugify as _slugify
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str, max_length: int = 80) -> str:
    """``"Größe Été & Co"`` -> ``"grosse-ete-co"``; ``""`` when nothing readable is left."""
    return _slugify(text, max_length=max_length, word_boundary=True, lowercase=True)


def is_slug(text: str) -> bool:
    return bool(SLUG_PATTERN.fullmatch(text))


async def unique_slug(
    session: AsyncSession,
    column: InstrumentedAttribute[str],
    base: str,
    *,
    exclude_id: Any = None,
    reserved: set[str] | None = None,
    max_length: int = 80,
) -> str:
    """``base``, or ``base-2``, ``base-3``... the first one no other row of ``column``'s table uses."""
    base = (slugify(base, max_length=max_length - 4) or "item")[: max_length - 4].strip("-")
    model = column.class_
    stmt = select(column).where(column.like(f"{base}%"))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    taken = set((await session.scalars(stmt)).all()) | (reserved or set())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
