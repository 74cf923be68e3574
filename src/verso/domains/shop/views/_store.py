"""The public shop: listings (all products, a category) and the product page. Plain links and GET
forms carry every choice, so the shop works without JavaScript; htmx swaps only the part that changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

from jinja2 import Environment
from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY
from markupsafe import Markup, escape
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop import storefront
from verso.domains.shop.cache import storefront_cache
from verso.domains.shop.models import Product
from verso.domains.shop.services import (
    ReviewSection,
    ReviewService,
    bundle_offers_for,
    current_version,
    related_products,
    visitor_state,
)
from verso.lib.caches import VersionedLRU
from verso.lib.db import DbSession, session_factory
from verso.lib.htmx import render, wants_fragment
from verso.lib.personal import Skeleton, render_personal
from verso.settings import get_settings

PUBLIC_SHOP = {"module": "shop", "setup_gate": True}
# Pages anonymous visitors share: served from the storefront cache (see verso.lib.pagecache).
CACHED_SHOP = {**PUBLIC_SHOP, "middleware": [storefront_cache.middleware]}


def crumbs(trail: list[Any], last: str | None = None) -> list[tuple[str, str | None]]:
    """Breadcrumb items: Shop, then each category of ``trail``, then ``last`` (a product) if given."""
    items: list[tuple[str, str | None]] = [("Shop", "/shop")]
    items += [(c.name, f"/shop/c/{c.slug}") for c in trail]
    return [*items, (last, None)] if last else items


def _canonical(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


async def _listing_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    base_url: str,
    context: dict[str, Any],
    scope: storefront.ListingScope | None = None,
) -> Any:
    scope = scope or storefront.ListingScope()
    query = storefront.ListingQuery.from_params(
        request.query_params, business_cache.current().currency, scope.sorts, scope.default_sort
    )
    listing = await storefront.list_products(db_session, query, base_url=base_url, scope=scope)
    return render(
        request,
        "shop/store/listing.html",
        {**context, "listing": listing, "sorts": scope.sorts, "canonical": _canonical(base_url)},
        block="results",
        push_url=listing.url(),
    )


@get("/shop", permission=PUBLIC, **CACHED_SHOP)
async def shop_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _listing_page(request, db_session, "/shop", {"title": "Shop", "crumbs": []})


@get("/shop/c/{category:str}", permission=PUBLIC, **CACHED_SHOP)
async def shop_category(
    request: Request[Any, Any, Any], db_session: DbSession, category: FromPath[str]
) -> Any:
    scope = await storefront.category_scope(db_session, category)
    if scope is None:
        raise NotFoundException("No such category.")
    found, breadcrumb, products = scope
    context = {
        "title": found.seo_title or found.name,
        "heading": found.name,
        "description": found.seo_description or found.description,
        "category": found,
        "crumbs": crumbs(breadcrumb),
    }
    return await _listing_page(request, db_session, f"/shop/c/{found.slug}", context, products)


@dataclass(frozen=True, slots=True)
class _SharedProduct:
    """What the product page shows every visitor alike (the product, the chosen variant, related
    products, bundles, the first page of reviews): built once per catalogue version, so signed-in
    customers, whose pages are never shared whole, skip those queries too."""

    version: int
    product: Product | None
    moved: str | None = None
    page: storefront.ProductPage | None = None
    related: Any = None
    bundles: Any = None
    reviews: ReviewSection | None = None


_shared_products: VersionedLRU[tuple[Any, ...], _SharedProduct] = VersionedLRU(max_entries=2048)
# The signed-in product page, cut at its personal parts (see verso.lib.personal).
_product_skeletons: VersionedLRU[Any, Skeleton] = VersionedLRU(max_entries=2048)


async def _shared_product(slug: str, chosen: list[UUID], full_page: bool) -> _SharedProduct:
    """From the cache, or read in a session of its own (most requests need no session at all)."""
    version = await current_version()
    key = (slug, tuple(chosen), full_page)
    shared = _shared_products.get(key, version)
    if shared is None:
        async with session_factory()() as db_session:
            shared = await _read_shared_product(db_session, version, slug, chosen, full_page)
        _shared_products.put(key, version, shared)
    return shared


async def _read_shared_product(
    db_session: AsyncSession, version: int, slug: str, chosen: list[UUID], full_page: bool
) -> _SharedProduct:
    found, moved = await storefront.product_by_slug(db_session, slug)
    if found is None:
        return _SharedProduct(version, None, moved)
    page = await storefront.product_page(db_session, found, chosen)
    related = bundles = reviews = None
    if full_page:  # below the buy box: the variant picker's fragment needs none of them
        related = await related_products(db_session, found.id)
        bundles = await bundle_offers_for(db_session, found.id)
        reviews = await ReviewService(session=db_session).section(found.id, user_id=None)
    return _SharedProduct(version, found, None, page, related, bundles, reviews)


_AUTHOR_SLOT, _CSRF_SLOT = "\x00author\x00", "\x00csrf-input\x00"
_review_forms: VersionedLRU[tuple[str, str], str] = VersionedLRU(max_entries=2048)


@dataclass(frozen=True, slots=True)
class _NewReviewForm:
    """``new_review_form(label, display_name, csrf_input)`` for the reviews section: the "write a
    review" form is every customer's but for their name and CSRF token, so it renders once per
    product and catalogue version with slots for both (the generic form macros take ~0.25 ms), and
    each request only fills them in."""

    env: Environment
    shared: _SharedProduct

    def __call__(self, label: str, display_name: str, csrf_input: str) -> Markup:
        product, reviews = self.shared.product, self.shared.reviews
        assert product is not None and reviews is not None
        key = (product.slug, label)
        html = _review_forms.get(key, self.shared.version)
        if html is None:
            form = self.env.get_template("shop/store/_review_parts.html").module.review_form  # type: ignore[attr-defined]
            html = str(form(product, reviews.form(_AUTHOR_SLOT), label, Markup(_CSRF_SLOT)))  # noqa: S704
            _review_forms.put(key, self.shared.version, html)
        author = str(escape(reviews.form(display_name).values["author_name"]))
        return Markup(html.replace(_AUTHOR_SLOT, author).replace(_CSRF_SLOT, csrf_input.strip()))  # noqa: S704


def _product_context(shared: _SharedProduct) -> dict[str, Any]:
    page = shared.page
    assert page is not None
    url = _canonical(f"/shop/p/{page.product.slug}")
    return {
        "page": page,
        "product": page.product,
        "crumbs": crumbs(page.breadcrumb, page.product.name),
        "canonical": url,
        "jsonld": storefront.product_jsonld(page, url, business_cache.current()),
        "reviews": shared.reviews,
        "saved": False,
        "related": shared.related,
        "bundles": shared.bundles,
    }


@get("/shop/p/{product:str}", permission=PUBLIC, **CACHED_SHOP)
async def shop_product(request: Request[Any, Any, Any], product: FromPath[str]) -> Any:
    """The product page. Anonymous visitors share it whole (page cache); a signed-in customer gets
    the shared skeleton with their own wishlist button, review and votes filled in."""
    full_page = not wants_fragment(request)
    shared = await _shared_product(product, storefront.chosen_values(request.query_params), full_page)
    if shared.moved is not None:
        query = request.url.query
        return Redirect(
            f"/shop/p/{shared.moved}" + (f"?{query}" if query else ""), status_code=HTTP_301_MOVED_PERMANENTLY
        )
    if shared.product is None or shared.page is None:
        raise NotFoundException("No such product.")
    template = "shop/store/product.html"
    viewer = request.scope.get("user")
    if viewer is None:
        return render(request, template, _product_context(shared), block="buy_box")
    page, reviews = shared.page, shared.reviews
    state = await visitor_state(
        viewer.id,
        page.product.id,
        page.variant.id if page.variant else None,
        [review.id for review in reviews.reviews] if reviews else [],
    )
    mine = {
        "saved": state.saved,
        "reviews": replace(reviews, own=state.own_review, votes=state.votes) if reviews else None,
    }
    if reviews is not None and state.own_review is None:
        mine["new_review_form"] = _NewReviewForm(request.app.template_engine.engine, shared)  # type: ignore[union-attr]
    return render_personal(
        request,
        template,
        mine,
        shared=lambda: _product_context(shared),
        skeletons=_product_skeletons,
        key=(request.url.path, request.url.query, business_cache.current()),
        version=shared.version,
        block="buy_box",
    )


routes = [shop_index, shop_category, shop_product]
