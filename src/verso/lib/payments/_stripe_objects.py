"""Reading Stripe's JSON objects (API answers and webhook events alike) into Verso's payment states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verso.lib.payments._provider import PaymentState, PaymentStatus, RefundState

ORDER_REFERENCE = "order_reference"
"""Metadata key under which every session and payment intent carries the order's reference."""

_INTENT_STATES = {
    "succeeded": PaymentState.PAID,
    "processing": PaymentState.PROCESSING,
    "canceled": PaymentState.CANCELLED,
}

REFUND_STATES = {
    "pending": RefundState.PENDING,
    "requires_action": RefundState.PENDING,
    "succeeded": RefundState.SUCCEEDED,
    "failed": RefundState.FAILED,
    "canceled": RefundState.CANCELLED,
}


def object_id(value: object) -> str | None:
    """A field Stripe sends as an id, or as the whole object when expanded."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return None


def currency_of(obj: Mapping[str, Any]) -> str | None:
    """Stripe writes currencies in lower case; Verso in ISO upper case."""
    currency = obj.get("currency")
    return currency.upper() if isinstance(currency, str) else None


def metadata_of(obj: Mapping[str, Any]) -> dict[str, str]:
    metadata = obj.get("metadata")
    return {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, Mapping) else {}


def session_state(session: Mapping[str, Any]) -> PaymentState:
    """A completed session with ``payment_status`` ``unpaid`` used a delayed method: money is on its way,
    and ``checkout.session.async_payment_succeeded`` or ``..._failed`` follows."""
    status = session.get("status")
    if status == "expired":
        return PaymentState.CANCELLED
    if status == "complete":
        paid = session.get("payment_status") in ("paid", "no_payment_required")
        return PaymentState.PAID if paid else PaymentState.PROCESSING
    return PaymentState.PENDING


def intent_state(intent: Mapping[str, Any]) -> PaymentState:
    status = intent.get("status")
    if status in _INTENT_STATES:
        return _INTENT_STATES[status]
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentState.FAILED
    return PaymentState.PENDING


def session_status(session: Mapping[str, Any]) -> PaymentStatus:
    return PaymentStatus(
        reference=session["id"],
        state=session_state(session),
        amount=session.get("amount_total"),
        currency=currency_of(session),
        payment_intent_id=object_id(session.get("payment_intent")),
    )


def intent_status(intent: Mapping[str, Any]) -> PaymentStatus:
    state = intent_state(intent)
    amount = intent.get("amount_received") if state is PaymentState.PAID else intent.get("amount")
    return PaymentStatus(
        reference=intent["id"],
        state=state,
        amount=amount,
        currency=currency_of(intent),
        payment_intent_id=intent["id"],
    )
