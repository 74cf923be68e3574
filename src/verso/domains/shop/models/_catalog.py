"""Products and what describes them: variants, attributes and their values, images, categories, tags.

Money is in integer minor units of the business currency. ``Product.stock`` counts a product without
variants; a product with variants counts stock per variant.
"""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase, orm_registry
from advanced_alchemy.types import JsonB
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

PRODUCT_STATUSES = ("active", "draft")
ATTRIBUTE_KINDS = ("select", "color", "size", "text")
IMAGE_TYPES = ("photo", "lifestyle", "diagram")

variant_value = Table(
    "shop_variant_value",
    orm_registry.metadata,
    Column("variant_id", ForeignKey("shop_variant.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "value_id", ForeignKey("shop_attribute_value.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Category(UUIDv7AuditBase):
    """A node of the category tree; ``parent_id`` is empty at the top."""

    __tablename__ = "shop_category"

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    # NO ACTION (checked at the end of the statement): the service refuses to delete a parent.
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_category.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    seo_title: Mapped[str] = mapped_column(String(200), default="")
    seo_description: Mapped[str] = mapped_column(String(320), default="")


class Product(UUIDv7AuditBase):
    """A thing the shop sells. ``description_html`` is the sanitised rendering of ``description``
    (Markdown), made when the product is saved so pages never render Markdown."""

    __tablename__ = "shop_product"
    __table_args__ = (
        CheckConstraint("price >= 0", name="ck_shop_product_price"),
        Index("ix_shop_product_category_status", "category_id", "status"),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer, default=0)
    compare_at_price: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[int | None] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(64), unique=True)
    track_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    is_digital: Mapped[bool] = mapped_column(Boolean, default=False)
    digital_file_digest: Mapped[str | None] = mapped_column(String(64))
    is_subscription: Mapped[bool] = mapped_column(Boolean, default=False)
    # Sold as store credit: paying for it issues a gift card of the line's price to the recipient.
    is_gift_card: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    stripe_price_id: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    seo_title: Mapped[str] = mapped_column(String(200), default="")
    seo_description: Mapped[str] = mapped_column(String(320), default="")
    category_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_category.id", ondelete="SET NULL"))
    sold_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_total: Mapped[int] = mapped_column(Integer, default=0)

    category: Mapped[Category | None] = relationship(lazy="raise")
    variants: Mapped[list[ProductVariant]] = relationship(
        lazy="raise", order_by="ProductVariant.position", cascade="all, delete-orphan", passive_deletes=True
    )
    images: Mapped[list[ProductImage]] = relationship(
        lazy="raise", order_by="ProductImage.position", cascade="all, delete-orphan", passive_deletes=True
    )
    tags: Mapped[list[ProductTag]] = relationship(
        lazy="raise", order_by="ProductTag.tag", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def rating(self) -> float | None:
        return round(self.rating_total / self.rating_count, 1) if self.rating_count else None

    @property
    def on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price


class ProductSlugRedirect(UUIDv7AuditBase):
    """A product's former slug: its old URL answers 301 to the current one."""

    __tablename__ = "shop_product_slug_redirect"

    slug: Mapped[str] = mapped_column(String(220), unique=True)
    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)


class ProductTag(UUIDv7AuditBase):
    __tablename__ = "shop_product_tag"
    __table_args__ = (UniqueConstraint("product_id", "tag", name="uq_shop_product_tag"),)

    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(50), index=True)


class Attribute(UUIDv7AuditBase):
    """A reusable option (Size, Colour, Material) whose values products pick from."""

    __tablename__ = "shop_attribute"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="select")
    position: Mapped[int] = mapped_column(Integer, default=0)

    values: Mapped[list[AttributeValue]] = relationship(
        lazy="raise", order_by="AttributeValue.position", cascade="all, delete-orphan", passive_deletes=True
    )


class AttributeValue(UUIDv7AuditBase):
    """One value of an attribute; ``swatch`` is a ``#rrggbb`` colour for colour attributes."""

    __tablename__ = "shop_attribute_value"
    __table_args__ = (UniqueConstraint("attribute_id", "value", name="uq_shop_attribute_value"),)

    attribute_id: Mapped[UUID] = mapped_column(
        ForeignKey("shop_attribute.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str] = mapped_column(String(80))
    swatch: Mapped[str] = mapped_column(String(7), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductAttribute(UUIDv7AuditBase):
    """An attribute a product varies by, with the values it offers (the variant grid's axes)."""

    __tablename__ = "shop_product_attribute"
    __table_args__ = (UniqueConstraint("product_id", "attribute_id", name="uq_shop_product_attribute"),)

    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)
    attribute_id: Mapped[UUID] = mapped_column(ForeignKey("shop_attribute.id", ondelete="RESTRICT"))
    value_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductVariant(UUIDv7AuditBase):
    """One combination of attribute values ("Large / Blue"), with its own SKU, price change and stock.

    ``attributes`` copies the names for display and the API (``{"Size": "L"}``); the
    ``shop_variant_value`` links are what filters query."""

    __tablename__ = "shop_variant"

    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64), unique=True)
    price_adjustment: Mapped[int] = mapped_column(Integer, default=0)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    attributes: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict)
    image_id: Mapped[UUID | None] = mapped_column(ForeignKey("shop_product_image.id", ondelete="SET NULL"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    values: Mapped[list[AttributeValue]] = relationship(secondary=variant_value, lazy="raise")


class ProductImage(UUIDv7AuditBase):
    """A picture of a product, stored once in the media store (``digest``). A variant points at the
    picture that shows it (``ProductVariant.image_id``)."""

    __tablename__ = "shop_product_image"

    product_id: Mapped[UUID] = mapped_column(ForeignKey("shop_product.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(ForeignKey("stored_file.digest", ondelete="RESTRICT"), index=True)
    alt_text: Mapped[str] = mapped_column(String(250))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    image_type: Mapped[str] = mapped_column(String(10), default="photo")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
