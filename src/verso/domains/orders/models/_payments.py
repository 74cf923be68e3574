"""Money movements: payment attempts (one per start at checkout, its id the provider's idempotency
key), webhook events already handled (so a replay changes nothing), refunds and subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

SUBSCRIPTION_STATUSES = ("incomplete", "trialing", "active", "past_due", "canceled")


class Payment(UUIDv7AuditBase):
    __tablename__ = "order_payment"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(255), default="", index=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), default="")
    state: Mapped[str] = mapped_column(String(12), default="pending")
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    redirect_url: Mapped[str] = mapped_column(Text, default="")
    # Offline methods: what the customer is told, {"text": ..., "details": [[label, value], ...]}.
    instructions: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class PaymentEvent(BigIntAuditBase):
    """A provider event handled once: the unique (provider, event id) makes a replay a no-op."""

    __tablename__ = "order_payment_event"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_order_payment_event"),)

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(80))
    order_id: Mapped[UUID | None] = mapped_column()


class Refund(UUIDv7AuditBase):
    """``lines`` is ``[{"line_id", "quantity"}]`` for what was given back; ``gift_card_credit`` the
    part returned to the gift cards used rather than to the payment method."""

    __tablename__ = "order_refund"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    gift_card_credit: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(300), default="")
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    provider_reference: Mapped[str] = mapped_column(String(255), default="")
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class Subscription(UUIDv7AuditBase):
    __tablename__ = "order_subscription"

    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    product_id: Mapped[UUID | None] = mapped_column()
    product_name: Mapped[str] = mapped_column(String(200))
    stripe_price_id: Mapped[str] = mapped_column(String(100))
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), default="")
    checkout_reference: Mapped[str] = mapped_column(String(255), default="", index=True)
    status: Mapped[str] = mapped_column(String(12), default="incomplete", index=True)
    current_period_start: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    __personal_data__ = ("email",)
