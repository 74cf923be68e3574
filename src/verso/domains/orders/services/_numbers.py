"""Order numbers people can read and say: ``VRS-2026-000123``, gap-free per year.

The year's counter is raised with one upsert in the placing transaction. The upsert locks the row
until commit on PostgreSQL (SQLite serialises writers anyway), so two orders never share a number,
and a placing that rolls back gives its number back: no gaps.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import OrderCounter
from verso.lib import clock
from verso.lib.db import dialect_name

PREFIX = "VRS"


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:06d}"


async def next_number(session: AsyncSession, year: int) -> str:
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    now = clock.utcnow()
    table = OrderCounter.__table__
    statement = (
        insert(table)
        .values(year=year, last=1, created_at=now, updated_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"last": table.c.last + 1, "updated_at": func.now()}
        )
        .returning(table.c.last)
    )
    sequence = (await session.execute(statement)).scalar_one()
    return format_number(year, sequence)
