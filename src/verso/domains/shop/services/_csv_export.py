"""Export products with their variants as CSV, streamed in batches so memory stays flat whatever the
size of the catalogue (the format is described in ``_csv_format``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import (
    Attribute,
    AttributeValue,
    Category,
    Product,
    ProductAttribute,
    ProductTag,
    ProductVariant,
    variant_value,
)
from verso.domains.shop.services._csv_format import (
    BOM,
    PRODUCT_COLUMNS,
    VARIANT_COLUMNS,
    guard,
    header_row,
    rows_text,
    yes_no,
)
from verso.domains.shop.services._products import ProductSearch
from verso.lib.money import to_decimal_text
from verso.lib.tables import escape_like

EXPORT_BATCH = 500


@dataclass(frozen=True)
class ExportFilter:
    """The products list's filters (status, stock, category id, search text), so "Export" downloads
    what the list shows; all empty exports everything."""

    status: str = ""
    stock: str = ""  # "in", "out" or ""
    category: str = ""  # a category id
    q: str = ""

    def conditions(self) -> list[ColumnElement[bool]]:
        category = ""
        try:
            category = str(UUID(self.category)) if self.category else ""
        except ValueError:
            category = ""
        search = ProductSearch(
            status=self.status if self.status in ("active", "draft") else None,
            in_stock={"in": True, "out": False}.get(self.stock),
            category=category or None,
        )
        found = search.conditions()
        if self.q.strip():  # the list searches name, SKU and slug
            pattern = f"%{escape_like(self.q.strip())}%"
            found.append(
                or_(
                    *(
                        column.ilike(pattern, escape="\\")
                        for column in (Product.name, Product.sku, Product.slug)
                    )
                )
            )
        return found


def signed_text(minor: int, currency: str) -> str:
    """A price change as text: ``-150`` -> ``"-1.50"``."""
    return ("-" if minor < 0 else "") + to_decimal_text(abs(minor), currency)


def product_cells(product: Product, tags: list[str], category_slug: str, currency: str) -> list[str]:
    """The product columns of a product's first row, in :data:`PRODUCT_COLUMNS` order."""
    values = {
        "slug": product.slug,
        "name": product.name,
        "status": product.status,
        "description": product.description,
        "price": to_decimal_text(product.price, currency),
        "compare_at_price": to_decimal_text(product.compare_at_price, currency),
        "cost": to_decimal_text(product.cost, currency),
        "sku": product.sku or "",
        "track_stock": yes_no(product.track_stock),
        "stock": str(product.stock),
        "weight_grams": "" if product.weight_grams is None else str(product.weight_grams),
        "is_digital": yes_no(product.is_digital),
        "is_subscription": yes_no(product.is_subscription),
        "stripe_price_id": product.stripe_price_id,
        "seo_title": product.seo_title,
        "seo_description": product.seo_description,
        "category": category_slug,
        "tags": ", ".join(sorted(tags)),
    }
    return [guard(values[c.key]) if c.kind == "text" else values[c.key] for c in PRODUCT_COLUMNS]


def variant_cells(variant: ProductVariant, currency: str) -> list[str]:
    values = {
        "sku": guard(variant.sku or ""),
        "price_adjustment": signed_text(variant.price_adjustment, currency),
        "stock": str(variant.stock),
        "is_active": yes_no(variant.is_active),
    }
    return [values[c.key] for c in VARIANT_COLUMNS]


@dataclass
class _Lookups:
    """What every batch needs, loaded once: names of categories, attributes and values."""

    currency: str
    option_count: int
    categories: dict[UUID, str]  # id -> slug
    attribute_names: dict[UUID, str]
    values: dict[UUID, tuple[UUID, str, int]]  # value id -> (attribute id, label, position)


@dataclass
class _Batch:
    """Up to :data:`EXPORT_BATCH` products with what their rows show, in plain rows (no relationships:
    loading them through the ORM costs more than writing the file)."""

    products: list[Product]
    tags: dict[UUID, list[str]] = field(default_factory=dict)
    variants: dict[UUID, list[ProductVariant]] = field(default_factory=dict)
    variant_values: dict[UUID, list[UUID]] = field(default_factory=dict)
    axes: dict[UUID, list[UUID]] = field(default_factory=dict)  # product -> attribute ids in order


def product_rows(product: Product, batch: _Batch, lookups: _Lookups) -> list[list[str]]:
    """A product's rows: one per variant (product columns on the first only), or one without options."""
    category = lookups.categories.get(product.category_id, "") if product.category_id else ""
    first = product_cells(product, batch.tags.get(product.id, []), category, lookups.currency)
    blank_product = [first[0]] + [""] * (len(first) - 1)
    variants = batch.variants.get(product.id, [])
    if not variants:
        return [first + [""] * (2 * lookups.option_count + len(VARIANT_COLUMNS))]
    rank = {attribute_id: i for i, attribute_id in enumerate(batch.axes.get(product.id, []))}
    rows = []
    for index, variant in enumerate(variants):
        values = sorted(
            (lookups.values[value_id] for value_id in batch.variant_values.get(variant.id, [])),
            key=lambda v: (rank.get(v[0], len(rank)), v[2]),
        )
        options = [
            guard(text)
            for attribute_id, label, _position in values
            for text in (lookups.attribute_names.get(attribute_id, ""), label)
        ]
        options += [""] * (2 * lookups.option_count - len(options))
        rows.append(
            (first if index == 0 else blank_product) + options + variant_cells(variant, lookups.currency)
        )
    return rows


async def _option_count(session: AsyncSession, conditions: list[ColumnElement[bool]]) -> int:
    """How many option column pairs the file needs: the most attributes any exported product has
    (at least one pair, so the file shows where variants go)."""
    per_product = (
        select(func.count().label("axes"))
        .select_from(ProductAttribute)
        .join(Product, Product.id == ProductAttribute.product_id)
        .where(*conditions)
        .group_by(ProductAttribute.product_id)
        .subquery()
    )
    most = await session.scalar(select(func.max(per_product.c.axes)))
    return max(1, int(most or 0))


async def _batch(session: AsyncSession, products: list[Product]) -> _Batch:
    batch = _Batch(products)
    ids = [p.id for p in products]
    for product_id, tag in await session.execute(
        select(ProductTag.product_id, ProductTag.tag).where(ProductTag.product_id.in_(ids))
    ):
        batch.tags.setdefault(product_id, []).append(tag)
    for variant in await session.scalars(
        select(ProductVariant).where(ProductVariant.product_id.in_(ids)).order_by(ProductVariant.position)
    ):
        batch.variants.setdefault(variant.product_id, []).append(variant)
    variant_ids = [v.id for found in batch.variants.values() for v in found]
    for start in range(0, len(variant_ids), EXPORT_BATCH):
        for variant_id, value_id in await session.execute(
            select(variant_value.c.variant_id, variant_value.c.value_id).where(
                variant_value.c.variant_id.in_(variant_ids[start : start + EXPORT_BATCH])
            )
        ):
            batch.variant_values.setdefault(variant_id, []).append(value_id)
    for product_id, attribute_id in await session.execute(
        select(ProductAttribute.product_id, ProductAttribute.attribute_id)
        .where(ProductAttribute.product_id.in_(ids))
        .order_by(ProductAttribute.product_id, ProductAttribute.position)
    ):
        batch.axes.setdefault(product_id, []).append(attribute_id)
    return batch


async def export_csv(
    open_session: Callable[[], AsyncSession], currency: str, selection: ExportFilter | None = None
) -> AsyncIterator[bytes]:
    """The CSV file as UTF-8 chunks: the header, then one chunk per batch of products (oldest first).

    Opens its own session (the response streams after the request's session has closed)."""
    conditions = (selection or ExportFilter()).conditions()
    async with open_session() as session:
        lookups = _Lookups(
            currency,
            await _option_count(session, conditions),
            dict((await session.execute(select(Category.id, Category.slug))).tuples().all()),
            dict((await session.execute(select(Attribute.id, Attribute.name))).tuples().all()),
            {
                value_id: (attribute_id, label, position)
                for value_id, attribute_id, label, position in await session.execute(
                    select(
                        AttributeValue.id,
                        AttributeValue.attribute_id,
                        AttributeValue.value,
                        AttributeValue.position,
                    )
                )
            },
        )
        yield (BOM + rows_text([header_row(lookups.option_count)])).encode()
        last_id: UUID | None = None
        while True:
            stmt = select(Product).where(*conditions).order_by(Product.id).limit(EXPORT_BATCH)
            if last_id is not None:
                stmt = stmt.where(Product.id > last_id)
            products = list((await session.scalars(stmt)).all())
            if not products:
                return
            batch = await _batch(session, products)
            yield rows_text(
                [row for product in products for row in product_rows(product, batch, lookups)]
            ).encode()
            last_id = products[-1].id
            session.expunge_all()  # keep memory flat over thousands of products
