"""Product rules: validation shared by the staff form and the JSON API, slugs with redirects, tags,
bulk actions. Methods change the session and leave the commit to the caller."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from advanced_alchemy.filters import LimitOffset, OrderBy
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import selectinload

from verso.domains.shop.models import (
    Category,
    Product,
    ProductImage,
    ProductSlugRedirect,
    ProductTag,
    ProductVariant,
)
from verso.domains.shop.models._catalog import PRODUCT_STATUSES
from verso.domains.shop.services._version import catalog_changed
from verso.lib.audit import Actor, audit, diff
from verso.lib.richtext import render_markdown
from verso.lib.slugs import is_slug, slugify, unique_slug
from verso.lib.tables import escape_like

MAX_TAGS = 30
BULK_ACTIONS = {
    "activate": "Activate",
    "deactivate": "Set to draft",
    "set_category": "Set category",
    "delete": "Delete",
}


def is_in_stock(product: Product, variants: list[ProductVariant]) -> bool:
    """Buyable now: stock not tracked, or an active variant with stock, or (a product without active
    variants) stock left. :func:`in_stock_clause` is the same rule in SQL."""
    active = [v for v in variants if v.is_active]
    if not product.track_stock:
        return True
    return any(v.stock > 0 for v in active) if active else product.stock > 0


def _active_variant(*conditions: Any) -> Any:
    return exists().where(
        ProductVariant.product_id == Product.id, ProductVariant.is_active.is_(True), *conditions
    )


def in_stock_clause() -> ColumnElement[bool]:
    """:func:`is_in_stock` as a condition on ``Product`` (listings and the API filter with it)."""
    return or_(
        Product.track_stock.is_(False),
        _active_variant(ProductVariant.stock > 0),
        and_(~_active_variant(), Product.stock > 0),
    )


class ProductError(Exception):
    """A refused product change: ``errors`` maps field names to messages fit to show the person."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def clean_tags(tags: list[str]) -> list[str]:
    """Tags as people type them ("Summer, sale") -> ``["sale", "summer"]``: trimmed, lower case, unique."""
    seen: dict[str, None] = {}
    for raw in tags:
        for part in raw.split(","):
            tag = " ".join(part.split()).lower()[:50]
            if tag:
                seen[tag] = None
    return sorted(seen)


@dataclass
class ProductInput:
    """Every editable field of a product, money in minor units. The staff form and the API build one."""

    name: str
    price: int
    slug: str = ""
    description: str = ""
    compare_at_price: int | None = None
    cost: int | None = None
    sku: str | None = None
    track_stock: bool = True
    stock: int = 0
    weight_grams: int | None = None
    is_digital: bool = False
    is_gift_card: bool = False  # paying for it issues a gift card of its price (implies digital)
    is_subscription: bool = False
    stripe_price_id: str = ""
    status: str = "draft"
    seo_title: str = ""
    seo_description: str = ""
    category_id: UUID | None = None
    tags: list[str] = field(default_factory=list)

    def rule_errors(self) -> dict[str, str]:
        """Rules that need no database: the same for every caller."""
        errors: dict[str, str] = {}
        if not self.name.strip():
            errors["name"] = "This field is required."
        if self.slug and not is_slug(self.slug):
            errors["slug"] = "Use lower-case letters, digits and single hyphens (e.g. blue-mug)."
        if self.price < 0:
            errors["price"] = "Must be zero or more."
        if self.compare_at_price is not None and self.compare_at_price <= self.price:
            errors["compare_at_price"] = "Must be more than the price (it shows the saving), or left empty."
        if self.cost is not None and self.cost < 0:
            errors["cost"] = "Must be zero or more."
        if self.stock < 0:
            errors["stock"] = "Must be zero or more."
        if self.weight_grams is not None and self.weight_grams < 0:
            errors["weight_grams"] = "Must be zero or more."
        if self.status not in PRODUCT_STATUSES:
            errors["status"] = "Choose active or draft."
        if self.is_subscription and not self.stripe_price_id.strip():
            errors["stripe_price_id"] = "A subscription needs its Stripe price id (price_...)."
        if len(clean_tags(self.tags)) > MAX_TAGS:
            errors["tags"] = f"Use at most {MAX_TAGS} tags."
        return errors


SEARCH_SORTS = {"name": "name", "price": "price", "created": "created_at"}


@dataclass(frozen=True)
class ProductSearch:
    """What an integrator asks of the product list (``/api/v1/products``); ``None`` means any."""

    is_digital: bool | None = None
    in_stock: bool | None = None
    category: str | None = None  # an id or a slug, that category only
    q: str | None = None  # name, SKU (the product's or a variant's) or description
    status: str | None = None
    sort: str = "created"  # name, price or created; a leading "-" reverses

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.is_digital is not None:
            found.append(Product.is_digital.is_(self.is_digital))
        if self.in_stock is not None:
            found.append(in_stock_clause() if self.in_stock else ~in_stock_clause())
        if self.category:
            try:
                found.append(Product.category_id == UUID(self.category))
            except ValueError:
                found.append(Product.category.has(Category.slug == self.category.strip().lower()))
        if self.q and self.q.strip():
            pattern = f"%{escape_like(self.q.strip())}%"
            found.append(
                or_(
                    Product.name.ilike(pattern, escape="\\"),
                    Product.sku.ilike(pattern, escape="\\"),
                    Product.description.ilike(pattern, escape="\\"),
                    Product.variants.any(ProductVariant.sku.ilike(pattern, escape="\\")),
                )
            )
        if self.status:
            found.append(Product.status == self.status)
        return found


_AUDITED = (
    "name",
    "slug",
    "price",
    "compare_at_price",
    "cost",
    "sku",
    "track_stock",
    "stock",
    "weight_grams",
    "is_digital",
    "is_gift_card",
    "is_subscription",
    "stripe_price_id",
    "status",
    "category_id",
)


def _snapshot(product: Product) -> dict[str, Any]:
    return {key: getattr(product, key) for key in _AUDITED}


class ProductService(SQLAlchemyAsyncRepositoryService[Product]):
    class Repo(SQLAlchemyAsyncRepository[Product]):
        model_type = Product

    repository_type = Repo

    async def full(self, product_id: UUID) -> Product | None:
        """A product with everything its pages show (one query per collection, never lazy)."""
        return await self.repository.session.scalar(
            select(Product)
            .where(Product.id == product_id)
            .options(
                selectinload(Product.variants).selectinload(ProductVariant.values),
                selectinload(Product.images),
                selectinload(Product.tags),
                selectinload(Product.category),
            )
        )

    async def search(self, search: ProductSearch, *, page: int, per_page: int) -> tuple[list[Product], int]:
        """One page of products matching ``search`` with everything the API shows, and the total.
        A fixed number of queries whatever the page size (the collections load with selectin)."""
        products, total = await self.get_many_and_count(
            *search.conditions(),
            LimitOffset(limit=per_page, offset=(page - 1) * per_page),
            OrderBy(
                field_name=SEARCH_SORTS[search.sort.lstrip("-")],
                sort_order="desc" if search.sort.startswith("-") else "asc",
            ),
            OrderBy(field_name="id", sort_order="asc"),  # ties in a stable order (UUIDv7: creation)
            load=[
                selectinload(Product.variants),
                selectinload(Product.images),
                selectinload(Product.tags),
                selectinload(Product.category),
            ],
            count_with_window_function=False,  # a window count says 0 for a page past the end
        )
        return list(products), total

    async def by_slug(self, slug: str) -> tuple[Product | None, str | None]:
        """``(product, None)`` for a current slug; ``(None, new_slug)`` for a former one (answer 301)."""
        session = self.repository.session
        product = await session.scalar(select(Product).where(Product.slug == slug))
        if product is not None:
            return product, None
        moved = await session.scalar(
            select(Product.slug)
            .join(ProductSlugRedirect, ProductSlugRedirect.product_id == Product.id)
            .where(ProductSlugRedirect.slug == slug)
        )
        return None, moved

    async def _check(self, data: ProductInput, product: Product | None) -> dict[str, str]:
        session = self.repository.session
        errors = data.rule_errors()
        own_id = product.id if product else None
        if data.sku:
            clash = select(Product.id).where(func.lower(Product.sku) == data.sku.lower())
            variant_clash = select(ProductVariant.id).where(
                func.lower(ProductVariant.sku) == data.sku.lower()
            )
            if own_id is not None:
                clash = clash.where(Product.id != own_id)
            if await session.scalar(clash) or await session.scalar(variant_clash):
                errors["sku"] = "Another product or variant already uses this SKU."
        if data.slug and "slug" not in errors:
            taken = await session.scalar(select(Product.id).where(Product.slug == data.slug))
            redirect_owner = await session.scalar(
                select(ProductSlugRedirect.product_id).where(ProductSlugRedirect.slug == data.slug)
            )
            if (taken and taken != own_id) or (redirect_owner and redirect_owner != own_id):
                errors["slug"] = "Another product uses (or used) this address."
        if data.category_id is not None and await session.get(Category, data.category_id) is None:
            errors["category_id"] = "Choose a category from the list."
        return errors

    def _apply(self, product: Product, data: ProductInput) -> None:
        product.name = data.name.strip()
        product.description = data.description
        product.description_html = render_markdown(data.description)
        product.price = data.price
        product.compare_at_price = data.compare_at_price
        product.cost = data.cost
        product.sku = (data.sku or "").strip() or None
        product.track_stock = data.track_stock and not (data.is_digital or data.is_gift_card)
        product.stock = data.stock
        product.weight_grams = data.weight_grams
        product.is_digital = data.is_digital or data.is_gift_card
        product.is_gift_card = data.is_gift_card
        product.is_subscription = data.is_subscription
        product.stripe_price_id = data.stripe_price_id.strip() if data.is_subscription else ""
        product.status = data.status
        product.seo_title = data.seo_title.strip()
        product.seo_description = data.seo_description.strip()
        product.category_id = data.category_id

    async def _set_tags(self, product: Product, tags: list[str]) -> None:
        session = self.repository.session
        await session.execute(delete(ProductTag).where(ProductTag.product_id == product.id))
        session.add_all(ProductTag(product_id=product.id, tag=tag) for tag in clean_tags(tags))

    async def create_product(self, data: ProductInput, *, actor: Actor) -> Product:
        if errors := await self._check(data, None):
            raise ProductError(errors)
        session = self.repository.session
        product = Product()
        self._apply(product, data)
        product.slug = data.slug or await self._free_slug(data.name, None)
        session.add(product)
        await session.flush()
        await self._set_tags(product, data.tags)
        audit(
            session,
            actor,
            "shop.product.created",
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes=diff({}, _snapshot(product)),
        )
        catalog_changed(session)
        return product

    async def update_product(self, product: Product, data: ProductInput, *, actor: Actor) -> Product:
        """Save ``data``; a changed slug keeps the old one as a redirect (and reclaims a former one)."""
        if errors := await self._check(data, product):
            raise ProductError(errors)
        session = self.repository.session
        before = _snapshot(product)
        old_slug = product.slug
        self._apply(product, data)
        new_slug = data.slug or old_slug
        if new_slug != old_slug:
            await session.execute(delete(ProductSlugRedirect).where(ProductSlugRedirect.slug == new_slug))
            session.add(ProductSlugRedirect(slug=old_slug, product_id=product.id))
            product.slug = new_slug
        await session.flush()
        await self._set_tags(product, data.tags)
        audit(
            session,
            actor,
            "shop.product.updated",
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes=diff(before, _snapshot(product)),
        )
        catalog_changed(session)
        return product

    async def _free_slug(self, name: str, own_id: UUID | None) -> str:
        session = self.repository.session
        former = set((await session.scalars(select(ProductSlugRedirect.slug))).all())
        return await unique_slug(
            session,
            Product.slug,
            slugify(name, 200) or "product",
            exclude_id=own_id,
            reserved=former,
            max_length=200,
        )

    async def delete_product(self, product: Product, *, actor: Actor) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            "shop.product.deleted",
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes=diff(_snapshot(product), {}),
        )
        await session.delete(product)
        await session.flush()
        catalog_changed(session)

    async def bulk(self, action: str, ids: list[UUID], *, category_id: UUID | None, actor: Actor) -> int:
        """Apply a bulk action to the products ``ids``; returns how many changed."""
        session = self.repository.session
        if action not in BULK_ACTIONS:
            raise ProductError({"action": "Choose an action."})
        if not ids:
            raise ProductError({"ids": "Select at least one product."})
        if action == "set_category" and (
            category_id is None or await session.get(Category, category_id) is None
        ):
            raise ProductError({"category_id": "Choose a category for the selected products."})
        products = (await session.scalars(select(Product).where(Product.id.in_(ids)))).all()
        for product in products:
            before = _snapshot(product)
            if action == "delete":
                await self.delete_product(product, actor=actor)
                continue
            if action == "activate":
                product.status = "active"
            elif action == "deactivate":
                product.status = "draft"
            else:
                product.category_id = category_id
            audit(
                session,
                actor,
                "shop.product.updated",
                target_type="product",
                target_id=product.id,
                target_label=product.name,
                changes=diff(before, _snapshot(product)),
            )
        await session.flush()
        catalog_changed(session)
        return len(products)

    async def primary_images(self, product_ids: list[UUID]) -> dict[UUID, ProductImage]:
        """The main picture of each product (flagged primary, else the first), in one query."""
        if not product_ids:
            return {}
        rows = await self.repository.session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id.in_(product_ids))
            .order_by(ProductImage.product_id, ProductImage.is_primary.desc(), ProductImage.position)
        )
        found: dict[UUID, ProductImage] = {}
        for image in rows:
            found.setdefault(image.product_id, image)
        return found


def input_from(product: Product) -> dict[str, Any]:
    """A product's editable values as a ``ProductInput``-shaped dict (forms, the API, CSV export)."""
    data = ProductInput(name=product.name, price=product.price)
    values = asdict(data)
    for key in values:
        if key != "tags":
            values[key] = getattr(product, key)
    values["tags"] = [t.tag for t in product.tags]
    return values
