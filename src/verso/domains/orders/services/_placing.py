"""Placing an order: one transaction that numbers it, freezes its figures and lines, takes the stock,
counts the discount uses and redeems the gift cards, each with a conditional UPDATE. When any of them
finds the world changed (the last unit sold, a code's last use taken, a card's balance spent), the
caller rolls the whole transaction back and the customer gets the reason: nothing half-written,
nothing oversold, no number skipped.

A card payment holds the stock for the shop's hold time; an offline order keeps its stock until
staff cancel it. :func:`release_unpaid` undoes a placement that will never be paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order, OrderLine, StockHold
from verso.domains.orders.services._numbers import next_number
from verso.domains.orders.services._pricing import PricedCart
from verso.domains.orders.services._timeline import record
from verso.domains.shop.services import (
    CartLineView,
    credit_gift_card,
    record_discount_use,
    redeem_gift_card,
    release_discount_uses,
    return_stock,
    take_stock,
)
from verso.lib import clock
from verso.lib.audit import Actor
from verso.lib.events import publish

CARD_PROVIDERS = frozenset({"stripe"})
PAY_ON_PICKUP = "pay_on_pickup"  # offered only to an order collected at the shop


class CheckoutError(Exception):
    """Checkout cannot go on; ``message`` says why to the customer and ``step`` which part of the
    checkout page to reopen (``cart``, ``contact``, ``address``, ``shipping``, ``codes``, ``pay``)."""

    def __init__(self, message: str, step: str = "pay") -> None:
        super().__init__(message)
        self.message, self.step = message, step


@dataclass(frozen=True, slots=True)
class Placement:
    """Who is buying and how, as the checkout steps collected it."""

    customer_id: UUID | None
    email: str
    name: str
    phone: str
    address: dict[str, str] | None  # where to ship, or the shop's location for a pickup
    provider: str
    note: str = ""
    delivery: str = "ship"  # or "pickup"


def check_ready(priced: PricedCart, placement: Placement, available: frozenset[str]) -> None:
    """Refuse, with the step to fix, what cannot be placed as it is."""
    view, totals = priced.view, priced.totals
    if view.empty:
        raise CheckoutError("Your cart is empty.", "cart")
    if view.problems:
        raise CheckoutError("Some items in your cart need your attention first.", "cart")
    if not placement.email:
        raise CheckoutError("Enter your email address.", "contact")
    if totals.needs_shipping and not placement.address:
        raise CheckoutError("Enter the delivery address.", "address")
    if totals.needs_shipping and totals.shipping is None:
        raise CheckoutError("Choose how to ship your order.", "shipping")
    if refused := [r for r in totals.refusals if r.reason != "not_needed"]:
        raise CheckoutError(
            refused[0].message, "shipping" if refused[0].reason == "shipping_unavailable" else "codes"
        )
    if totals.amount_due > 0 and placement.provider == PAY_ON_PICKUP and placement.delivery != "pickup":
        raise CheckoutError(
            "Pay on pickup is for orders you collect at the shop: choose another way to pay.", "pay"
        )
    if totals.amount_due > 0 and placement.provider not in available:
        raise CheckoutError("Choose how to pay.", "pay")


def _line(position: int, view: CartLineView, receipt: Any) -> OrderLine:
    item = view.item
    digital = view.components[0].digital_file if len(view.components) == 1 else None
    return OrderLine(
        position=position,
        product_id=item.product_id,
        variant_id=item.variant_id,
        bundle_id=item.bundle_id,
        components=[
            {
                "product_id": str(c.product_id),
                "variant_id": str(c.variant_id) if c.variant_id else None,
                "quantity": c.quantity,
                "name": c.name,
            }
            for c in view.components
        ],
        name=view.name,
        variant_name=view.variant_name,
        sku="",
        unit_price=view.unit_price,
        quantity=view.quantity,
        subtotal=receipt.subtotal,
        discount=receipt.discount,
        tax=receipt.tax,
        total=receipt.total,
        weight_grams=view.weight,
        is_shippable=view.shippable and not view.is_gift_card,
        is_digital=view.is_digital,
        digital_file_digest=digital,
        is_gift_card=view.is_gift_card,
        details=dict(item.details or {}),
    )


def _local_year(now: datetime) -> int:
    return now.astimezone(ZoneInfo(business_cache.current().timezone)).year


async def _pending_order(session: AsyncSession, placement: Placement, now: datetime, **figures: Any) -> Order:
    """A new pending order for ``placement`` with the next number of the year; ``figures`` are the
    money and payment columns the caller worked out."""
    return Order(
        number=await next_number(session, _local_year(now)),
        customer_id=placement.customer_id,
        email=placement.email,
        name=placement.name,
        phone=placement.phone,
        status="pending",
        fulfilment_status="unfulfilled",
        customer_note=placement.note,
        **figures,
    )


async def place_order(
    session: AsyncSession, priced: PricedCart, placement: Placement, *, now: datetime
) -> Order:
    """Write the order and take what it needs; raise :class:`CheckoutError` when something ran out
    meanwhile (the caller rolls back)."""
    totals, settings = priced.totals, priced.settings
    card = placement.provider in CARD_PROVIDERS and totals.amount_due > 0
    order = await _pending_order(
        session,
        placement,
        now,
        currency=priced.currency,
        prices_include_tax=settings.prices_include_tax,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        shipping_total=totals.shipping.amount if totals.shipping else 0,
        tax_total=totals.taxes.total,
        total=totals.total,
        gift_card_total=totals.gift_card_total,
        amount_due=totals.amount_due,
        delivery=placement.delivery,
        shipping_address=placement.address if totals.needs_shipping else None,
        billing_address=placement.address if placement.delivery == "ship" else None,
        shipping_rate_id=totals.shipping.rate_id if totals.shipping else None,
        shipping_method=totals.shipping.name if totals.shipping else "",
        discounts=[
            {"id": str(a.discount.id), "label": a.discount.label, "amount": a.amount}
            for a in totals.discounts
        ],
        tax_lines=[
            {"name": t.name, "kind": t.kind, "rate": t.rate, "amount": t.amount} for t in totals.taxes.lines
        ],
        gift_cards=[
            {"id": str(r.card.id), "code": r.card.code[-4:], "amount": r.amount} for r in totals.gift_cards
        ],
        payment_provider=placement.provider if totals.amount_due > 0 else "gift_card",
        hold_expires_at=now + timedelta(minutes=settings.hold_minutes) if card else None,
    )
    order.lines = [
        _line(i, view, receipt)
        for i, (view, receipt) in enumerate(zip(priced.view.lines, totals.lines, strict=True))
    ]
    session.add(order)
    await session.flush()
    await _take_stock(session, order, priced, held=card, now=now, minutes=settings.hold_minutes)
    for applied in totals.discounts:
        if not await record_discount_use(
            session,
            discount_id=applied.discount.id,
            order_id=order.id,
            customer_id=placement.customer_id,
            email=placement.email,
            amount=applied.amount,
        ):
            label = applied.discount.label
            raise CheckoutError(
                f"The code {label} has just reached its usage limit, or you have used it already.", "codes"
            )
    for redemption in totals.gift_cards:
        if not await redeem_gift_card(
            session, card_id=redemption.card.id, amount=redemption.amount, order_id=order.id
        ):
            raise CheckoutError("A gift card's balance changed meanwhile: please apply it again.", "codes")
    record(session, order, "placed", f"Order placed by {placement.name or placement.email}.")
    publish(session, "order.created", order_id=str(order.id), number=order.number, total=order.total)
    return order


@dataclass(frozen=True, slots=True)
class ServiceCharge:
    """One service sold outside the cart (a booked appointment, in full or its deposit): no stock,
    no shipping, no discount; the price is what the customer pays."""

    name: str
    detail: str
    amount: int
    currency: str
    hold_minutes: int


async def place_service_order(
    session: AsyncSession, charge: ServiceCharge, placement: Placement, *, now: datetime
) -> Order:
    """Write a pending order for ``charge``, numbered like any other, so staff take, refund and
    export its money on the same screens. A card payment must arrive within ``hold_minutes``;
    an offline one waits for staff. Flushed; the caller commits."""
    card = placement.provider in CARD_PROVIDERS
    order = await _pending_order(
        session,
        placement,
        now,
        currency=charge.currency,
        subtotal=charge.amount,
        total=charge.amount,
        amount_due=charge.amount,
        payment_provider=placement.provider,
        hold_expires_at=now + timedelta(minutes=charge.hold_minutes) if card else None,
    )
    order.lines = [
        OrderLine(
            position=0,
            name=charge.name,
            variant_name=charge.detail,
            unit_price=charge.amount,
            quantity=1,
            subtotal=charge.amount,
            total=charge.amount,
            is_shippable=False,
        )
    ]
    session.add(order)
    await session.flush()
    record(session, order, "placed", f"{charge.name} booked by {placement.name or placement.email}.")
    publish(session, "order.created", order_id=str(order.id), number=order.number, total=order.total)
    return order


async def _take_stock(
    session: AsyncSession, order: Order, priced: PricedCart, *, held: bool, now: datetime, minutes: int
) -> None:
    for view in priced.view.lines:
        for part in view.components:
            quantity = part.quantity * view.quantity
            if not await take_stock(session, part.product_id, part.variant_id, quantity):
                raise CheckoutError(
                    f"Sorry, {part.name} has just sold out or has fewer left than you asked for.", "cart"
                )
            session.add(
                StockHold(
                    order_id=order.id,
                    product_id=part.product_id,
                    variant_id=part.variant_id,
                    quantity=quantity,
                    state="held" if held else "committed",
                    expires_at=now + timedelta(minutes=minutes),
                )
            )


async def commit_holds(session: AsyncSession, order: Order) -> bool:
    """Payment arrived: the held stock is the order's for good. False when the hold had already
    been released (paid after it expired) and the stock could not be taken again."""
    holds = (await session.scalars(select(StockHold).where(StockHold.order_id == order.id))).all()
    complete = True
    for hold in holds:
        if hold.state == "released":
            complete = await take_stock(session, hold.product_id, hold.variant_id, hold.quantity) and complete
        hold.state = "committed"
    return complete


async def return_held_stock(
    session: AsyncSession, order: Order, *, states: tuple[str, ...] = ("held", "committed")
) -> None:
    """Give back the stock of holds in ``states`` (once: each becomes ``released``)."""
    holds = (
        await session.scalars(
            select(StockHold).where(StockHold.order_id == order.id, StockHold.state.in_(states))
        )
    ).all()
    for hold in holds:
        await return_stock(session, hold.product_id, hold.variant_id, hold.quantity)
        hold.state = "released"


async def release_unpaid(
    session: AsyncSession, order: Order, *, reason: str, actor: Actor | None = None
) -> bool:
    """Cancel a pending order that will not be paid: stock, discount uses and gift cards go back.
    Guarded by a conditional UPDATE, so a webhook and the expiry job racing release it once."""
    changed = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == "pending")
        .values(status="cancelled", cancelled_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.refresh(order)
    await return_held_stock(session, order)
    await release_discount_uses(session, order.id)
    for card in order.gift_cards or []:
        await credit_gift_card(
            session,
            card_id=UUID(card["id"]),
            amount=card["amount"],
            order_id=order.id,
            kind="refund",
            note="Order cancelled before payment",
        )
    record(session, order, "cancelled", reason, actor=actor)
    publish(session, "order.cancelled", order_id=str(order.id), number=order.number, paid=False)
    return True
