"""Staff order management at /admin/orders: the filtered table with bulk shipping and a CSV export,
the order's page with its actions (plain POST forms that htmx enhances: the refreshed order and a
toast, or 303 and a flash without JavaScript; a refused action re-renders with 422 and the reason),
and the printable invoice and packing slip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order
from verso.domains.orders.services._figures import order_figures
from verso.domains.orders.services._lifecycle import OrderError, RefundInput, ShipmentInput
from verso.domains.orders.services._staff import (
    FILTERS,
    MAX_NOTE,
    PAYMENT_METHODS,
    add_note,
    bulk_ship,
    export_csv,
    item_counts,
    left_to_ship,
    order_page,
    order_query,
    staff_cancel,
    staff_mark_delivered,
    staff_mark_paid,
    staff_mark_ready,
    staff_order,
    staff_refund,
    staff_ship,
    staff_start_processing,
    staff_view,
)
from verso.lib import clock
from verso.lib.db import DbSession, session_factory
from verso.lib.forms import NON_FIELD, FormState, form_from, parse_form
from verso.lib.htmx import VARY, is_htmx, redirect, render, toast_header
from verso.lib.money import MoneyError, format_money, parse_money, to_decimal_text
from verso.lib.tables import Column, int_param
from verso.server.navigation import NavEntry

STAFF = {"setup_gate": True, "module": "shop"}
READ, WRITE = "orders.read", "orders.write"
BASE = "/admin/orders"
T = "orders/admin/"
COLUMNS = [
    Column("select", ""),
    Column("number", "Order", sortable=True),
    Column("created_at", "Date", sortable=True),
    Column("customer", "Customer"),
    Column("status", "Status"),
    Column("fulfilment", "Fulfilment"),
    Column("total", "Total", sortable=True, numeric=True),
    Column("items", "Items", numeric=True),
]
FORMS = ("paid", "processing", "ready", "delivered", "ship", "refund", "cancel", "note")
Action = Callable[[Order, Any], Awaitable[str]]


# ---- the list, bulk shipping and the export -------------------------------------------------
@get(BASE, permission=READ, nav=NavEntry("Shop", "Orders", 5, "cart"), **STAFF)
async def orders_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = order_query(request.query_params, business_cache.current().timezone)
    page = await order_page(db_session, query, base_url=BASE)
    context = {
        "page": page,
        "columns": COLUMNS,
        "filters": FILTERS,
        "query": query,
        "items": await item_counts(db_session, [order.id for order in page.items]),
        "export_url": f"{BASE}/export.csv" + page.url(page=1)[len(BASE) :],
        "payment_methods": PAYMENT_METHODS,
    }
    return render(request, T + "index.html", context, block="table")


@get(f"{BASE}/export.csv", permission=READ, **STAFF)
async def orders_export(request: Request[Any, Any, Any]) -> Stream:
    """The orders the list shows (same search, filters and dates) as a CSV download."""
    zone = business_cache.current().timezone
    query = order_query(request.query_params, zone)
    day = clock.to_zone(clock.utcnow(), zone).date().isoformat()
    return Stream(
        export_csv(session_factory(), query),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="orders-{day}.csv"',
            "Cache-Control": "no-store",
            **VARY,
        },
    )


def _back(value: str) -> str:
    return value if value == BASE or value.startswith(BASE + "?") else BASE


@post(f"{BASE}/bulk-ship", permission=WRITE, **STAFF)
async def orders_bulk_ship(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    submitted = await request.form()
    back = _back(str(submitted.get("back") or ""))
    ids: list[UUID] = []
    for raw in submitted.getall("ids", []):
        try:
            ids.append(UUID(str(raw)))
        except ValueError:
            continue
    if not ids:
        return redirect(request, back, message="Choose orders from the list first.", level="error")
    result = await bulk_ship(db_session, ids, actor=actor(request))
    await db_session.commit()
    message = f"{result.shipped} order{'s' if result.shipped != 1 else ''} marked as shipped"
    message += (
        f", {result.skipped} skipped (not paid, collected at the shop, or nothing left to ship)."
        if result.skipped
        else "."
    )
    return redirect(request, back, message=message, level="success" if result.shipped else "warning")


# ---- one order ------------------------------------------------------------------------------
async def _order(db_session: DbSession, order_id: UUID) -> Order:
    order = await staff_order(db_session, order_id)
    if order is None:
        raise NotFoundException("No such order.")
    return order


def _form_defaults(order: Order) -> dict[str, FormState]:
    """Each action form's starting values: ship what is left, refund what can be."""
    left = left_to_ship(order)
    refundable_now = max(0, order.total - order.refunded_total)
    return {
        "ship": form_from({f"ship-{line.id}": left.get(line.id, 0) for line in order.lines}),
        "refund": form_from(
            {
                "amount": to_decimal_text(refundable_now, order.currency),
                "to_gift_cards": bool(order.gift_cards),
                **{f"return-{line.id}": 0 for line in order.lines},
            }
        ),
    }


async def _detail(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    order: Order,
    *,
    failed: tuple[str, FormState] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    forms = {name: FormState() for name in FORMS} | _form_defaults(order)
    if failed is not None:
        forms[failed[0]] = failed[1]
    context = {
        "view": await staff_view(db_session, order),
        "forms": forms,
        "max_note": MAX_NOTE,
        "payment_methods": PAYMENT_METHODS,
    }
    status = HTTP_422_UNPROCESSABLE_ENTITY if failed else 200
    return render(request, T + "detail.html", context, block="order", status_code=status, headers=headers)


@get(f"{BASE}/{{order_id:uuid}}", permission=READ, **STAFF)
async def order_detail(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
) -> Any:
    return await _detail(request, db_session, await _order(db_session, order_id))


async def _perform(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: UUID, name: str, action: Action
) -> Any:
    """Run one staff action in one transaction. ``action`` parses the form (raising OrderError for
    bad input too) and returns the success message."""
    order = await _order(db_session, order_id)
    submitted = await request.form()
    form = FormState(values={key: submitted.get(key) for key in submitted})
    try:
        message = await action(order, submitted)
    except OrderError as exc:
        await db_session.rollback()
        form.add_error(
            exc.field if exc.field in form.values or exc.field == "lines" else NON_FIELD, exc.message
        )
        return await _detail(request, db_session, await _order(db_session, order_id), failed=(name, form))
    await db_session.commit()
    if not is_htmx(request):
        return redirect(request, f"{BASE}/{order_id}", message=message)
    order = await _order(db_session, order_id)
    return await _detail(request, db_session, order, headers=toast_header(message))


# The actions without a form: the staff service, and what the toast says.
SIMPLE: dict[str, tuple[Callable[..., Awaitable[None]], str]] = {
    "paid": (staff_mark_paid, "{number} marked as paid."),
    "processing": (staff_start_processing, "{number} is being processed."),
    "ready": (staff_mark_ready, "{number} is ready for pickup: the customer has been emailed."),
    "delivered": (staff_mark_delivered, "{number} marked as delivered."),
}


def _simple_action(name: str) -> Any:
    """``POST /admin/orders/{id}/<name>``: run the staff service ``SIMPLE[name]`` on the order."""
    service, done = SIMPLE[name]

    async def handler(
        request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
    ) -> Any:
        async def act(order: Order, _form: Any) -> str:
            await service(db_session, order, actor=actor(request))
            return done.format(number=order.number)

        return await _perform(request, db_session, order_id, name, act)

    handler.__name__ = handler.__qualname__ = f"order_{name}"
    return post(f"{BASE}/{{order_id:uuid}}/{name}", permission=WRITE, **STAFF)(handler)


def _quantities(order: Order, submitted: Mapping[str, Any], prefix: str) -> dict[UUID, int]:
    """Per-line whole numbers from fields ``{prefix}-{line id}`` (blank: 0)."""
    chosen: dict[UUID, int] = {}
    for line in order.lines:
        raw = str(submitted.get(f"{prefix}-{line.id}") or "").strip()
        if not raw:
            continue
        number = int_param(raw, -1)
        if number < 0:
            raise OrderError(f"{line.name}: enter a whole number of units.", "lines")
        chosen[line.id] = number
    return chosen


class ShipForm(msgspec.Struct):
    carrier: Annotated[str, Meta(max_length=60)] = ""
    tracking_number: Annotated[str, Meta(max_length=100)] = ""
    tracking_url: Annotated[str, Meta(max_length=500)] = ""


def _parsed(submitted: Any, schema: type[Any]) -> Any:
    """The form as ``schema``, or the first problem as an OrderError on its field."""
    data, form = parse_form(submitted, schema)
    if data is None:
        field, messages = next(iter(form.errors.items()))
        raise OrderError(messages[0], field)
    return data


@post(f"{BASE}/{{order_id:uuid}}/ship", permission=WRITE, **STAFF)
async def order_ship(request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]) -> Any:
    async def act(order: Order, submitted: Any) -> str:
        data = _parsed(submitted, ShipForm)
        shipment = ShipmentInput(
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            tracking_url=data.tracking_url,
            quantities=_quantities(order, submitted, "ship") or None,  # no fields: all that is left
        )
        await staff_ship(db_session, order, shipment, actor=actor(request))
        return f"{order.number}: shipment recorded, the customer is told."

    return await _perform(request, db_session, order_id, "ship", act)


class CancelForm(msgspec.Struct):
    cancel_reason: Annotated[str, Meta(max_length=300)] = ""
    confirm: bool = False


@post(f"{BASE}/{{order_id:uuid}}/cancel", permission=WRITE, **STAFF)
async def order_cancel(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
) -> Any:
    async def act(order: Order, submitted: Any) -> str:
        data = _parsed(submitted, CancelForm)
        if not data.confirm:
            raise OrderError("Tick the box to confirm the cancellation.", "confirm")
        await staff_cancel(db_session, order, actor=actor(request), reason=data.cancel_reason)
        return f"{order.number} cancelled."

    return await _perform(request, db_session, order_id, "cancel", act)


class RefundForm(msgspec.Struct):
    amount: Annotated[str, Meta(max_length=30)] = ""
    refund_reason: Annotated[str, Meta(max_length=300)] = ""
    restock: bool = False
    to_gift_cards: bool = False


@post(f"{BASE}/{{order_id:uuid}}/refund", permission=WRITE, **STAFF)
async def order_refund(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
) -> Any:
    async def act(order: Order, submitted: Any) -> str:
        data = _parsed(submitted, RefundForm)
        if not data.amount.strip():
            raise OrderError("Enter the amount to refund.", "amount")
        try:
            amount = parse_money(data.amount, order.currency)
        except MoneyError as exc:
            raise OrderError(str(exc), "amount") from exc
        refund_input = RefundInput(
            amount=amount,
            reason=data.refund_reason.strip(),
            restock=data.restock,
            to_gift_cards=data.to_gift_cards,
            quantities=_quantities(order, submitted, "return"),
        )
        await staff_refund(db_session, order, refund_input, actor=actor(request))
        shown = format_money(amount, order.currency, business_cache.current().locale)
        return f"{order.number}: refund of {shown} recorded."

    return await _perform(request, db_session, order_id, "refund", act)


@post(f"{BASE}/{{order_id:uuid}}/notes", permission=WRITE, **STAFF)
async def order_note(request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]) -> Any:
    async def act(order: Order, submitted: Any) -> str:
        await add_note(db_session, order, str(submitted.get("note") or ""), actor=actor(request))
        return "Note added."

    return await _perform(request, db_session, order_id, "note", act)


# ---- print ----------------------------------------------------------------------------------
async def _printable(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: UUID, kind: str
) -> Any:
    order = await _order(db_session, order_id)
    context = {
        "order": order,
        "kind": kind,
        "figures": order_figures(order),
        "seller": business_cache.current(),
    }
    return render(request, T + "print.html", context, block="document")


@get(f"{BASE}/{{order_id:uuid}}/invoice", permission=READ, **STAFF)
async def order_invoice(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
) -> Any:
    return await _printable(request, db_session, order_id, "invoice")


@get(f"{BASE}/{{order_id:uuid}}/invoice.pdf", permission=READ, **STAFF)
async def order_invoice_pdf(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
) -> Response[bytes]:
    order = await _order(db_session, order_id)
    from verso.domains.orders.views._invoice_pdf import pdf_response  # fpdf2 loads on first use

    return await pdf_response(order, order_figures(order), business_cache.current())


@get(f"{BASE}/{{order_id:uuid}}/packing-slip", permission=READ, **STAFF)
async def order_packing_slip(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: FromPath[UUID]
) -> Any:
    return await _printable(request, db_session, order_id, "packing-slip")


routes = [
    orders_index,
    orders_export,
    orders_bulk_ship,
    order_detail,
    *(_simple_action(name) for name in SIMPLE),
    order_ship,
    order_cancel,
    order_refund,
    order_note,
    order_invoice,
    order_invoice_pdf,
    order_packing_slip,
]
__all__ = ["routes"]
