"""What a customer has told checkout so far (kept per cart, so a failed step or a reload loses
nothing) and the addresses customers keep for next time."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class CheckoutDraft(UUIDv7AuditBase):
    __tablename__ = "order_checkout_draft"

    cart_id: Mapped[UUID] = mapped_column(ForeignKey("shop_cart.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    delivery: Mapped[str] = mapped_column(String(10), default="ship", server_default="ship")  # or "pickup"
    shipping_address: Mapped[dict[str, str] | None] = mapped_column(JsonB)
    shipping_rate_id: Mapped[UUID | None] = mapped_column()
    payment_provider: Mapped[str] = mapped_column(String(20), default="")
    customer_note: Mapped[str] = mapped_column(Text, default="")
    save_address: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_order_id: Mapped[UUID | None] = mapped_column()

    __personal_data__ = ("email", "name", "phone", "shipping_address", "customer_note")


class SavedAddress(UUIDv7AuditBase):
    __tablename__ = "order_saved_address"

    customer_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60), default="")
    name: Mapped[str] = mapped_column(String(120))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    __personal_data__ = ("name", "line1", "line2", "city", "state", "postcode", "phone")
