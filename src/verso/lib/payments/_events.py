"""Stripe webhook events that checkout and subscriptions act on, read into one small typed value.

Any other event type is returned with ``ignored=True`` (answer 200 and do nothing), never an error:
Stripe sends whatever the endpoint was subscribed to, and new types appear over time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from verso.lib.payments._errors import WebhookError
from verso.lib.payments._provider import PaymentState
from verso.lib.payments._signature import DEFAULT_TOLERANCE, verify_stripe_signature
from verso.lib.payments._stripe_objects import (
    ORDER_REFERENCE,
    currency_of,
    metadata_of,
    object_id,
    session_state,
)
from verso.lib.payments._subscriptions import SUBSCRIPTION_REFERENCE, StripeSubscription, subscription_from

SESSION_COMPLETED = "checkout.session.completed"
SESSION_ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
SESSION_ASYNC_FAILED = "checkout.session.async_payment_failed"
SESSION_EXPIRED = "checkout.session.expired"
INTENT_SUCCEEDED = "payment_intent.succeeded"
INTENT_FAILED = "payment_intent.payment_failed"
CHARGE_REFUNDED = "charge.refunded"
SUBSCRIPTION_CREATED = "customer.subscription.created"
SUBSCRIPTION_UPDATED = "customer.subscription.updated"
SUBSCRIPTION_DELETED = "customer.subscription.deleted"
SUBSCRIPTION_TYPES = frozenset({SUBSCRIPTION_CREATED, SUBSCRIPTION_UPDATED, SUBSCRIPTION_DELETED})

_SESSION_TYPES = {
    SESSION_COMPLETED: None,  # paid, or processing for delayed methods: read from the session
    SESSION_ASYNC_SUCCEEDED: PaymentState.PAID,
    SESSION_ASYNC_FAILED: PaymentState.FAILED,
    SESSION_EXPIRED: PaymentState.CANCELLED,
}
HANDLED_TYPES = frozenset(
    {*_SESSION_TYPES, INTENT_SUCCEEDED, INTENT_FAILED, CHARGE_REFUNDED, *SUBSCRIPTION_TYPES}
)


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """``id`` is what makes the webhook idempotent: store it and skip events already seen.
    ``state`` is what the event says about the payment (``None`` for refunds and ignored types);
    ``amount`` is the session total, the intent amount or the charge amount; ``amount_refunded`` is
    the charge's total refunded so far (``charge.refunded`` only). Subscription events carry
    ``subscription`` (Stripe's object now); a Checkout Session in ``mode`` ``subscription`` carries the
    ``subscription_id`` and ``customer_id`` it created, and both the caller's
    ``subscription_reference``."""

    id: str
    type: str
    created: datetime
    ignored: bool
    state: PaymentState | None = None
    session_id: str | None = None
    payment_intent_id: str | None = None
    amount: int | None = None
    amount_refunded: int | None = None
    currency: str | None = None
    order_reference: str | None = None
    failure_message: str | None = None
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    mode: str | None = None
    subscription_id: str | None = None
    customer_id: str | None = None
    subscription_reference: str | None = None
    subscription: StripeSubscription | None = None

    @property
    def is_subscription(self) -> bool:
        """About a subscription (its object, or its Checkout Session) rather than a one-off payment."""
        return self.subscription is not None or self.mode == "subscription"


def parse_stripe_event(payload: bytes | str) -> StripeEvent:
    """Read an already verified body; raises :class:`WebhookError` for anything that is not an event."""
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookError("webhook body is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookError("webhook body is not a JSON object")
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(created, int):
        raise WebhookError("webhook body lacks an event id, type or created time")
    base = StripeEvent(
        id=event_id, type=event_type, created=datetime.fromtimestamp(created, UTC), ignored=True
    )
    if event_type not in HANDLED_TYPES:
        return base
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise WebhookError(f"{event_type} event {event_id} has no data.object")
    metadata = metadata_of(obj)
    common: dict[str, Any] = {
        "ignored": False,
        "currency": currency_of(obj),
        "metadata": MappingProxyType(metadata),
        "order_reference": metadata.get(ORDER_REFERENCE),
        "subscription_reference": metadata.get(SUBSCRIPTION_REFERENCE),
    }
    if event_type in _SESSION_TYPES:
        mode = obj.get("mode")
        specific: dict[str, Any] = {
            "state": _SESSION_TYPES[event_type] or session_state(obj),
            "session_id": obj["id"],
            "payment_intent_id": object_id(obj.get("payment_intent")),
            "amount": obj.get("amount_total"),
            "mode": mode if isinstance(mode, str) else None,
            "subscription_id": object_id(obj.get("subscription")),
            "customer_id": object_id(obj.get("customer")),
        }
        if mode == "subscription":
            specific["subscription_reference"] = common["subscription_reference"] or obj.get(
                "client_reference_id"
            )
        else:
            specific["order_reference"] = common["order_reference"] or obj.get("client_reference_id")
    elif event_type in SUBSCRIPTION_TYPES:
        subscription = subscription_from(obj)
        specific = {
            "subscription": subscription,
            "subscription_id": subscription.id,
            "customer_id": subscription.customer_id,
        }
    elif event_type == CHARGE_REFUNDED:
        specific = {
            "payment_intent_id": object_id(obj.get("payment_intent")),
            "amount": obj.get("amount"),
            "amount_refunded": obj.get("amount_refunded"),
        }
    else:
        error = obj.get("last_payment_error")
        succeeded = event_type == INTENT_SUCCEEDED
        specific = {
            "state": PaymentState.PAID if succeeded else PaymentState.FAILED,
            "payment_intent_id": obj["id"],
            "amount": obj.get("amount_received") if succeeded else obj.get("amount"),
            "failure_message": error.get("message") if isinstance(error, dict) else None,
        }
    return replace(base, **(common | specific))


def verify_stripe_event(
    payload: bytes | str,
    header: str | None,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> StripeEvent:
    """What the ``/webhooks/stripe`` route calls with the raw body: verify, then parse."""
    verify_stripe_signature(payload, header, secret, tolerance=tolerance, now=now)
    return parse_stripe_event(payload)
