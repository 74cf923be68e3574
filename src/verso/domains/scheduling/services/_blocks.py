"""Who may not book online: the "block" no-show penalty (or staff's own choice) stops a person's
next bookings, by email and by account, until staff lift it."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.scheduling.models import BookingBlock


async def booking_block(session: AsyncSession, email: str, customer_id: UUID | None) -> BookingBlock | None:
    """The block that stops ``email`` (or the account) from booking, or None."""
    matches = [func.lower(BookingBlock.email) == email.strip().lower()]
    if customer_id is not None:
        matches.append(BookingBlock.customer_id == customer_id)
    return await session.scalar(select(BookingBlock).where(or_(*matches)).limit(1))
