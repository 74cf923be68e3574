"""Carts: a guest's (found by a cookie token's hash) or a customer's (one per customer, so it follows
them across devices). Each line is a product, a variant or a bundle; ``seen_price`` is the unit price
the customer last saw, so checkout can say when a price has changed since."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Cart(UUIDv7AuditBase):
    __tablename__ = "shop_cart"

    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    discount_codes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    gift_card_codes: Mapped[list[str]] = mapped_column(JsonB, default=list)

    items: Mapped[list[CartItem]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="CartItem.created_at"
    )


class CartItem(UUIDv7AuditBase):
    """``line_key`` names what the line holds (``v:<variant>``, ``p:<product>`` or ``b:<bundle>:<items>``)
    so adding the same thing again raises the quantity instead of adding a line."""

    __tablename__ = "shop_cart_item"
    __table_args__ = (
        UniqueConstraint("cart_id", "line_key", name="uq_shop_cart_item_line"),
        CheckConstraint("quantity > 0", name="ck_shop_cart_item_quantity"),
    )

    cart_id: Mapped[UUID] = mapped_column(ForeignKey("shop_cart.id", ondelete="CASCADE"), index=True)
    line_key: Mapped[str] = mapped_column(String(400))
    product_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("shop_product.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_variant.id", ondelete="CASCADE"))
    bundle_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_bundle.id", ondelete="CASCADE"))
    bundle_items: Mapped[list[str]] = mapped_column(JsonB, default=list)  # chosen optional item ids
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    # A gift card's recipient: {"recipient_email", "recipient_name", "sender_name", "message"}.
    details: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict)
    seen_price: Mapped[int] = mapped_column(Integer, default=0)
