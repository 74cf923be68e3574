"""Stripe subscriptions: what starting one needs, and Stripe's subscription object read into one value.

Stripe bills and renews; Verso keeps a copy of the status and the current period, learnt from webhook
events. Statuses stay Stripe's own words (``active``, ``past_due``, ``canceled``, ``trialing``,
``incomplete``, ``incomplete_expired``, ``unpaid``, ``paused``): the caller maps them to its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from verso.lib.payments._stripe_objects import metadata_of, object_id

SUBSCRIPTION_REFERENCE = "subscription_reference"
"""Metadata key under which a subscription's Checkout Session and the subscription itself carry the
caller's reference, so every event about it can be matched, whatever order they arrive in."""


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """One attempt to subscribe to one Stripe price. ``idempotency_key`` must be stable for the attempt
    (e.g. the subscription row's id) so a retried request never opens a second session."""

    price_id: str
    reference: str
    customer_email: str
    success_url: str
    cancel_url: str
    idempotency_key: str

    def __post_init__(self) -> None:
        if not self.price_id.startswith("price_"):
            raise ValueError(f"not a Stripe price id: {self.price_id!r}")
        if not self.reference or not self.idempotency_key:
            raise ValueError("reference and idempotency_key are required")


@dataclass(frozen=True, slots=True)
class StripeSubscription:
    """A subscription as Stripe sees it now. The period is ``None`` until Stripe sets one."""

    id: str
    status: str
    customer_id: str | None = None
    price_id: str | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at_period_end: bool = False
    metadata: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def reference(self) -> str | None:
        return self.metadata.get(SUBSCRIPTION_REFERENCE)


def _moment(value: object) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) and value > 0 else None


def _items(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = obj.get("items")
    data = items.get("data") if isinstance(items, Mapping) else None
    return [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []


def _period(
    obj: Mapping[str, Any], items: list[Mapping[str, Any]]
) -> tuple[datetime | None, datetime | None]:
    """API versions before 2025-03-31 put the period on the subscription, later ones on each item
    (items may renew on different days: the subscription's period is the earliest start and the
    latest end)."""
    start, end = _moment(obj.get("current_period_start")), _moment(obj.get("current_period_end"))
    if start is None or end is None:
        starts = [s for item in items if (s := _moment(item.get("current_period_start")))]
        ends = [e for item in items if (e := _moment(item.get("current_period_end")))]
        start = start or (min(starts) if starts else None)
        end = end or (max(ends) if ends else None)
    return start, end


def subscription_from(obj: Mapping[str, Any]) -> StripeSubscription:
    """Read a subscription object (an API answer or an event's ``data.object``)."""
    items = _items(obj)
    price = items[0].get("price") if items else None
    start, end = _period(obj, items)
    status = obj.get("status")
    return StripeSubscription(
        id=str(obj["id"]),
        status=status if isinstance(status, str) else "incomplete",
        customer_id=object_id(obj.get("customer")),
        price_id=object_id(price),
        current_period_start=start,
        current_period_end=end,
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        metadata=MappingProxyType(metadata_of(obj)),
    )
