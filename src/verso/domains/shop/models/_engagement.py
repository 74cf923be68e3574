"""What customers leave on products: reviews (moderated), helpful votes and wishlists."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

REVIEW_STATUSES = ("pending", "approved", "rejected")


class Review(UUIDv7AuditBase):
    """One customer's review of one product (1-5 stars); shown once approved."""

    __tablename__ = "shop_review"
    __table_args__ = (
        UniqueConstraint("product_id", "user_id", name="uq_shop_review_product_user"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_shop_review_rating"),
    )

    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(150), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    verified_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    images: Mapped[list[str]] = mapped_column(JsonB, default=list)

    __personal_data__ = ("author_name", "title", "body")


class ReviewVote(UUIDv7AuditBase):
    __tablename__ = "shop_review_vote"
    __table_args__ = (UniqueConstraint("review_id", "user_id", name="uq_shop_review_vote"),)

    review_id: Mapped[UUID] = mapped_column(ForeignKey("shop_review.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    helpful: Mapped[bool] = mapped_column(Boolean)


class WishlistItem(UUIDv7AuditBase):
    """A product (or one variant of it) a signed-in customer saved for later."""

    __tablename__ = "shop_wishlist_item"
    __table_args__ = (UniqueConstraint("user_id", "product_id", "variant_key", name="uq_shop_wishlist_item"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"))
    variant_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_variant.id", ondelete="CASCADE"))
    variant_key: Mapped[str] = mapped_column(
        String(36), default=""
    )  # the variant id, "" for none: unique works
