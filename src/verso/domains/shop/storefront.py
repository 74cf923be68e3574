"""What the public shop reads: product listings with filters, sort and pages, and one product's page.

Every listing runs a fixed number of queries whatever the page size or the catalogue's size (count,
page, pictures, facets), so pages stay fast as the shop grows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from sqlalchemy import ColumnElement, Integer, Select, and_, func, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import (
    Attribute,
    AttributeValue,
    Category,
    Collection,
    Product,
    ProductImage,
    ProductVariant,
    variant_value,
)
from verso.domains.shop.services import (
    ProductService,
    collection_clause,
    collection_position,
    descendants,
    in_stock_clause,
    is_in_stock,
    live_clause,
    trail,
)
from verso.lib import clock
from verso.lib.money import MoneyError, parse_money
from verso.lib.tables import int_param

SORTS = {
    "featured": "Featured",
    "newest": "Newest",
    "price_asc": "Price, low to high",
    "price_desc": "Price, high to low",
    "name": "Name",
    "best_selling": "Best selling",
}
PER_PAGE = 24
MAX_PAGE = 10_000


def _one(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return value.strip()[:50] if isinstance(value, str) else ""


def _many(params: Any, name: str) -> list[str]:
    getall = getattr(params, "getall", None)
    values = getall(name, []) if callable(getall) else [params.get(name)] if params.get(name) else []
    return [v for v in values if isinstance(v, str)][:50]


@dataclass(frozen=True)
class ListingQuery:
    """The visitor's filters, from the URL (so every listing is a shareable link). Junk is ignored."""

    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool = False
    values: tuple[UUID, ...] = ()
    sort: str = "featured"
    page: int = 1
    raw_min: str = ""
    raw_max: str = ""
    default_sort: str = "featured"

    @classmethod
    def from_params(
        cls, params: Any, currency: str, sorts: Mapping[str, str] = SORTS, default_sort: str = "featured"
    ) -> ListingQuery:
        def money(text: str) -> int | None:
            try:
                return parse_money(text, currency) if text else None
            except MoneyError:
                return None

        values = chosen_values(params)
        page_text = _one(params, "page")
        page = int_param(page_text, 1)
        sort = _one(params, "sort")
        raw_min, raw_max = _one(params, "min"), _one(params, "max")
        return cls(
            min_price=money(raw_min),
            max_price=money(raw_max),
            in_stock=_one(params, "stock") == "1",
            values=tuple(dict.fromkeys(values)),
            sort=sort if sort in sorts else default_sort,
            page=max(1, min(page, MAX_PAGE)),
            raw_min=raw_min if money(raw_min) is not None else "",
            raw_max=raw_max if money(raw_max) is not None else "",
            default_sort=default_sort,
        )

    def url(self, base: str, **changes: Any) -> str:
        """This listing's URL with ``changes``; changing a filter goes back to page 1."""
        state = replace(self, **changes) if changes else self
        if changes and "page" not in changes:
            state = replace(state, page=1)
        pairs: list[tuple[str, str]] = []
        if state.raw_min:
            pairs.append(("min", state.raw_min))
        if state.raw_max:
            pairs.append(("max", state.raw_max))
        if state.in_stock:
            pairs.append(("stock", "1"))
        pairs.extend(("v", str(v)) for v in state.values)
        if state.sort != state.default_sort:
            pairs.append(("sort", state.sort))
        if state.page > 1:
            pairs.append(("page", str(state.page)))
        return base + ("?" + urlencode(pairs) if pairs else "")

    @property
    def is_filtered(self) -> bool:
        return bool(self.raw_min or self.raw_max or self.in_stock or self.values)


@dataclass(frozen=True)
class Facet:
    attribute: Attribute
    values: list[AttributeValue]


@dataclass
class Listing:
    products: list[Product]
    total: int
    query: ListingQuery
    base_url: str
    images: dict[UUID, ProductImage] = field(default_factory=dict)
    facets: list[Facet] = field(default_factory=list)
    stock: dict[UUID, bool] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PER_PAGE))

    def url(self, **changes: Any) -> str:
        return self.query.url(self.base_url, **changes)


@dataclass(frozen=True)
class ListingScope:
    """Which visible products a listing draws from and how it may sort them: ``where`` narrows them
    (a category's subtree, a collection's rules), ``position`` is the sort key of ``"manual"`` (a
    collection's chosen order), ``default_sort`` applies when the visitor has not chosen."""

    where: ColumnElement[bool] | None = None
    position: ColumnElement[Any] | None = None
    sorts: Mapping[str, str] = field(default_factory=lambda: SORTS)
    default_sort: str = "featured"


def visible() -> Any:
    """Products a visitor may see: active ones."""
    return Product.status == "active"


def _order_by(sort: str, position: ColumnElement[Any] | None = None) -> list[Any]:
    featured = [Product.sold_count.desc(), Product.created_at.desc()]
    orders = {
        "newest": [Product.created_at.desc()],
        "price_asc": [Product.price.asc()],
        "price_desc": [Product.price.desc()],
        "name": [Product.name.asc()],
        "best_selling": [Product.sold_count.desc()],
        "featured": featured,
        "manual": [position.asc(), *featured] if position is not None else featured,
    }
    return [*orders.get(sort, featured), Product.id]


def _ordered(stmt: Select[Any], sort: str, position: ColumnElement[Any] | None = None) -> Select[Any]:
    return stmt.order_by(*_order_by(sort, position))


async def _values_by_attribute(session: AsyncSession, ids: tuple[UUID, ...]) -> dict[UUID, list[UUID]]:
    rows = await session.execute(
        select(AttributeValue.attribute_id, AttributeValue.id).where(AttributeValue.id.in_(ids))
    )
    grouped: dict[UUID, list[UUID]] = {}
    for attribute_id, value_id in rows:
        grouped.setdefault(attribute_id, []).append(value_id)
    return grouped


async def list_products(
    session: AsyncSession, query: ListingQuery, *, base_url: str, scope: ListingScope | None = None
) -> Listing:
    """One page of visible products in ``scope`` (all when ``None``), filtered and sorted."""
    scope = scope or ListingScope()
    stmt = select(Product).where(visible())
    if scope.where is not None:
        stmt = stmt.where(scope.where)
    unfiltered = stmt
    if query.min_price is not None:
        stmt = stmt.where(Product.price >= query.min_price)
    if query.max_price is not None:
        stmt = stmt.where(Product.price <= query.max_price)
    if query.in_stock:
        stmt = stmt.where(in_stock_clause())
    if query.values:
        # Values of one attribute widen the choice (red OR blue); different attributes narrow it.
        for value_ids in (await _values_by_attribute(session, query.values)).values():
            linked = select(variant_value.c.variant_id).where(variant_value.c.value_id.in_(value_ids))
            stmt = stmt.where(
                Product.variants.any(and_(ProductVariant.is_active.is_(True), ProductVariant.id.in_(linked)))
            )
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    query = replace(query, page=min(query.page, pages))
    products = list(
        (
            await session.scalars(
                _ordered(stmt, query.sort, scope.position).offset((query.page - 1) * PER_PAGE).limit(PER_PAGE)
            )
        ).all()
    )
    ids = [p.id for p in products]
    stock_rows = (
        await session.execute(select(Product.id).where(Product.id.in_(ids), in_stock_clause())) if ids else []
    )
    listing = Listing(products, total, query, base_url)
    listing.stock = {pid: True for (pid,) in stock_rows}
    listing.images = await ProductService(session=session).primary_images(ids)
    listing.facets = await _facets(session, unfiltered)
    return listing


async def _facets(session: AsyncSession, scope: Select[Any]) -> list[Facet]:
    """The attribute values that active variants of the products in scope carry (one query)."""
    product_ids = scope.with_only_columns(Product.id).order_by(None)
    rows = await session.execute(
        select(Attribute, AttributeValue)
        .join(AttributeValue, AttributeValue.attribute_id == Attribute.id)
        .where(
            AttributeValue.id.in_(
                select(variant_value.c.value_id)
                .join(ProductVariant, ProductVariant.id == variant_value.c.variant_id)
                .where(ProductVariant.is_active.is_(True), ProductVariant.product_id.in_(product_ids))
            )
        )
        .order_by(Attribute.position, Attribute.name, AttributeValue.position)
    )
    facets: dict[UUID, Facet] = {}
    for attribute, value in rows:
        facets.setdefault(attribute.id, Facet(attribute, [])).values.append(value)
    return list(facets.values())


async def categories(session: AsyncSession) -> dict[UUID, Category]:
    return {c.id: c for c in (await session.scalars(select(Category))).all()}


async def category_scope(
    session: AsyncSession, slug: str
) -> tuple[Category, list[Category], ListingScope] | None:
    """The category, its breadcrumb and its subtree's products, or ``None`` for an unknown slug."""
    everything = await categories(session)
    category = next((c for c in everything.values() if c.slug == slug), None)
    if category is None:
        return None
    ids = descendants(list(everything.values()), category.id)
    return category, trail(everything, category.id), ListingScope(Product.category_id.in_(ids))


def collection_scope(collection: Collection) -> ListingScope:
    """A collection's products, sorted by its default sort unless the visitor chooses another. A
    manual collection offers its chosen order as "Featured"."""
    if collection.kind == "manual":
        sorts = {"manual": "Featured", **{k: v for k, v in SORTS.items() if k != "featured"}}
        position = collection_position(collection)
        return ListingScope(collection_clause(collection), position, sorts, collection.sort)
    default = collection.sort if collection.sort in SORTS else "featured"
    return ListingScope(collection_clause(collection), None, SORTS, default)


@dataclass
class Shelf:
    """A few products of one collection, for the home page."""

    collection: Collection
    products: list[Product]


@dataclass
class Featured:
    shelves: list[Shelf]
    images: dict[UUID, ProductImage] = field(default_factory=dict)
    stock: dict[UUID, bool] = field(default_factory=dict)


async def featured_collections(session: AsyncSession, *, limit: int = 4, per_collection: int = 4) -> Featured:
    """The collections shown on the home page (``show_on_homepage``, inside their date window), each
    with its first products in its own order: four queries whatever the number of collections."""
    collections = list(
        (
            await session.scalars(
                select(Collection)
                .where(Collection.show_on_homepage.is_(True), live_clause(Collection, clock.utcnow()))
                .order_by(Collection.position, Collection.name)
                .limit(limit)
            )
        ).all()
    )
    if not collections:
        return Featured([])
    branches = []
    for slot, collection in enumerate(collections):
        scope = collection_scope(collection)
        rank = func.row_number().over(order_by=_order_by(scope.default_sort, scope.position))
        branches.append(
            select(
                Product.id.label("product_id"),
                literal_column(str(slot), Integer).label("slot"),
                rank.label("rank"),
            ).where(visible(), scope.where)
        )
    ranked = union_all(*branches).subquery()
    rows = (
        await session.execute(
            select(Product, ranked.c.slot)
            .join(ranked, ranked.c.product_id == Product.id)
            .where(ranked.c.rank <= per_collection)
            .order_by(ranked.c.slot, ranked.c.rank)
        )
    ).all()
    shelves = {slot: Shelf(collection, []) for slot, collection in enumerate(collections)}
    for product, slot in rows:
        shelves[slot].products.append(product)
    ids = list({product.id for product, _slot in rows})
    stocked = await session.scalars(select(Product.id).where(Product.id.in_(ids), in_stock_clause()))
    return Featured(
        [shelf for shelf in shelves.values() if shelf.products],
        await ProductService(session=session).primary_images(ids),
        dict.fromkeys(stocked.all(), True),
    )


@dataclass
class ProductPage:
    product: Product
    breadcrumb: list[Category]
    variant: ProductVariant | None
    chosen: set[UUID]
    options: list[Facet]
    in_stock: bool

    @property
    def price(self) -> int:
        return max(0, self.product.price + (self.variant.price_adjustment if self.variant else 0))

    @property
    def images(self) -> list[ProductImage]:
        """The gallery, with the chosen variant's picture first."""
        images = list(self.product.images)
        if self.variant and self.variant.image_id:
            images.sort(key=lambda image: image.id != self.variant.image_id)  # type: ignore[union-attr]
        else:
            images.sort(key=lambda image: not image.is_primary)
        return images


def _choose(variants: list[ProductVariant], chosen: set[UUID]) -> ProductVariant | None:
    """The active variant whose values best match the visitor's choice (the first one by default)."""
    active = [v for v in variants if v.is_active]
    if not active:
        return None
    return max(active, key=lambda v: (len(chosen & {value.id for value in v.values}), -v.position))


async def product_page(session: AsyncSession, product: Product, chosen_ids: list[UUID]) -> ProductPage:
    full = await ProductService(session=session).full(product.id)
    assert full is not None
    everything = await categories(session)
    variant = _choose(list(full.variants), set(chosen_ids))
    options: dict[UUID, Facet] = {}
    attributes = {
        a.id: a
        for a in (
            await session.scalars(
                select(Attribute).where(
                    Attribute.id.in_({value.attribute_id for v in full.variants for value in v.values})
                )
            )
        ).all()
    }
    for v in full.variants:
        if not v.is_active:
            continue
        for value in v.values:
            facet = options.setdefault(value.attribute_id, Facet(attributes[value.attribute_id], []))
            if value not in facet.values:
                facet.values.append(value)
    ordered = sorted(options.values(), key=lambda f: (f.attribute.position, f.attribute.name))
    for facet in ordered:
        facet.values.sort(key=lambda value: value.position)
    stocked = (
        (not full.track_stock or variant.stock > 0) if variant else is_in_stock(full, list(full.variants))
    )
    return ProductPage(
        product=full,
        breadcrumb=trail(everything, full.category_id),
        variant=variant,
        chosen={value.id for value in variant.values} if variant else set(),
        options=ordered,
        in_stock=stocked,
    )


def chosen_values(params: Any) -> list[UUID]:
    """Attribute value ids from ``v`` (listing filters, several) and ``v-<attribute>`` (the product
    page's picker: one radio group per attribute, so each needs its own name)."""
    out: list[UUID] = []
    for key in [k for k in params.keys() if k == "v" or k.startswith("v-")][:20]:
        for raw in _many(params, key):
            try:
                out.append(UUID(raw))
            except ValueError:
                continue
    return out


async def product_by_slug(session: AsyncSession, slug: str) -> tuple[Product | None, str | None]:
    """A visible product, or the new slug of a moved one (the view answers 301)."""
    product, moved = await ProductService(session=session).by_slug(slug)
    if product is not None and product.status != "active":
        return None, None
    return product, moved


def product_jsonld(page: ProductPage, url: str, business: Any) -> dict[str, Any]:
    """schema.org Product with its Offer and, when rated, AggregateRating (search engines' rich results)."""
    from verso.lib.money import to_decimal_text
    from verso.lib.storage import url_for_file

    product = page.product
    origin = url.split("/shop/")[0]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "url": url,
        "offers": {
            "@type": "Offer",
            "price": to_decimal_text(page.price, business.currency),
            "priceCurrency": business.currency,
            "availability": "https://schema.org/" + ("InStock" if page.in_stock else "OutOfStock"),
            "url": url,
        },
    }
    if product.sku:
        data["sku"] = product.sku
    if product.seo_description or product.description:
        data["description"] = (product.seo_description or product.description)[:500]
    if page.images:
        data["image"] = [origin + url_for_file(image.digest, "full") for image in page.images[:5]]
    if product.rating is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": product.rating,
            "reviewCount": product.rating_count,
        }
    return data
