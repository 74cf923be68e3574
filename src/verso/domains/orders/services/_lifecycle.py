"""What happens to an order after it is placed: paid, shipped (in one or more parcels), delivered,
cancelled or refunded, only along the allowed transitions. Every step writes the timeline, sends the
customer's email through the outbox and publishes an event for later modules, in the caller's
transaction. Money leaving through a provider (a card refund) is a job run after commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.orders.models import STATUSES, Order, OrderLine, Refund, Shipment
from verso.domains.orders.services._downloads import issue_download_tokens
from verso.domains.orders.services._emails import send_order_email
from verso.domains.orders.services._placing import (
    CARD_PROVIDERS,
    PAY_ON_PICKUP,
    commit_holds,
    release_unpaid,
    return_held_stock,
)
from verso.domains.orders.services._timeline import record
from verso.domains.shop.services import credit_gift_card, empty_cart, issue_gift_card, return_stock
from verso.lib import clock
from verso.lib.audit import Actor
from verso.lib.events import publish
from verso.lib.jobs import enqueue
from verso.lib.money import format_money

TRANSITIONS: Mapping[str, frozenset[str]] = {
    "pending": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"processing", "shipped", "cancelled", "refunded"}),
    "processing": frozenset({"shipped", "cancelled", "refunded"}),
    "shipped": frozenset({"delivered", "refunded"}),
    "delivered": frozenset({"refunded"}),
    "cancelled": frozenset(),
    "refunded": frozenset(),
}
# An order collected at the shop is handed over, never shipped: once paid, it becomes delivered.
PICKUP_TRANSITIONS: Mapping[str, frozenset[str]] = {
    **TRANSITIONS,
    "paid": frozenset({"processing", "delivered", "cancelled", "refunded"}),
    "processing": frozenset({"delivered", "cancelled", "refunded"}),
}
_COLLECTED = "The customer collects this order at the shop: mark it delivered once collected."
# Nothing has left the shop yet: such an order can still be cancelled (and restocked).
NOT_HANDED_OVER = frozenset({"unfulfilled", "ready"})
REFUND_JOB = "orders.refund_payment"
assert set(TRANSITIONS) == set(STATUSES) == set(PICKUP_TRANSITIONS)


class OrderError(Exception):
    """A refused change to an order, with a message fit to show staff (or an API caller)."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def can_move(order: Order, status: str) -> bool:
    rules = PICKUP_TRANSITIONS if order.delivery == "pickup" else TRANSITIONS
    return status in rules.get(order.status, frozenset())


def _move(order: Order, status: str) -> None:
    if status not in TRANSITIONS:
        raise OrderError(f"Unknown status {status!r}. Valid: {', '.join(STATUSES)}.", "status")
    if status == "shipped" and order.delivery == "pickup":
        raise OrderError(_COLLECTED, "status")
    if not can_move(order, status):
        raise OrderError(f"An order that is {order.status} cannot become {status}.", "status")
    order.status = status


async def load_order(session: AsyncSession, order_id: UUID) -> Order | None:
    return await session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.lines)))


def _money(order: Order, amount: int) -> str:
    return format_money(amount, order.currency)


# ---- paid -----------------------------------------------------------------------------------
async def mark_paid(
    session: AsyncSession,
    order: Order,
    *,
    actor: Actor | None = None,
    how: str = "",
    cart_id: UUID | None = None,
) -> None:
    """Payment arrived (the webhook, or staff for an offline order): the stock is committed, digital
    downloads and purchased gift cards are issued, the customer is told."""
    _move(order, "paid")
    order.paid_at = clock.utcnow()
    order.hold_expires_at = None
    if not await commit_holds(session, order):
        record(
            session,
            order,
            "stock_short",
            "Paid after its stock hold ran out, and some items are out of stock: check before shipping.",
            internal=True,
        )
    record(
        session,
        order,
        "paid",
        f"Payment of {_money(order, order.amount_due)} received{f' ({how})' if how else ''}.",
        actor=actor,
    )
    await _deliver_goods(session, order)
    if cart_id is not None:
        await empty_cart(session, cart_id)
    if not any(line.is_shippable for line in order.lines):
        order.fulfilment_status = "delivered"
    publish(session, "order.paid", order_id=str(order.id), number=order.number, total=order.total)


async def _deliver_goods(session: AsyncSession, order: Order) -> None:
    links = await issue_download_tokens(session, order, list(order.lines))
    for line in order.lines:
        if line.is_gift_card:
            details = line.details or {}
            for _ in range(line.quantity):
                await issue_gift_card(
                    session,
                    amount=line.unit_price,
                    currency=order.currency,
                    order_id=order.id,
                    recipient_email=details.get("recipient_email", order.email),
                    recipient_name=details.get("recipient_name", ""),
                    sender_name=details.get("sender_name", order.name),
                    message=details.get("message", ""),
                )
    await send_order_email(session, order, "paid", downloads=links)


async def confirm_offline(
    session: AsyncSession, order: Order, *, cart_id: UUID, instructions: dict[str, Any] | None
) -> None:
    """An offline order is placed: it waits for staff to mark it paid; the customer gets the
    confirmation with the payment ``instructions`` and the cart is emptied."""
    await empty_cart(session, cart_id)
    await send_order_email(session, order, "placed", instructions=instructions)


# ---- shipping -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ShipmentInput:
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    quantities: Mapping[UUID, int] | None = None  # line id -> units; None: everything left


def _to_ship(order: Order, quantities: Mapping[UUID, int] | None) -> list[tuple[OrderLine, int]]:
    lines = {line.id: line for line in order.lines if line.is_shippable}
    if quantities is None:
        chosen = [(line, line.quantity - line.shipped_quantity) for line in lines.values()]
    else:
        chosen = []
        for line_id, quantity in quantities.items():
            line = lines.get(line_id)
            if line is None:
                raise OrderError("That line is not part of this order or is not shipped.", "lines")
            if quantity < 0 or quantity > line.quantity - line.shipped_quantity:
                raise OrderError(
                    f"{line.name}: ship at most {line.quantity - line.shipped_quantity}.", "lines"
                )
            chosen.append((line, quantity))
    chosen = [(line, quantity) for line, quantity in chosen if quantity > 0]
    if not chosen:
        raise OrderError("Nothing is left to ship on this order.", "lines")
    return chosen


async def ship(session: AsyncSession, order: Order, shipment: ShipmentInput, *, actor: Actor) -> Shipment:
    if order.delivery == "pickup":
        raise OrderError(_COLLECTED, "status")
    if order.status not in ("paid", "processing", "shipped"):
        raise OrderError(
            f"An order that is {order.status} cannot be shipped: it must be paid first.", "status"
        )
    if len(shipment.carrier) > 60 or len(shipment.tracking_number) > 100:
        raise OrderError("The carrier or tracking number is too long.", "tracking_number")
    if shipment.tracking_url and not shipment.tracking_url.startswith(("https://", "http://")):
        raise OrderError("A tracking link starts with https://.", "tracking_url")
    chosen = _to_ship(order, shipment.quantities)
    now = clock.utcnow()
    for line, quantity in chosen:
        line.shipped_quantity += quantity
    row = Shipment(
        order_id=order.id,
        carrier=shipment.carrier.strip(),
        tracking_number=shipment.tracking_number.strip(),
        tracking_url=shipment.tracking_url.strip(),
        lines=[{"line_id": str(line.id), "quantity": quantity} for line, quantity in chosen],
        shipped_at=now,
        actor_id=UUID(actor.id) if actor.id else None,
    )
    session.add(row)
    everything = all(line.shipped_quantity >= line.quantity for line in order.lines if line.is_shippable)
    order.fulfilment_status = "shipped" if everything else "partial"
    if everything and order.status != "shipped":
        _move(order, "shipped")
        order.shipped_at = now
    elif not everything and order.status == "paid":
        _move(order, "processing")
    tracking = f" with {row.carrier}" if row.carrier else ""
    tracking += f", tracking number {row.tracking_number}" if row.tracking_number else ""
    record(session, order, "shipped", f"Shipped {sum(q for _, q in chosen)} item(s){tracking}.", actor=actor)
    await session.flush()
    await send_order_email(session, order, "shipped", shipment=row)
    publish(
        session,
        "order.shipped",
        order_id=str(order.id),
        number=order.number,
        tracking_number=row.tracking_number,
    )
    return row


async def mark_delivered(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    _move(order, "delivered")
    order.delivered_at = clock.utcnow()
    order.fulfilment_status = "delivered"
    message = "Collected by the customer." if order.delivery == "pickup" else "Marked as delivered."
    record(session, order, "delivered", message, actor=actor)


def ready_refusal(order: Order) -> str | None:
    """Why the customer cannot be told to come and collect ``order`` now (None: they can). An order
    paid on pickup is ready before it is paid: the customer pays at the counter."""
    if order.delivery != "pickup":
        return "Only an order collected at the shop is made ready for pickup."
    if order.status not in ("pending", "paid", "processing"):
        return f"An order that is {order.status} cannot be made ready for pickup."
    if order.fulfilment_status == "ready":
        return "The customer has already been told that this order is ready."
    if order.fulfilment_status != "unfulfilled":
        return "This order has been handed over already."
    if order.status == "pending" and order.payment_provider != PAY_ON_PICKUP:
        return "This order is not paid yet: mark it paid before telling the customer to collect it."
    return None


async def mark_ready(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    """The order is packed at the counter: the customer is emailed to come and collect it."""
    if (refusal := ready_refusal(order)) is not None:
        raise OrderError(refusal, "status")
    order.fulfilment_status = "ready"
    record(session, order, "ready", "Ready for pickup.", actor=actor)
    await send_order_email(session, order, "ready")
    publish(session, "order.ready_for_pickup", order_id=str(order.id), number=order.number)


async def start_processing(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    _move(order, "processing")
    record(session, order, "processing", "Marked as processing.", actor=actor)


# ---- cancelling and refunds -----------------------------------------------------------------
async def cancel(
    session: AsyncSession, order: Order, *, actor: Actor, reason: str = "", notify: bool = True
) -> None:
    """Cancel: an unpaid order gives everything back; a paid one not yet shipped is refunded in full
    (payment and gift cards) and restocked. With ``notify``, the customer is emailed when they
    were told of the order (paid, or placed to pay offline): not for a card payment never made.
    The reason stays on the timeline, for staff."""
    note = f"Cancelled{f': {reason}' if reason else ''}."
    if order.status == "pending":
        if not await release_unpaid(session, order, reason=note, actor=actor):
            raise OrderError("This order has changed meanwhile: reload it.")
        _no_longer_ready(order)
        if notify and order.payment_provider not in CARD_PROVIDERS:
            await send_order_email(session, order, "cancelled")
        return
    if order.fulfilment_status not in NOT_HANDED_OVER:
        raise OrderError("Part of this order has shipped: refund it instead of cancelling.", "status")
    _move(order, "cancelled")
    order.cancelled_at = clock.utcnow()
    left = order.total - order.refunded_total
    refunded = None
    if left > 0:
        refunded = await _refund_money(
            session,
            order,
            left,
            to_gift_cards=True,
            reason=reason or "Order cancelled",
            actor=actor,
            lines=[(line, line.quantity - line.refunded_quantity) for line in order.lines],
            restock=True,
        )
        order.refunded_total = order.total
    await return_held_stock(session, order)
    for line in order.lines:
        line.restocked_quantity = line.quantity
    _no_longer_ready(order)
    record(session, order, "cancelled", note, actor=actor)
    if notify:
        await send_order_email(session, order, "cancelled", refund=refunded)
    publish(session, "order.cancelled", order_id=str(order.id), number=order.number, paid=True)


def _no_longer_ready(order: Order) -> None:
    """A cancelled or fully refunded order is not waiting at the counter any more (the staff list
    must not say so)."""
    if order.fulfilment_status == "ready":
        order.fulfilment_status = "unfulfilled"


@dataclass(frozen=True, slots=True)
class RefundInput:
    amount: int
    reason: str = ""
    restock: bool = False
    to_gift_cards: bool = True  # give back first what gift cards paid, to those cards
    quantities: Mapping[UUID, int] | None = None  # line id -> units returned (for restock)


def refundable(order: Order) -> int:
    return max(0, order.total - order.refunded_total)


async def refund(session: AsyncSession, order: Order, data: RefundInput, *, actor: Actor) -> Refund:
    if order.status not in ("paid", "processing", "shipped", "delivered"):
        raise OrderError(f"An order that is {order.status} cannot be refunded.", "status")
    if data.amount <= 0 or data.amount > refundable(order):
        raise OrderError(
            f"Refund between {_money(order, 1)} and {_money(order, refundable(order))}.", "amount"
        )
    lines = {line.id: line for line in order.lines}
    returned: list[tuple[OrderLine, int]] = []
    for line_id, quantity in (data.quantities or {}).items():
        line = lines.get(line_id)
        if line is None or quantity < 0 or quantity > line.quantity - line.refunded_quantity:
            raise OrderError("Return at most the units not yet refunded.", "lines")
        if quantity:
            returned.append((line, quantity))
    row = await _refund_money(
        session,
        order,
        data.amount,
        to_gift_cards=data.to_gift_cards,
        reason=data.reason,
        actor=actor,
        lines=returned,
        restock=data.restock,
    )
    for line, quantity in returned:
        line.refunded_quantity += quantity
        if data.restock:
            line.restocked_quantity += quantity
            for part in line.components:
                await return_stock(
                    session,
                    UUID(part["product_id"]),
                    UUID(part["variant_id"]) if part.get("variant_id") else None,
                    part["quantity"] * quantity,
                )
    order.refunded_total += data.amount
    if order.refunded_total >= order.total:
        _move(order, "refunded")
        _no_longer_ready(order)
    record(
        session,
        order,
        "refunded",
        f"Refunded {_money(order, data.amount)}{f': {data.reason}' if data.reason else ''}.",
        actor=actor,
    )
    await send_order_email(session, order, "refunded", refund=row)
    publish(session, "order.refunded", order_id=str(order.id), number=order.number, amount=data.amount)
    return row


async def _refund_money(
    session: AsyncSession,
    order: Order,
    amount: int,
    *,
    to_gift_cards: bool,
    reason: str,
    actor: Actor,
    lines: list[tuple[OrderLine, int]],
    restock: bool,
) -> Refund:
    """Split ``amount`` between the gift cards used (credited now) and the payment (a provider job,
    or a manual refund for offline methods)."""
    credit = 0
    if to_gift_cards:
        already = sum(
            r.gift_card_credit
            for r in (await session.scalars(select(Refund).where(Refund.order_id == order.id))).all()
        )
        for card in order.gift_cards or []:
            share = min(amount - credit, max(0, card["amount"] - already))
            already = max(0, already - card["amount"])
            if share > 0:
                await credit_gift_card(
                    session,
                    card_id=UUID(card["id"]),
                    amount=share,
                    order_id=order.id,
                    kind="refund",
                    actor_id=UUID(actor.id) if actor.id else None,
                )
                credit += share
    to_payment = amount - credit
    card_payment = order.payment_provider == "stripe" and to_payment > 0
    row = Refund(
        order_id=order.id,
        amount=amount,
        gift_card_credit=credit,
        reason=reason[:300],
        restock=restock,
        lines=[{"line_id": str(line.id), "quantity": quantity} for line, quantity in lines],
        state="pending" if card_payment else ("manual" if to_payment else "succeeded"),
        actor_id=UUID(actor.id) if actor.id else None,
    )
    session.add(row)
    await session.flush()
    if card_payment:
        await enqueue(session, REFUND_JOB, {"refund_id": str(row.id)}, idempotency_key=f"refund:{row.id}")
    return row
