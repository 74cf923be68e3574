"""Orders looked back on: the customer's own history (/account/orders) and an integrator's listing
(GET /api/v1/orders) from one newest-first query; a customer's own order by number (anyone else's
is None, so numbers cannot be probed); "order again"; and the changes PATCH /api/v1/orders/{id}
makes, each status through its lifecycle function so the same rules, timeline and emails apply.

Functions change the session and never commit: the controller's single call commits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.orders.models import FULFILMENT_STATUSES, STATUSES, Order, OrderLine, Shipment
from verso.domains.orders.services._lifecycle import OrderError, ShipmentInput
from verso.domains.orders.services._reading import by_number
from verso.domains.orders.services._staff import (  # the staff actions, audited
    audit_order,
    staff_cancel,
    staff_mark_delivered,
    staff_mark_paid,
    staff_mark_ready,
    staff_ship,
    staff_start_processing,
)
from verso.domains.orders.services._timeline import record
from verso.domains.shop.models import BundleItem, Cart
from verso.domains.shop.services import AddRequest, CartError, add_to_cart
from verso.lib.audit import Actor
from verso.lib.tables import Page, TableQuery, paginate


# ---- listing ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders: ``customer_id`` None means everyone's (staff); ``created_after`` is inclusive,
    ``created_before`` exclusive (both UTC)."""

    customer_id: UUID | None = None
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def _where(stmt: Select[tuple[Order]], flt: OrderFilter) -> Select[tuple[Order]]:
    if flt.customer_id is not None:
        stmt = stmt.where(Order.customer_id == flt.customer_id)
    if flt.status is not None:
        stmt = stmt.where(Order.status == flt.status)
    if flt.created_after is not None:
        stmt = stmt.where(Order.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(Order.created_at < flt.created_before)
    return stmt


async def find_orders(
    session: AsyncSession, flt: OrderFilter, *, page: int, per_page: int
) -> tuple[list[Order], int]:
    """One page of matching orders, newest first, with their lines; and how many match in all."""
    matching = _where(select(Order), flt)
    total = int(await session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
    stmt = (
        matching.options(selectinload(Order.lines))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list((await session.scalars(stmt)).all()), total


async def shipments_of(session: AsyncSession, order_ids: list[UUID]) -> dict[UUID, list[Shipment]]:
    """Each order's shipments, oldest first (one query for a whole page)."""
    found: dict[UUID, list[Shipment]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        stmt = select(Shipment).where(Shipment.order_id.in_(order_ids)).order_by(Shipment.shipped_at)
        for shipment in (await session.scalars(stmt)).all():
            found[shipment.order_id].append(shipment)
    return found


def _units() -> Any:
    return (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .where(OrderLine.order_id == Order.id)
        .scalar_subquery()
        .label("units")
    )


async def customer_orders(
    session: AsyncSession, customer_id: UUID, query: TableQuery, *, base_url: str
) -> Page[tuple[Order, int]]:
    """The customer's order history: rows of ``(order, units bought)``, newest first."""
    stmt = select(Order, _units()).where(Order.customer_id == customer_id)
    return await paginate(
        session, stmt, query, base_url=base_url, sort_columns={"created": Order.created_at}, scalars=False
    )


async def customer_order(session: AsyncSession, customer_id: UUID, number: str) -> Order | None:
    """The customer's own order with this number; None for anyone else's (staff included)."""
    order = await by_number(session, number)
    return order if order is not None and order.customer_id == customer_id else None


# ---- order again ------------------------------------------------------------------------------
@dataclass
class Reorder:
    """What "order again" put in the cart, and what it could not (``(name, why)``)."""

    added: list[str] = field(default_factory=list)
    limited: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> tuple[str, str]:
        """The flash message and its level."""
        parts = [f"Added to your cart: {', '.join(self.added)}."] if self.added else []
        parts += [f"{name}: {why}" for name, why in self.limited]
        if self.refused:
            parts.append("Could not be added: " + "; ".join(f"{n} ({why})" for n, why in self.refused) + ".")
        if not (self.added or self.limited):
            return " ".join(["Nothing from this order could be added to your cart.", *parts]), "error"
        return " ".join(parts), "warning" if self.refused or self.limited else "success"


async def _chosen_bundle_items(session: AsyncSession, lines: list[OrderLine]) -> dict[UUID, frozenset[UUID]]:
    """For each bundle line, the optional bundle items it was bought with (matched by the parts
    recorded on the line), so the same choice goes back in the cart."""
    bundle_ids = {line.bundle_id for line in lines if line.bundle_id}
    if not bundle_ids:
        return {}
    optional = (
        await session.scalars(
            select(BundleItem).where(BundleItem.bundle_id.in_(bundle_ids), BundleItem.is_optional.is_(True))
        )
    ).all()
    chosen: dict[UUID, frozenset[UUID]] = {}
    for line in lines:
        if line.bundle_id is None:
            continue
        parts = {(c["product_id"], c.get("variant_id")) for c in line.components or []}
        chosen[line.id] = frozenset(
            item.id
            for item in optional
            if item.bundle_id == line.bundle_id
            and (str(item.product_id), str(item.variant_id) if item.variant_id else None) in parts
        )
    return chosen


async def reorder(session: AsyncSession, order: Order, cart: Cart) -> Reorder:
    """Add the order's lines that are still for sale to ``cart`` (quantities clamped to stock as any
    add is); each refusal is kept with the cart's own message. ``order.lines`` must be loaded."""
    result = Reorder()
    bundle_items = await _chosen_bundle_items(session, list(order.lines))
    for line in order.lines:
        if line.product_id is None and line.bundle_id is None:
            result.refused.append((line.name, "no longer sold"))
            continue
        request = AddRequest(
            product_id=None if line.bundle_id else line.product_id,
            variant_id=None if line.bundle_id else line.variant_id,
            bundle_id=line.bundle_id,
            bundle_items=bundle_items.get(line.id, frozenset()),
            quantity=line.quantity,
            details=tuple((line.details or {}).items()),
        )
        try:
            notice = await add_to_cart(session, cart, request)
        except CartError as exc:
            result.refused.append((line.name, exc.message.rstrip(".")))
            continue
        if notice.level == "success":
            result.added.append(line.name)
        else:
            result.limited.append((line.name, notice.message))
    return result


# ---- changes from the API ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderChange:
    """What an integrator asks to change; None leaves a field as it is."""

    status: str | None = None
    fulfilment_status: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None


Move = Callable[[AsyncSession, Order, OrderChange, Actor], Awaitable[object]]


async def _shipped(session: AsyncSession, order: Order, change: OrderChange, actor: Actor) -> None:
    shipment = ShipmentInput(carrier=change.carrier or "", tracking_number=change.tracking_number or "")
    await staff_ship(session, order, shipment, actor=actor)


MOVES: dict[str, Move] = {
    "paid": lambda session, order, _change, actor: staff_mark_paid(session, order, actor=actor),
    "processing": lambda session, order, _change, actor: staff_start_processing(session, order, actor=actor),
    "shipped": _shipped,
    "delivered": lambda session, order, _change, actor: staff_mark_delivered(session, order, actor=actor),
    "cancelled": lambda session, order, _change, actor: staff_cancel(
        session, order, actor=actor, reason="through the API"
    ),
}
"""The statuses the API moves an order to, through the same (audited) staff actions as the order
page: a card order is still only marked paid by its provider. ``pending`` is where orders start and
``refunded`` moves money (an amount, through the provider): the staff page does that."""


def check_change(change: OrderChange) -> list[tuple[str, str]]:
    """``(field, message)`` for values that are not statuses at all (the caller answers 422)."""
    errors = []
    if change.status is not None and change.status not in STATUSES:
        errors.append(("status", f"status must be one of: {', '.join(STATUSES)}."))
    if change.fulfilment_status is not None and change.fulfilment_status not in FULFILMENT_STATUSES:
        errors.append(
            ("fulfillment_status", f"fulfillment_status must be one of: {', '.join(FULFILMENT_STATUSES)}.")
        )
    return errors


async def _latest_shipment(session: AsyncSession, order: Order) -> Shipment | None:
    stmt = select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.shipped_at.desc())
    return (await session.scalars(stmt.limit(1))).first()


async def _retrack(session: AsyncSession, order: Order, change: OrderChange, actor: Actor) -> None:
    """A tracking number (and carrier) given without a new shipment corrects the latest one."""
    shipment = await _latest_shipment(session, order)
    if shipment is None:
        raise OrderError(
            "This order has no shipment yet: send status shipped with the tracking number.", "tracking_number"
        )
    tracking = (change.tracking_number or "").strip()
    if len(tracking) > 100 or len(change.carrier or "") > 60:
        raise OrderError("The carrier or tracking number is too long.", "tracking_number")
    before = [shipment.tracking_number, shipment.carrier]
    shipment.tracking_number = tracking
    if change.carrier is not None:
        shipment.carrier = change.carrier.strip()
    audit_order(session, actor, "tracking_changed", order, tracking=[before, [tracking, shipment.carrier]])
    via = f" ({shipment.carrier})" if shipment.carrier else ""
    record(session, order, "tracking", f"Tracking number changed to {tracking or 'none'}{via}.", actor=actor)


async def _set_fulfilment(session: AsyncSession, order: Order, wanted: str, actor: Actor) -> None:
    """A new fulfilment label; "ready" is the staff action (the customer is told to come)."""
    if wanted == "ready":
        try:
            await staff_mark_ready(session, order, actor=actor)
        except OrderError as exc:
            raise OrderError(exc.message, "fulfillment_status") from exc
        return
    if order.fulfilment_status == "ready":
        raise OrderError(
            "This order is ready for pickup: set status delivered once collected, or cancel it.",
            "fulfillment_status",
        )
    if order.delivery == "pickup" and wanted in ("partial", "shipped"):
        raise OrderError(
            "The customer collects this order at the shop: it is never shipped.", "fulfillment_status"
        )
    before, order.fulfilment_status = order.fulfilment_status, wanted
    audit_order(session, actor, "fulfilment_changed", order, fulfilment_status=[before, wanted])
    record(session, order, "fulfilment", f"Fulfilment status changed from {before} to {wanted}.", actor=actor)


async def apply_change(session: AsyncSession, order: Order, change: OrderChange, *, actor: Actor) -> None:
    """Apply ``change`` (already checked with :func:`check_change`): the status first, through the
    lifecycle (a status the order already has changes nothing), then the fulfilment status, then
    the tracking number when no shipment was just made. Raises :class:`OrderError` when the order's
    state refuses it; ``order.lines`` must be loaded."""
    shipped_now = False
    if change.status is not None and change.status != order.status:
        move = MOVES.get(change.status)
        if move is None:
            why = (
                "refund it from the staff order page"
                if change.status == "refunded"
                else "only new orders are pending"
            )
            raise OrderError(f"An order cannot become {change.status} through the API: {why}.", "status")
        await move(session, order, change, actor)
        shipped_now = change.status == "shipped"
    if change.fulfilment_status is not None and change.fulfilment_status != order.fulfilment_status:
        await _set_fulfilment(session, order, change.fulfilment_status, actor)
    if change.tracking_number is not None and not shipped_now:
        await _retrack(session, order, change, actor)
    await session.flush()
