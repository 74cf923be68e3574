"""Promotions: discounts (by code or automatic) with their per-order usage, and gift cards with a
ledger of every change to their balance. Rules live in ``shop.pricing``; these rows are what staff
set up and what checkout records."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

DISCOUNT_KINDS = ("percentage", "fixed_amount", "free_shipping", "buy_x_get_y")
APPLIES_TO = ("all", "products", "collections")
ELIGIBILITY = ("all", "new", "returning")
GIFT_CARD_ENTRIES = ("purchase", "issue", "redemption", "refund", "adjustment")


class Discount(UUIDv7AuditBase):
    """A discount as staff set it up (see ``pricing.Discount`` for what ``value`` means per kind).
    ``code`` is stored upper-case; no code means the discount applies by itself."""

    __tablename__ = "shop_discount"
    __table_args__ = (CheckConstraint("uses >= 0", name="ck_shop_discount_uses"),)

    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(50), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[int] = mapped_column(Integer, default=0)
    buy_quantity: Mapped[int] = mapped_column(Integer, default=1)
    get_quantity: Mapped[int] = mapped_column(Integer, default=1)
    minimum_order: Mapped[int] = mapped_column(Integer, default=0)
    maximum_discount: Mapped[int | None] = mapped_column(Integer)
    maximum_uses: Mapped[int | None] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    applies_to: Mapped[str] = mapped_column(String(12), default="all")
    product_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    collection_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    eligibility: Mapped[str] = mapped_column(String(10), default="all")
    combinable: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class DiscountUsage(BigIntAuditBase):
    """One redemption: which order used which discount, for how much, by whom (customer or, for a
    guest, the email, so per-customer limits hold for guests too)."""

    __tablename__ = "shop_discount_usage"

    discount_id: Mapped[UUID] = mapped_column(ForeignKey("shop_discount.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[UUID] = mapped_column(index=True)
    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    amount: Mapped[int] = mapped_column(Integer, default=0)

    __personal_data__ = ("email",)


class GiftCard(UUIDv7AuditBase):
    """Store credit with a code. ``balance`` only changes together with a :class:`GiftCardEntry`."""

    __tablename__ = "shop_gift_card"
    __table_args__ = (CheckConstraint("balance >= 0", name="ck_shop_gift_card_balance"),)

    code: Mapped[str] = mapped_column(String(24), unique=True)
    initial_balance: Mapped[int] = mapped_column(Integer)
    balance: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    recipient_email: Mapped[str] = mapped_column(String(254), default="")
    recipient_name: Mapped[str] = mapped_column(String(100), default="")
    sender_name: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    purchased_order_id: Mapped[UUID | None] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __personal_data__ = ("recipient_email", "recipient_name", "sender_name", "message")


class GiftCardEntry(BigIntAuditBase):
    """One line of a gift card's ledger: ``amount`` is signed (a redemption is negative) and
    ``balance_after`` is the balance the change left."""

    __tablename__ = "shop_gift_card_entry"

    gift_card_id: Mapped[UUID] = mapped_column(
        ForeignKey("shop_gift_card.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(Integer)
    balance_after: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[UUID | None] = mapped_column(index=True)
    actor_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
