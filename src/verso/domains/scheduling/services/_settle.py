"""What an order's outcome does to the booking it pays for. Paid: the booking is paid (and, for a
card, confirmed to the customer only now). Cancelled unpaid (the hold ran out, or staff cancelled
it): the seat goes back and the waitlist hears of it. Cancelled after payment (refunded in full by
the orders module): the booking is cancelled too.

The orders module announces each outcome as an event after its commit; a job every five minutes
settles anything an event missed (a restart between the commit and the delivery), so the two
modules never disagree for long.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import Order
from verso.domains.orders.services import CARD_PROVIDERS
from verso.domains.scheduling.models import Attendee
from verso.domains.scheduling.services._changes import cancel_attendee
from verso.domains.scheduling.services._notices import confirm_booking
from verso.domains.scheduling.services._reading import load_attendee
from verso.lib import clock, db
from verso.lib.events import listener
from verso.lib.jobs import JobContext, cron, job

log = logging.getLogger("verso.scheduling")
SETTLE_JOB = "scheduling.settle-payments"
RELEASED_REASON = "The payment did not arrive in time, so the time was released."


async def settle_order(session: AsyncSession, order: Order, *, now: datetime) -> int:
    """Bring the bookings paid by ``order`` in line with it; returns how many changed. Flushed."""
    if order.status == "pending":
        return 0
    cancelled = order.status == "cancelled"
    rows = (
        await session.execute(
            select(Attendee.id, Attendee.payment_status).where(
                Attendee.order_id == order.id,
                Attendee.payment_status.in_(("pending", "paid") if cancelled else ("pending",)),
            )
        )
    ).all()
    for attendee_id, was in rows:
        attendee = await load_attendee(session, attendee_id)
        assert attendee is not None
        if cancelled or attendee.status != "confirmed":
            attendee.payment_status = "released" if was == "pending" else "refunded"
            if attendee.status == "confirmed":
                reason = RELEASED_REASON if was == "pending" else "The payment was refunded."
                await cancel_attendee(session, attendee, now=now, by_staff=True, reason=reason)
            continue
        attendee.payment_status = "paid"
        if order.payment_provider in CARD_PROVIDERS:  # the booking email waited for the card payment
            await confirm_booking(session, attendee, now=now)
    await session.flush()
    return len(rows)


async def settle_payments(session: AsyncSession, *, now: datetime) -> int:
    """Settle every booking whose order has an outcome (the job's sweep); returns how many."""
    orders = (
        await session.scalars(
            select(Order)
            .join(Attendee, Attendee.order_id == Order.id)
            .where(
                or_(
                    and_(Attendee.payment_status == "pending", Order.status != "pending"),
                    and_(Attendee.payment_status == "paid", Order.status == "cancelled"),
                )
            )
            .distinct()
            .limit(200)
        )
    ).all()
    return sum([await settle_order(session, order, now=now) for order in orders])


@listener("order.paid", "order.cancelled")
async def on_order_outcome(name: str, payload: dict[str, Any]) -> None:
    """Settle at once, in a session of its own; the job catches up if this fails."""
    async with db.session_factory()() as session:
        order = await session.get(Order, UUID(payload["order_id"]))
        if order is not None and await settle_order(session, order, now=clock.utcnow()):
            await session.commit()


@job(SETTLE_JOB, max_attempts=3)
async def settle_payments_job(payload: dict[str, Any], ctx: JobContext) -> None:
    await settle_payments(ctx.session, now=clock.utcnow())


SETTLE_JOBS = [settle_payments_job, cron("scheduling.settle-payments", "*/5 * * * *", SETTLE_JOB)]
SETTLE_LISTENERS = [on_order_outcome]
