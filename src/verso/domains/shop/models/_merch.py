"""Merchandising: collections (manual or rule-based), bundles and related products."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

COLLECTION_SORTS = {
    "manual": "Manual order",
    "best_selling": "Best selling",
    "newest": "Newest",
    "price_asc": "Price, low to high",
    "price_desc": "Price, high to low",
    "name": "Name",
}
BUNDLE_PRICING = {"fixed": "Fixed price", "percentage": "Percentage off", "amount": "Amount off"}
RELATION_KINDS = {
    "cross_sell": "Cross-sell",
    "up_sell": "Up-sell",
    "accessory": "Accessory",
    "frequently_bought_together": "Frequently bought together",
}


class Collection(UUIDv7AuditBase):
    """A product grouping: ``manual`` lists its products (ordered); ``smart`` selects them by ``rules``
    (``[{"field": "tag", "op": "eq", "value": "summer"}, ...]``, all or any must match)."""

    __tablename__ = "shop_collection"

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="manual")
    match: Mapped[str] = mapped_column(String(3), default="all")
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    sort: Mapped[str] = mapped_column(String(20), default="manual")
    starts_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    show_on_homepage: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    seo_title: Mapped[str] = mapped_column(String(200), default="")
    seo_description: Mapped[str] = mapped_column(String(320), default="")


class CollectionProduct(UUIDv7AuditBase):
    __tablename__ = "shop_collection_product"
    __table_args__ = (UniqueConstraint("collection_id", "product_id", name="uq_shop_collection_product"),)

    collection_id: Mapped[UUID] = mapped_column(
        ForeignKey("shop_collection.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Bundle(UUIDv7AuditBase):
    """Products sold together. ``pricing`` says how ``value`` reads: a fixed price in minor units, a
    percentage off in basis points (1500 = 15%), or an amount off in minor units."""

    __tablename__ = "shop_bundle"

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    pricing: Mapped[str] = mapped_column(String(10), default="percentage")
    value: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    items: Mapped[list[BundleItem]] = relationship(
        lazy="raise", order_by="BundleItem.position", cascade="all, delete-orphan", passive_deletes=True
    )


class BundleItem(UUIDv7AuditBase):
    __tablename__ = "shop_bundle_item"

    bundle_id: Mapped[UUID] = mapped_column(ForeignKey("shop_bundle.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"))
    variant_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_variant.id", ondelete="SET NULL"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    is_optional: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default_selected: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class RelatedProduct(UUIDv7AuditBase):
    __tablename__ = "shop_related_product"
    __table_args__ = (UniqueConstraint("product_id", "related_id", "kind", name="uq_shop_related_product"),)

    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)
    related_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30), default="cross_sell")
    position: Mapped[int] = mapped_column(Integer, default=0)
