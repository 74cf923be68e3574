"""Who may not book online: the "block" no-show penalty (or staff's own choice) stops a person's
next bookings, by email and by account, until staff lift it. Blocks by hand and lifts are audited."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.scheduling.models import Attendee, BookingBlock
from verso.lib.audit import Actor, audit

MAX_REASON = 300


async def booking_block(session: AsyncSession, email: str, customer_id: UUID | None) -> BookingBlock | None:
    """The block that stops ``email`` (or the account) from booking, or None."""
    matches = [func.lower(BookingBlock.email) == email.strip().lower()]
    if customer_id is not None:
        matches.append(BookingBlock.customer_id == customer_id)
    return await session.scalar(select(BookingBlock).where(or_(*matches)).limit(1))


async def block(
    session: AsyncSession,
    email: str,
    *,
    reason: str,
    actor: Actor,
    customer_id: UUID | None = None,
    attendee_id: UUID | None = None,
) -> BookingBlock | None:
    """Stop ``email`` (and the account, when known) from booking online. None, and nothing
    changed, when a block already stops them: one block is enough to lift. Flushed."""
    if await booking_block(session, email, customer_id) is not None:
        return None
    row = BookingBlock(
        email=email.strip().lower(),
        customer_id=customer_id,
        reason=reason.strip()[:MAX_REASON],
        attendee_id=attendee_id,
    )
    session.add(row)
    await session.flush()
    audit(
        session,
        actor,
        "scheduling.block.created",
        target_type="block",
        target_id=row.id,
        target_label=row.email,
        changes={"reason": row.reason},
    )
    return row


async def lift(session: AsyncSession, block_id: UUID, *, actor: Actor) -> BookingBlock | None:
    """Let the person book online again; the lifted block, or None when there is no such block.
    Flushed."""
    row = await session.get(BookingBlock, block_id)
    if row is None:
        return None
    audit(
        session,
        actor,
        "scheduling.block.lifted",
        target_type="block",
        target_id=row.id,
        target_label=row.email,
    )
    await session.delete(row)
    await session.flush()
    return row


async def list_blocks(session: AsyncSession) -> list[BookingBlock]:
    """Every block, newest first, for the staff page."""
    return list(await session.scalars(select(BookingBlock).order_by(BookingBlock.created_at.desc())))


async def blocked_attendees(session: AsyncSession, attendees: Iterable[Attendee]) -> set[UUID]:
    """The ids of the ``attendees`` a block stops from booking (by their email or account), so the
    appointment page can say so; one query for them all."""
    people = list(attendees)
    if not people:
        return set()
    emails = {a.email.strip().lower() for a in people}
    accounts = {a.customer_id for a in people if a.customer_id is not None}
    rows = (
        await session.execute(
            select(func.lower(BookingBlock.email), BookingBlock.customer_id).where(
                or_(func.lower(BookingBlock.email).in_(emails), BookingBlock.customer_id.in_(accounts))
            )
        )
    ).all()
    blocked_emails = {row[0] for row in rows}
    blocked_accounts = {row[1] for row in rows if row[1] is not None}
    return {
        a.id
        for a in people
        if a.email.strip().lower() in blocked_emails
        or (a.customer_id is not None and a.customer_id in blocked_accounts)
    }
