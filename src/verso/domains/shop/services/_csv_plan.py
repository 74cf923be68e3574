"""An import plan: what a product CSV would change, row by row, and the catalogue it is compared with.

:mod:`._csv_check` builds a plan (every row checked with the staff forms' rules); :mod:`._csv_apply`
writes one. A plan holds the products to create or update with their values, each product's variant
grid, the errors by row and column, and what the preview shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.shop.models import (
    Attribute,
    Category,
    Product,
    ProductAttribute,
    ProductSlugRedirect,
    ProductTag,
    ProductVariant,
    variant_value,
)
from verso.domains.shop.services._products import ProductInput

MAX_STORED_ERRORS = 500
CHUNK = 500
Progress = Callable[[int, int], Awaitable[None]]

# An attribute is an existing id or ("new", lower-case name); a value an id or ("new", attribute, label).
AttrRef = UUID | tuple[str, str]
ValueRef = UUID | tuple[str, Any, str]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(slots=True)
class Row:
    number: int
    cells: list[str]


@dataclass
class PlannedVariant:
    """One combination of the product's grid after the import, and the variant it updates (if any)."""

    existing: ProductVariant | None
    refs: tuple[ValueRef, ...]
    name: str
    position: int
    attributes: dict[str, str]
    sku: str | None
    price_adjustment: int
    stock: int
    is_active: bool
    changed: bool


@dataclass
class PlannedAxis:
    attribute: AttrRef
    name: str
    values: tuple[ValueRef, ...]


@dataclass
class VariantPlan:
    axes: list[PlannedAxis]
    axes_changed: bool
    variants: list[PlannedVariant]
    removed: list[ProductVariant]

    @property
    def changed(self) -> bool:
        return self.axes_changed or bool(self.removed) or any(v.changed for v in self.variants)


@dataclass
class ProductPlan:
    row: int
    slug: str
    data: ProductInput
    existing: Product | None
    fields_changed: bool
    tags_changed: bool
    variants: VariantPlan | None  # None: the file has no option columns, variants stay as they are
    old_tags: list[str] = field(default_factory=list)
    old_variant_count: int = 0

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        changed = self.fields_changed or self.tags_changed or (self.variants and self.variants.changed)
        return "update" if changed else "unchanged"


@dataclass
class ImportPlan:
    """What an import would do, or why it cannot: nothing may be applied while ``errors`` is not empty."""

    rows: int = 0
    products: list[ProductPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    new_values: dict[str, list[str]] = field(default_factory=dict)  # attribute name -> new labels
    new_attributes: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    book: AttributeBook | None = None

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def counts(self) -> dict[str, int]:
        actions = [p.action for p in self.products]
        variants = [p.variants for p in self.products if p.variants is not None]
        return {
            "rows": self.rows,
            "products_create": actions.count("create"),
            "products_update": actions.count("update"),
            "products_unchanged": actions.count("unchanged"),
            "variants_create": sum(1 for v in variants for pv in v.variants if pv.existing is None),
            "variants_update": sum(1 for v in variants for pv in v.variants if pv.existing and pv.changed),
            "variants_remove": sum(len(v.removed) for v in variants),
            "values_create": sum(len(labels) for labels in self.new_values.values()),
        }

    def summary(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "warnings": self.warnings[:50],
            "warning_count": len(self.warnings),
            "new_attributes": self.new_attributes,
            "new_values": self.new_values,
        }


class AttributeBook:
    """The catalogue's attributes by name, and the ones (and values) this file adds."""

    def __init__(self, attributes: Iterable[Attribute]) -> None:
        self.by_key: dict[str, Attribute] = {a.name.lower(): a for a in attributes}
        self.by_id: dict[UUID, Attribute] = {a.id: a for a in self.by_key.values()}
        self.new_attributes: dict[str, str] = {}  # lower name -> name as first written
        self.new_values: dict[AttrRef, dict[str, str]] = {}  # attribute -> lower label -> label

    def attribute(self, name: str) -> AttrRef:
        key = name.lower()
        if key in self.by_key:
            return self.by_key[key].id
        self.new_attributes.setdefault(key, name)
        return ("new", key)

    def value(self, attribute: AttrRef, label: str) -> ValueRef:
        if isinstance(attribute, UUID):
            values = self.by_id[attribute].values
            exact = next((v for v in values if v.value == label), None)
            loose = [v for v in values if v.value.lower() == label.lower()]
            if exact or len(loose) == 1:
                return (exact or loose[0]).id
        self.new_values.setdefault(attribute, {}).setdefault(label.lower(), label)
        return ("new", attribute, self.new_values[attribute][label.lower()])

    def name(self, attribute: AttrRef) -> str:
        return (
            self.by_id[attribute].name if isinstance(attribute, UUID) else self.new_attributes[attribute[1]]
        )

    def label(self, value: ValueRef) -> str:
        if isinstance(value, UUID):
            return next(v.value for a in self.by_id.values() for v in a.values if v.id == value)
        return value[2]

    def sort_key(self, attribute: AttrRef) -> tuple[int, str]:
        """The order ``VariantService.set_axes`` gives a product's attributes (new ones: position 0)."""
        if isinstance(attribute, UUID):
            found = self.by_id[attribute]
            return found.position, found.name
        return 0, self.new_attributes[attribute[1]]

    def ordered(self, attribute: AttrRef, chosen: set[ValueRef]) -> tuple[ValueRef, ...]:
        """The chosen values in the attribute's own order; values the file adds come last."""
        known: list[ValueRef] = (
            [v.id for v in self.by_id[attribute].values] if isinstance(attribute, UUID) else []
        )
        added = [("new", attribute, label) for label in self.new_values.get(attribute, {}).values()]
        return tuple(v for v in [*known, *added] if v in chosen)

    def additions(self) -> dict[str, list[str]]:
        return {self.name(a): list(labels.values()) for a, labels in self.new_values.items()}


@dataclass
class Catalogue:
    """Everything planning compares the file with, loaded in a few queries (plain rows where the
    ORM objects are not needed: loading relationships costs more than the whole check)."""

    products: dict[str, Product]
    tags: dict[UUID, list[str]]  # product id -> sorted tags
    variants: dict[UUID, list[ProductVariant]]  # product id -> variants in grid order
    variant_values: dict[UUID, frozenset[UUID]]  # variant id -> its attribute value ids
    axes: dict[UUID, list[ProductAttribute]]
    former_slugs: dict[str, UUID]
    sku_owners: dict[str, set[tuple[str, UUID]]]  # lower SKU -> {("product"|"variant", id)}
    categories: dict[str, UUID]  # lower slug -> id
    book: AttributeBook


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def load_catalogue(session: AsyncSession, slugs: list[str]) -> Catalogue:
    products: dict[str, Product] = {}
    former: dict[str, UUID] = {}
    for chunk in _chunks(slugs):
        products |= {p.slug: p for p in await session.scalars(select(Product).where(Product.slug.in_(chunk)))}
        moved = await session.execute(
            select(ProductSlugRedirect.slug, ProductSlugRedirect.product_id).where(
                ProductSlugRedirect.slug.in_(chunk)
            )
        )
        former |= dict(moved.tuples().all())
    tags: dict[UUID, list[str]] = {}
    variants: dict[UUID, list[ProductVariant]] = {}
    axes: dict[UUID, list[ProductAttribute]] = {}
    for chunk in _chunks([p.id for p in products.values()]):
        for product_id, tag in await session.execute(
            select(ProductTag.product_id, ProductTag.tag).where(ProductTag.product_id.in_(chunk))
        ):
            tags.setdefault(product_id, []).append(tag)
        for variant in await session.scalars(
            select(ProductVariant)
            .where(ProductVariant.product_id.in_(chunk))
            .order_by(ProductVariant.position)
        ):
            variants.setdefault(variant.product_id, []).append(variant)
        for link in await session.scalars(
            select(ProductAttribute)
            .where(ProductAttribute.product_id.in_(chunk))
            .order_by(ProductAttribute.position)
        ):
            axes.setdefault(link.product_id, []).append(link)
    links: dict[UUID, set[UUID]] = {}
    for chunk in _chunks([v.id for found in variants.values() for v in found]):
        for variant_id, value_id in await session.execute(
            select(variant_value.c.variant_id, variant_value.c.value_id).where(
                variant_value.c.variant_id.in_(chunk)
            )
        ):
            links.setdefault(variant_id, set()).add(value_id)
    owners: dict[str, set[tuple[str, UUID]]] = {}
    for sku, owner_id in await session.execute(
        select(Product.sku, Product.id).where(Product.sku.is_not(None))
    ):
        owners.setdefault(sku.lower(), set()).add(("product", owner_id))
    for sku, owner_id in await session.execute(
        select(ProductVariant.sku, ProductVariant.id).where(ProductVariant.sku.is_not(None))
    ):
        owners.setdefault(sku.lower(), set()).add(("variant", owner_id))
    categories = {
        slug.lower(): cid for cid, slug in await session.execute(select(Category.id, Category.slug))
    }
    attributes = await session.scalars(
        select(Attribute).options(selectinload(Attribute.values)).order_by(Attribute.position, Attribute.name)
    )
    return Catalogue(
        products,
        {product_id: sorted(found) for product_id, found in tags.items()},
        variants,
        {variant_id: frozenset(found) for variant_id, found in links.items()},
        axes,
        former,
        owners,
        categories,
        AttributeBook(attributes.all()),
    )


# -- one product --------------------------------------------------------------------------------
