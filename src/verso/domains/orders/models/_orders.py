"""Orders as placed: the figures pricing produced, frozen; lines with the price at purchase; a
gap-free number per year; and a timeline of everything that happened to the order and who did it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

STATUSES = ("pending", "paid", "processing", "shipped", "delivered", "cancelled", "refunded")
# "ready": an order collected at the shop is packed and the customer was told to come.
FULFILMENT_STATUSES = ("unfulfilled", "partial", "shipped", "ready", "delivered", "returned")
FULFILMENT_LABELS = {"ready": "Ready for pickup"}


class OrderCounter(BigIntAuditBase):
    """The last order number handed out in ``year``; raised in the placing transaction, so a rolled
    back order gives its number back and the sequence has no gaps."""

    __tablename__ = "order_counter"

    year: Mapped[int] = mapped_column(Integer, unique=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Order(UUIDv7AuditBase):
    __tablename__ = "order_order"
    __table_args__ = (
        Index("ix_order_order_status_created", "status", "created_at"),
        CheckConstraint("total >= 0 AND amount_due >= 0", name="ck_order_order_totals"),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    fulfilment_status: Mapped[str] = mapped_column(String(12), default="unfulfilled")
    currency: Mapped[str] = mapped_column(String(3))
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    subtotal: Mapped[int] = mapped_column(Integer)
    discount_total: Mapped[int] = mapped_column(Integer, default=0)
    shipping_total: Mapped[int] = mapped_column(Integer, default=0)
    tax_total: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    gift_card_total: Mapped[int] = mapped_column(Integer, default=0)
    amount_due: Mapped[int] = mapped_column(Integer)
    refunded_total: Mapped[int] = mapped_column(Integer, default=0)
    # "pickup": collected at the shop, whose location is then the shipping address.
    delivery: Mapped[str] = mapped_column(String(10), default="ship", server_default="ship")
    shipping_address: Mapped[dict[str, str] | None] = mapped_column(JsonB)
    billing_address: Mapped[dict[str, str] | None] = mapped_column(JsonB)
    shipping_rate_id: Mapped[UUID | None] = mapped_column()
    shipping_method: Mapped[str] = mapped_column(String(100), default="")
    # [{"id", "label", "amount"}], [{"name", "kind", "rate", "amount"}], [{"id", "code", "amount"}]
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    gift_cards: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    payment_provider: Mapped[str] = mapped_column(String(20), default="")
    customer_note: Mapped[str] = mapped_column(Text, default="")
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    lines: Mapped[list[OrderLine]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="OrderLine.position"
    )

    __personal_data__ = ("email", "name", "phone", "shipping_address", "billing_address", "customer_note")


class OrderLine(UUIDv7AuditBase):
    """What was bought at what price. Product ids survive the product's deletion as plain values;
    ``components`` lists a bundle's parts (``{"product_id", "variant_id", "quantity", "name"}``)."""

    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_line_quantity"),)

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    product_id: Mapped[UUID | None] = mapped_column(index=True)
    variant_id: Mapped[UUID | None] = mapped_column()
    bundle_id: Mapped[UUID | None] = mapped_column()
    components: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    name: Mapped[str] = mapped_column(String(200))
    variant_name: Mapped[str] = mapped_column(String(200), default="")
    sku: Mapped[str] = mapped_column(String(64), default="")
    unit_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    subtotal: Mapped[int] = mapped_column(Integer)
    discount: Mapped[int] = mapped_column(Integer, default=0)
    tax: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    is_shippable: Mapped[bool] = mapped_column(Boolean, default=True)
    is_digital: Mapped[bool] = mapped_column(Boolean, default=False)
    digital_file_digest: Mapped[str | None] = mapped_column(String(64))
    is_gift_card: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict)  # a gift card's recipient
    shipped_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    restocked_quantity: Mapped[int] = mapped_column(Integer, default=0)


class OrderEvent(BigIntAuditBase):
    """The order's timeline: status changes, payments, shipments, refunds, emails and staff notes
    (``internal``: never shown to the customer). ``actor_label`` keeps the name if the user goes."""

    __tablename__ = "order_event"

    order_id: Mapped[UUID] = mapped_column(ForeignKey("order_order.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
