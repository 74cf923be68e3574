"""Order numbers people can read and say: ``VRS-2026-000123``, gap-free per year.

The year's counter is raised in the placing transaction (an UPDATE, or the year's first INSERT),
which locks the row until commit on PostgreSQL (SQLite serialises writers anyway), so two orders
never share a number, and a placing that rolls back gives its number back: no gaps.
"""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import OrderCounter
from verso.lib import clock
from verso.lib.db import update_or_insert

PREFIX = "VRS"


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:06d}"


async def next_number(session: AsyncSession, year: int) -> str:
    now = clock.utcnow()
    table = OrderCounter.__table__
    sequence = await update_or_insert(
        session,
        update(table)
        .where(table.c.year == year)
        .values(last=table.c.last + 1, updated_at=now)
        .returning(table.c.last),
        insert(table).values(year=year, last=1, created_at=now, updated_at=now).returning(table.c.last),
    )
    return format_number(year, sequence)
