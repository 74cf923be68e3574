"""The customer's order emails, queued in the outbox with the order's transaction: placed (offline:
how to pay, from the ``instructions`` the payment was started with), paid (the confirmation, with
download links), shipped (with tracking), ready for pickup (where, and what is left to pay),
cancelled (with what is refunded) and refunded."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order
from verso.domains.orders.services._links import order_url
from verso.domains.orders.services._placing import PAY_ON_PICKUP
from verso.domains.orders.services._timeline import record
from verso.domains.shop.services import checkout_settings, place_line
from verso.lib.email import send_email
from verso.lib.money import format_money

SUBJECTS = {
    "placed": "Your order {number}: how to pay",
    "paid": "Order {number} confirmed",
    "shipped": "Order {number} is on its way",
    "ready": "Order {number} is ready for pickup",
    "cancelled": "Order {number} has been cancelled",
    "refunded": "Order {number}: refund of {amount}",
}


def _money(order: Order, amount: int) -> str:
    return format_money(amount, order.currency, business_cache.current().locale)


async def send_order_email(session: AsyncSession, order: Order, kind: str, **extra: Any) -> None:
    business = business_cache.current()
    refund = extra.get("refund")
    context: dict[str, Any] = {
        "order": order,
        "business_name": business.name,
        "name": order.name or order.email,
        "link": order_url(order.number),
        "lines": [
            (line.quantity, line.name, line.variant_name, _money(order, line.total)) for line in order.lines
        ],
        "total": _money(order, order.total),
        "amount_due": _money(order, order.amount_due),
        "shipment": extra.get("shipment"),
        "refund_amount": _money(order, refund.amount) if refund else "",
        "downloads": [(token.filename, raw) for token, raw in extra.get("downloads") or []],
        "instructions": None,
        "pickup": "",
    }
    if kind == "placed":
        context["instructions"] = extra.get("instructions")
    # Where to collect: when the order is placed, when it is ready, and when a payment made before
    # collecting arrives.
    ahead = kind == "paid" and order.payment_provider != PAY_ON_PICKUP
    if order.delivery == "pickup" and (kind in ("placed", "ready") or ahead):
        context["pickup"] = place_line(order.shipping_address)
        context["pickup_instructions"] = (await checkout_settings(session)).pickup_instructions
    subject = SUBJECTS[kind].format(number=order.number, amount=context["refund_amount"])
    # Recorded first, so it is written with the email's flush (an error rolls both back).
    record(session, order, "email", f"Emailed the customer: {subject}.", internal=True)
    await send_email(session, to=order.email, subject=subject, template=f"orders/{kind}", context=context)
