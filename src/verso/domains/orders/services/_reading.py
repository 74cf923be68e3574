"""Reading orders for the people allowed to: a guest through the signed link, a customer their own
(anyone else's answers "not found", never "forbidden", so numbers cannot be probed)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.orders.models import Order, OrderEvent, Payment, Shipment
from verso.domains.orders.services._figures import Figures, order_figures
from verso.domains.orders.services._links import signature_matches
from verso.domains.shop.services import checkout_settings


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as its customer sees it: no internal notes. ``pickup_instructions`` are the shop's
    current ones, for an order still to collect."""

    order: Order
    figures: Figures
    shipments: list[Shipment]
    payment: Payment | None
    events: list[OrderEvent]
    pickup_instructions: str = ""


async def by_number(session: AsyncSession, number: str) -> Order | None:
    return await session.scalar(
        select(Order).where(Order.number == number).options(selectinload(Order.lines))
    )


async def customer_view(session: AsyncSession, order: Order) -> OrderView:
    shipments = list(
        (
            await session.scalars(
                select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.shipped_at)
            )
        ).all()
    )
    payment = await session.scalar(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.created_at.desc()).limit(1)
    )
    events = list(
        (
            await session.scalars(
                select(OrderEvent)
                .where(OrderEvent.order_id == order.id, OrderEvent.internal.is_(False))
                .order_by(OrderEvent.created_at, OrderEvent.id)
            )
        ).all()
    )
    to_collect = order.delivery == "pickup" and order.status in ("pending", "paid", "processing")
    instructions = (await checkout_settings(session)).pickup_instructions if to_collect else ""
    return OrderView(order, order_figures(order), shipments, payment, events, instructions)


async def order_for_visitor(
    session: AsyncSession, number: str, *, customer_id: UUID | None, signature: str
) -> Order | None:
    """The order when the link is signed for it or it is the signed-in customer's; else None."""
    order = await by_number(session, number)
    if order is None:
        return None
    if signature_matches(number, signature):
        return order
    if customer_id is not None and order.customer_id == customer_id:
        return order
    return None
