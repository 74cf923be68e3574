"""Bundles: products sold together for less. The price rule is one pure function
(:func:`bundle_price`); the rest is the staff's editing and what a visitor may see.

A bundle is offered when it is active, inside its date window, and every required item's product
(and chosen variant) is for sale; optional items that are not for sale are left out. Methods change
the session and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.shop.models import Bundle, BundleItem, Product, ProductImage, ProductVariant
from verso.domains.shop.models._merch import BUNDLE_PRICING
from verso.domains.shop.pricing import FULL, share
from verso.domains.shop.services._collections import live_clause
from verso.domains.shop.services._products import ProductError, ProductService
from verso.domains.shop.services._variants import effective_price
from verso.domains.shop.services._version import catalog_changed
from verso.lib import clock
from verso.lib.audit import Actor, audit, diff
from verso.lib.slugs import is_slug, unique_slug

MAX_QUANTITY = 999


# ---- the price rule -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Line:
    """One item as priced: what a unit costs, how many, and whether the visitor may leave it out."""

    unit_price: int
    quantity: int
    optional: bool = False
    selected: bool = True

    @property
    def counts(self) -> bool:
        """Required items always count; optional ones only when chosen."""
        return not self.optional or self.selected

    @property
    def total(self) -> int:
        return max(0, self.unit_price) * max(0, self.quantity)


@dataclass(frozen=True, slots=True)
class BundlePrice:
    """The items bought one by one (``items_total``), the bundle's price, and the difference."""

    items_total: int
    price: int

    @property
    def saving(self) -> int:
        return self.items_total - self.price


def bundle_price(pricing: str, value: int, lines: Iterable[Line]) -> BundlePrice:
    """The price of the chosen lines under the bundle's rule. Never negative, never above the items
    bought separately (so the saving is never negative).

    - ``fixed``: ``value`` is the price of the required items; chosen optional items are added at
      their own price. A fixed price above the required items' sum saves nothing.
    - ``percentage``: ``value`` basis points off everything chosen (rounded half up to a minor unit).
    - ``amount``: ``value`` minor units off everything chosen.
    """
    chosen = [line for line in lines if line.counts]
    total = sum(line.total for line in chosen)
    value = max(0, value)
    if pricing == "fixed":
        required = sum(line.total for line in chosen if not line.optional)
        price = min(value, required) + (total - required)
    elif pricing == "percentage":
        price = total - share(total, min(value, FULL))
    elif pricing == "amount":
        price = total - value
    else:
        price = total
    return BundlePrice(total, max(0, min(price, total)))


# ---- what a visitor sees --------------------------------------------------------------------
@dataclass
class OfferLine:
    item: BundleItem
    product: Product
    variant: ProductVariant | None
    unit_price: int
    selected: bool
    image: ProductImage | None = None

    @property
    def total(self) -> int:
        return self.unit_price * self.item.quantity


@dataclass
class BundleOffer:
    """A bundle as offered now: its lines (optional ones marked chosen or not) and their price."""

    bundle: Bundle
    lines: list[OfferLine]
    price: BundlePrice = field(init=False)

    def __post_init__(self) -> None:
        self.price = bundle_price(
            self.bundle.pricing,
            self.bundle.value,
            (
                Line(line.unit_price, line.item.quantity, line.item.is_optional, line.selected)
                for line in self.lines
            ),
        )

    @property
    def has_options(self) -> bool:
        return any(line.item.is_optional for line in self.lines)


def _for_sale(product: Product, variant: ProductVariant | None, item: BundleItem) -> bool:
    """The product is active and the item's variant, if it names one, is too."""
    if product.status != "active":
        return False
    return item.variant_id is None or (variant is not None and variant.is_active)


async def _offers(
    session: AsyncSession, bundles: list[Bundle], chosen: dict[UUID, set[UUID]] | None = None
) -> list[BundleOffer]:
    """Offers for loaded bundles (items loaded): three queries whatever their number."""
    items = [item for bundle in bundles for item in bundle.items]
    if not items:
        return []
    product_ids = {item.product_id for item in items}
    products = {
        p.id: p for p in (await session.scalars(select(Product).where(Product.id.in_(product_ids)))).all()
    }
    variant_ids = {item.variant_id for item in items if item.variant_id}
    variants = (
        {
            v.id: v
            for v in (
                await session.scalars(select(ProductVariant).where(ProductVariant.id.in_(variant_ids)))
            ).all()
        }
        if variant_ids
        else {}
    )
    images = await ProductService(session=session).primary_images(list(product_ids))
    offers = []
    for bundle in bundles:
        lines = offer_lines(bundle, products, variants, images, (chosen or {}).get(bundle.id))
        if lines is not None:
            offers.append(BundleOffer(bundle, lines))
    return offers


def offer_lines(
    bundle: Bundle,
    products: dict[UUID, Product],
    variants: dict[UUID, ProductVariant],
    images: dict[UUID, ProductImage],
    picked: set[UUID] | None,
) -> list[OfferLine] | None:
    """The lines a visitor can buy (optional ones ``picked``, or by default), or ``None`` when a
    required item cannot be bought or nothing is required."""
    lines: list[OfferLine] = []
    for item in bundle.items:
        product = products.get(item.product_id)
        variant = variants.get(item.variant_id) if item.variant_id else None
        if product is None or not _for_sale(product, variant, item):
            if item.is_optional:
                continue
            return None
        chosen = item.id in picked if picked is not None else item.is_default_selected
        price = effective_price(product, variant)
        image = images.get(product.id)
        lines.append(OfferLine(item, product, variant, price, chosen or not item.is_optional, image))
    return lines if any(not line.item.is_optional for line in lines) else None


def _offered(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Bundles a visitor may be offered: active and inside their date window."""
    return (Bundle.is_active.is_(True), live_clause(Bundle, now))


async def bundle_offers_for(session: AsyncSession, product_id: UUID) -> list[BundleOffer]:
    """The bundles a product page shows: those the product belongs to that can be bought now."""
    bundles = (
        await session.scalars(
            select(Bundle)
            .where(
                *_offered(clock.utcnow()),
                Bundle.id.in_(select(BundleItem.bundle_id).where(BundleItem.product_id == product_id)),
            )
            .options(selectinload(Bundle.items))
            .order_by(Bundle.name)
            .limit(3)
        )
    ).all()
    return await _offers(session, list(bundles))


async def bundle_offer(session: AsyncSession, slug: str, chosen: set[UUID] | None) -> BundleOffer | None:
    """The bundle page: ``chosen`` optional item ids (``None``: the default selection)."""
    bundle = await session.scalar(
        select(Bundle)
        .where(Bundle.slug == slug, *_offered(clock.utcnow()))
        .options(selectinload(Bundle.items))
    )
    if bundle is None:
        return None
    offers = await _offers(session, [bundle], {bundle.id: chosen} if chosen is not None else None)
    return offers[0] if offers else None


# ---- the staff's editing --------------------------------------------------------------------
@dataclass
class BundleInput:
    """Every editable field of a bundle; ``value`` already in the unit its pricing reads."""

    name: str
    pricing: str = "percentage"
    value: int = 0
    slug: str = ""
    description: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    is_active: bool = True

    def rule_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not " ".join(self.name.split()):
            errors["name"] = "This field is required."
        if self.slug and not is_slug(self.slug):
            errors["slug"] = "Use lower-case letters, digits and single hyphens (e.g. coffee-set)."
        if self.pricing not in BUNDLE_PRICING:
            errors["pricing"] = "Choose how the bundle is priced."
        elif self.pricing == "percentage" and not 0 < self.value <= FULL:
            errors["value"] = "Enter a percentage above 0 and at most 100."
        elif self.pricing == "fixed" and self.value <= 0:
            errors["value"] = "Enter a price above zero."
        elif self.value < 0:
            errors["value"] = "Must be zero or more."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "Must be after the start."
        return errors


_AUDITED = ("name", "slug", "pricing", "value", "starts_at", "ends_at", "is_active")


def _snapshot(bundle: Bundle) -> dict[str, Any]:
    return {key: getattr(bundle, key) for key in _AUDITED}


@dataclass(frozen=True)
class ItemChange:
    quantity: int
    variant_id: UUID | None
    is_optional: bool
    is_default_selected: bool


class BundleService(SQLAlchemyAsyncRepositoryService[Bundle]):
    class Repo(SQLAlchemyAsyncRepository[Bundle]):
        model_type = Bundle

    repository_type = Repo

    async def with_items(self, bundle_id: UUID) -> Bundle | None:
        return await self.repository.session.scalar(
            select(Bundle).where(Bundle.id == bundle_id).options(selectinload(Bundle.items))
        )

    async def item_products(self, bundle: Bundle) -> dict[UUID, Product]:
        """The products of a bundle's items, with their variants (the staff's item table)."""
        ids = {item.product_id for item in bundle.items}
        if not ids:
            return {}
        rows = await self.repository.session.scalars(
            select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))
        )
        return {p.id: p for p in rows.all()}

    async def save_bundle(self, bundle: Bundle | None, data: BundleInput, *, actor: Actor) -> Bundle:
        session = self.repository.session
        errors = data.rule_errors()
        if data.slug and "slug" not in errors:
            clash = select(Bundle.id).where(Bundle.slug == data.slug)
            if bundle is not None:
                clash = clash.where(Bundle.id != bundle.id)
            if await session.scalar(clash):
                errors["slug"] = "Another bundle uses this address."
        if errors:
            raise ProductError(errors)
        before = _snapshot(bundle) if bundle else {}
        name = " ".join(data.name.split())
        slug = data.slug or (bundle.slug if bundle else "")
        if not slug:
            slug = await unique_slug(session, Bundle.slug, name, max_length=140)
        if bundle is None:
            bundle = Bundle()
            session.add(bundle)
        bundle.name, bundle.slug, bundle.description = name, slug, data.description.strip()
        bundle.pricing, bundle.value, bundle.is_active = data.pricing, data.value, data.is_active
        bundle.starts_at, bundle.ends_at = data.starts_at, data.ends_at
        await session.flush()
        action = "shop.bundle.updated" if before else "shop.bundle.created"
        self._audit(bundle, action, actor, diff(before, _snapshot(bundle)))
        return bundle

    def _audit(self, bundle: Bundle, action: str, actor: Actor, changes: dict[str, Any]) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            action,
            target_type="bundle",
            target_id=bundle.id,
            target_label=bundle.name,
            changes=changes,
        )
        catalog_changed(session)

    async def delete_bundle(self, bundle: Bundle, *, actor: Actor) -> None:
        self._audit(bundle, "shop.bundle.deleted", actor, diff(_snapshot(bundle), {}))
        await self.repository.session.delete(bundle)
        await self.repository.session.flush()

    async def add_item(self, bundle: Bundle, product_id: UUID, *, actor: Actor) -> Product:
        """Add a product as a required item, one of it, at the end."""
        session = self.repository.session
        product = await session.get(Product, product_id)
        if product is None:
            raise ProductError({"product_id": "Choose a product from the list."})
        last = max((item.position for item in bundle.items), default=-1)
        bundle.items.append(BundleItem(product_id=product_id, quantity=1, position=last + 1))
        await session.flush()
        self._audit(bundle, "shop.bundle.item_added", actor, {"product": [None, product.name]})
        return product

    async def update_item(
        self, bundle: Bundle, item: BundleItem, change: ItemChange, *, actor: Actor
    ) -> None:
        session = self.repository.session
        errors: dict[str, str] = {}
        if not 1 <= change.quantity <= MAX_QUANTITY:
            errors["quantity"] = f"Enter a quantity from 1 to {MAX_QUANTITY}."
        if change.variant_id is not None:
            variant = await session.get(ProductVariant, change.variant_id)
            if variant is None or variant.product_id != item.product_id:
                errors["variant_id"] = "Choose one of this product's variants."
        if errors:
            raise ProductError(errors)
        before = {
            "quantity": item.quantity,
            "variant_id": item.variant_id,
            "is_optional": item.is_optional,
            "is_default_selected": item.is_default_selected,
        }
        item.quantity, item.variant_id = change.quantity, change.variant_id
        item.is_optional = change.is_optional
        item.is_default_selected = change.is_default_selected or not change.is_optional
        await session.flush()
        after = {
            "quantity": item.quantity,
            "variant_id": item.variant_id,
            "is_optional": item.is_optional,
            "is_default_selected": item.is_default_selected,
        }
        self._audit(bundle, "shop.bundle.item_updated", actor, diff(before, after))

    async def move_item(self, bundle: Bundle, item: BundleItem, offset: int, *, actor: Actor) -> None:
        items = sorted(bundle.items, key=lambda i: (i.position, i.id))
        index = items.index(item)
        items.insert(max(0, min(len(items) - 1, index + offset)), items.pop(index))
        for position, each in enumerate(items):
            each.position = position
        await self.repository.session.flush()
        self._audit(bundle, "shop.bundle.item_moved", actor, {})

    async def remove_item(self, bundle: Bundle, item: BundleItem, *, actor: Actor) -> None:
        product = await self.repository.session.get(Product, item.product_id)
        bundle.items.remove(item)
        await self.repository.session.flush()
        self._audit(
            bundle, "shop.bundle.item_removed", actor, {"product": [product.name if product else None, None]}
        )
