"""What staff do with orders beyond the lifecycle itself: the filtered list (one filter function for
the table and the CSV export, so the download is exactly what the list shows), the full order view
with internal notes, the actions allowed now, bulk shipping and internal notes. Each staff action
is audited here, in the caller's transaction; the caller commits once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.orders.models import (
    FULFILMENT_LABELS,
    FULFILMENT_STATUSES,
    STATUSES,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Refund,
    Shipment,
)
from verso.domains.orders.services._figures import Figures, order_figures
from verso.domains.orders.services._lifecycle import (
    NOT_HANDED_OVER,
    OrderError,
    RefundInput,
    ShipmentInput,
    can_move,
    cancel,
    mark_delivered,
    mark_paid,
    mark_ready,
    ready_refusal,
    refund,
    refundable,
    ship,
    start_processing,
)
from verso.domains.orders.services._payments import latest_payment
from verso.domains.orders.services._timeline import record
from verso.domains.shop.services._csv_format import BOM, guard, rows_text
from verso.lib.audit import Actor, audit
from verso.lib.money import to_decimal_text
from verso.lib.tables import Filter, Page, TableQuery, escape_like, paginate

PAYMENT_METHODS = {
    "stripe": "Card (Stripe)",
    "bank_transfer": "Bank transfer",
    "pay_on_pickup": "Pay on pickup",
    "gift_card": "Gift card",
}
CARD_METHODS = frozenset({"stripe"})
FILTERS = [
    Filter("status", "Status", [("", "Any status"), *((s, s.capitalize()) for s in STATUSES)]),
    Filter(
        "fulfilment",
        "Fulfilment",
        [
            ("", "Any fulfilment"),
            *((s, FULFILMENT_LABELS.get(s, s.capitalize())) for s in FULFILMENT_STATUSES),
        ],
    ),
    Filter("payment", "Payment", [("", "Any payment"), *PAYMENT_METHODS.items()]),
    Filter(
        "delivery",
        "Delivery",
        [("", "Any delivery"), ("ship", "Shipped"), ("pickup", "Collected at the shop")],
    ),
]
SORTS = {"created_at": Order.created_at, "total": Order.total, "number": Order.number}
DATE_PARAMS = ("created_after", "created_before")
CSV_COLUMNS = [
    "number", "created_at", "status", "fulfilment_status", "email", "name", "currency", "subtotal",
    "discount_total", "shipping_total", "tax_total", "total", "refunded_total", "payment_provider",
    "delivery", "items",
]  # fmt: skip
EXPORT_BATCH = 500
MAX_NOTE = 2000


# ---- the list and the export ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OrderQuery:
    """The list's search, choice filters, sort and page (``table``) plus the creation date range,
    whose days are the business's: ``created_before`` includes that whole day."""

    table: TableQuery
    created_after: date | None = None
    created_before: date | None = None
    zone: str = "UTC"


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if isinstance(text, str) and text.strip() else None
    except ValueError:  # junk in a bookmark falls back to "no limit", as the table's parsing does
        return None


def order_query(params: Any, zone: str) -> OrderQuery:
    """Parse the list's query parameters (never raises). The dates ride in ``table.filters`` too,
    so the table's sort and page links keep them."""
    table = TableQuery.from_params(
        params,
        sortable=SORTS,
        default_sort="created_at",
        default_direction="desc",
        filters=FILTERS,
    )
    after, before = _day(params.get(DATE_PARAMS[0])), _day(params.get(DATE_PARAMS[1]))
    dates = {name: day.isoformat() for name, day in zip(DATE_PARAMS, (after, before), strict=True) if day}
    return OrderQuery(replace(table, filters={**table.filters, **dates}), after, before, zone)


def _start_of(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


def filtered(query: OrderQuery) -> Select[Any]:
    """``select(Order)`` with the query's search, filters and dates: what the list shows and the
    export downloads."""
    stmt = select(Order)
    chosen = query.table.filters
    if query.table.q:
        pattern = f"%{escape_like(query.table.q)}%"
        stmt = stmt.where(
            or_(*(c.ilike(pattern, escape="\\") for c in (Order.number, Order.email, Order.name)))
        )
    if status := chosen.get("status"):
        stmt = stmt.where(Order.status == status)
    if fulfilment := chosen.get("fulfilment"):
        stmt = stmt.where(Order.fulfilment_status == fulfilment)
    if payment := chosen.get("payment"):
        stmt = stmt.where(Order.payment_provider == payment)
    if delivery := chosen.get("delivery"):
        stmt = stmt.where(Order.delivery == delivery)
    if query.created_after:
        stmt = stmt.where(Order.created_at >= _start_of(query.created_after, query.zone))
    if query.created_before:
        stmt = stmt.where(Order.created_at < _start_of(query.created_before + timedelta(days=1), query.zone))
    return stmt


async def order_page(session: AsyncSession, query: OrderQuery, *, base_url: str) -> Page[Order]:
    return await paginate(session, filtered(query), query.table, base_url=base_url, sort_columns=SORTS)


async def item_counts(session: AsyncSession, order_ids: Sequence[UUID]) -> dict[UUID, int]:
    """Units bought per order, for the list's "Items" column."""
    if not order_ids:
        return {}
    rows = await session.execute(
        select(OrderLine.order_id, func.sum(OrderLine.quantity))
        .where(OrderLine.order_id.in_(order_ids))
        .group_by(OrderLine.order_id)
    )
    return {order_id: int(total or 0) for order_id, total in rows.tuples()}


def _items_text(order: Order) -> str:
    return "; ".join(
        f"{line.quantity} x {line.name}{f' ({line.variant_name})' if line.variant_name else ''}"
        for line in order.lines
    )


def csv_row(order: Order) -> list[str]:
    """One order as export cells: money as decimal text in major units, the time ISO UTC, and every
    text cell guarded against spreadsheet formulas."""

    def amount(minor: int) -> str:
        return to_decimal_text(minor, order.currency)

    created = order.created_at.astimezone(ZoneInfo("UTC")).replace(microsecond=0).isoformat()
    return [
        guard(order.number),
        created.replace("+00:00", "Z"),
        order.status,
        order.fulfilment_status,
        guard(order.email),
        guard(order.name),
        order.currency,
        amount(order.subtotal),
        amount(order.discount_total),
        amount(order.shipping_total),
        amount(order.tax_total),
        amount(order.total),
        amount(order.refunded_total),
        guard(order.payment_provider),
        order.delivery,
        guard(_items_text(order)),
    ]


async def export_csv(open_session: Callable[[], AsyncSession], query: OrderQuery) -> AsyncIterator[bytes]:
    """The filtered orders as UTF-8 CSV chunks, oldest first, in batches (memory stays flat). Opens
    its own session: the response streams after the request's session has closed."""
    base = filtered(query).options(selectinload(Order.lines)).order_by(Order.id).limit(EXPORT_BATCH)
    yield (BOM + rows_text([CSV_COLUMNS])).encode()
    async with open_session() as session:
        last: UUID | None = None
        while True:
            stmt = base if last is None else base.where(Order.id > last)
            orders = list((await session.scalars(stmt)).all())
            if not orders:
                return
            yield rows_text([csv_row(order) for order in orders]).encode()
            last = orders[-1].id
            session.expunge_all()


# ---- one order, as staff see it -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StaffOrderView:
    """An order with everything staff need: the full timeline (internal notes included), refunds,
    what each line is called (shipments and refunds list line ids) and the actions allowed now."""

    order: Order
    figures: Figures
    payment: Payment | None
    shipments: list[Shipment]
    refunds: list[Refund]
    events: list[OrderEvent]
    line_names: dict[str, str]
    actions: frozenset[str]
    refundable: int


async def staff_order(session: AsyncSession, order_id: UUID) -> Order | None:
    """The order with its lines, read afresh (after a commit or a rollback the view shows the truth)."""
    return await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines))
        .execution_options(populate_existing=True)
    )


def left_to_ship(order: Order) -> dict[UUID, int]:
    return {
        line.id: line.quantity - line.shipped_quantity
        for line in order.lines
        if line.is_shippable and line.quantity > line.shipped_quantity
    }


def allowed_actions(order: Order) -> frozenset[str]:
    """The buttons to show: the same rules the lifecycle enforces, so a shown button works."""
    actions = {"note"}
    if order.status == "pending" and order.payment_provider not in CARD_METHODS:
        actions.add("paid")
    if can_move(order, "processing"):
        actions.add("processing")
    if order.status in ("paid", "processing", "shipped") and order.delivery == "ship" and left_to_ship(order):
        actions.add("ship")
    if ready_refusal(order) is None:
        actions.add("ready")
    if can_move(order, "delivered"):
        actions.add("delivered")
    if can_move(order, "cancelled") and (
        order.status == "pending" or order.fulfilment_status in NOT_HANDED_OVER
    ):
        actions.add("cancel")
    if order.status in ("paid", "processing", "shipped", "delivered") and refundable(order) > 0:
        actions.add("refund")
    return frozenset(actions)


async def staff_view(session: AsyncSession, order: Order) -> StaffOrderView:
    def rows(model: Any, order_by: Any) -> Any:
        return session.scalars(select(model).where(model.order_id == order.id).order_by(*order_by))

    shipments = list((await rows(Shipment, [Shipment.shipped_at])).all())
    refunds = list((await rows(Refund, [Refund.created_at])).all())
    events = list((await rows(OrderEvent, [OrderEvent.created_at, OrderEvent.id])).all())
    names = {
        str(line.id): line.name + (f" ({line.variant_name})" if line.variant_name else "")
        for line in order.lines
    }
    return StaffOrderView(
        order=order,
        figures=order_figures(order),
        payment=await latest_payment(session, order.id),
        shipments=shipments,
        refunds=refunds,
        events=events,
        line_names=names,
        actions=allowed_actions(order),
        refundable=refundable(order),
    )


# ---- staff actions (audited; the caller commits once) ---------------------------------------
def audit_order(session: AsyncSession, actor: Actor, action: str, order: Order, **changes: Any) -> None:
    audit(
        session,
        actor,
        f"order.{action}",
        target_type="order",
        target_id=order.id,
        target_label=order.number,
        changes=changes,
    )


async def staff_mark_paid(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    """An offline payment (bank transfer, pay on pickup) arrived: staff say so. Card orders are paid
    by the provider's webhook only."""
    if order.payment_provider in CARD_METHODS:
        raise OrderError("A card order is marked paid by the card provider, not by hand.", "status")
    before = order.status
    await mark_paid(session, order, actor=actor, how="marked paid by staff", cart_id=None)
    payment = await latest_payment(session, order.id)
    if payment is not None and payment.state == "pending":
        payment.state = "paid"
    audit_order(session, actor, "paid", order, status=[before, order.status])


async def staff_start_processing(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    before = order.status
    await start_processing(session, order, actor=actor)
    audit_order(session, actor, "processing", order, status=[before, order.status])


async def staff_ship(
    session: AsyncSession, order: Order, shipment: ShipmentInput, *, actor: Actor
) -> Shipment:
    before = order.status
    row = await ship(session, order, shipment, actor=actor)
    audit_order(
        session,
        actor,
        "shipped",
        order,
        status=[before, order.status],
        carrier=row.carrier,
        tracking_number=row.tracking_number,
        lines=row.lines,
    )
    return row


async def staff_mark_ready(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    before = order.fulfilment_status
    await mark_ready(session, order, actor=actor)
    audit_order(session, actor, "ready", order, fulfilment_status=[before, order.fulfilment_status])


async def staff_mark_delivered(session: AsyncSession, order: Order, *, actor: Actor) -> None:
    before = order.status
    await mark_delivered(session, order, actor=actor)
    audit_order(session, actor, "delivered", order, status=[before, order.status])


async def staff_cancel(session: AsyncSession, order: Order, *, actor: Actor, reason: str = "") -> None:
    before = order.status
    await cancel(session, order, actor=actor, reason=reason.strip()[:300])
    audit_order(
        session, actor, "cancelled", order, status=[before, order.status], reason=reason.strip()[:300]
    )


async def staff_refund(session: AsyncSession, order: Order, data: RefundInput, *, actor: Actor) -> Refund:
    before = order.status
    row = await refund(session, order, data, actor=actor)
    audit_order(
        session,
        actor,
        "refunded",
        order,
        status=[before, order.status],
        amount=data.amount,
        gift_card_credit=row.gift_card_credit,
        restock=data.restock,
        lines=row.lines,
    )
    return row


async def add_note(session: AsyncSession, order: Order, text: str, *, actor: Actor) -> OrderEvent:
    """An internal note on the timeline (never shown to the customer)."""
    text = text.strip()
    if not text:
        raise OrderError("Write the note first.", "note")
    if len(text) > MAX_NOTE:
        raise OrderError(f"A note has at most {MAX_NOTE} characters.", "note")
    event = record(session, order, "note", text, actor=actor, internal=True)
    audit_order(session, actor, "note_added", order, note=text)
    return event


@dataclass(frozen=True, slots=True)
class BulkResult:
    shipped: int
    skipped: int


async def bulk_ship(session: AsyncSession, order_ids: Sequence[UUID], *, actor: Actor) -> BulkResult:
    """Ship everything left on each paid or processing order chosen (no tracking); orders in any
    other state, collected at the shop, or with nothing left to ship, are skipped and counted."""
    unique = list(dict.fromkeys(order_ids))
    orders: Mapping[UUID, Order] = {
        order.id: order
        for order in (
            await session.scalars(
                select(Order).where(Order.id.in_(unique)).options(selectinload(Order.lines))
            )
        ).all()
    }
    shipped = 0
    for order_id in unique:
        order = orders.get(order_id)
        if (
            order is None
            or order.status not in ("paid", "processing")
            or "ship" not in allowed_actions(order)
        ):
            continue
        await staff_ship(session, order, ShipmentInput(), actor=actor)
        shipped += 1
    return BulkResult(shipped, len(unique) - shipped)
