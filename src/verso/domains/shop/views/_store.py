"""The public shop: listings (all products, a category) and the product page. Plain links and GET
forms carry every choice, so the shop works without JavaScript; htmx swaps only the part that changed."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_301_MOVED_PERMANENTLY

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop import storefront
from verso.lib.db import DbSession
from verso.lib.htmx import render
from verso.settings import get_settings

PUBLIC_SHOP = {"module": "shop", "setup_gate": True}


def crumbs(trail: list[Any], last: str | None = None) -> list[tuple[str, str | None]]:
    """Breadcrumb items: Shop, then each category of ``trail``, then ``last`` (a product) if given."""
    items: list[tuple[str, str | None]] = [("Shop", "/shop")]
    items += [(c.name, f"/shop/c/{c.slug}") for c in trail]
    return [*items, (last, None)] if last else items


def _canonical(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


async def _listing_page(
    request: Request[Any, Any, Any], db_session: DbSession, base_url: str, context: dict[str, Any]
) -> Any:
    query = storefront.ListingQuery.from_params(request.query_params, business_cache.current().currency)
    listing = await storefront.list_products(
        db_session, query, base_url=base_url, category_ids=context.get("category_ids")
    )
    return render(
        request,
        "shop/store/listing.html",
        {**context, "listing": listing, "sorts": storefront.SORTS, "canonical": _canonical(base_url)},
        block="results",
        push_url=listing.url(),
    )


@get("/shop", permission=PUBLIC, **PUBLIC_SHOP)
async def shop_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _listing_page(request, db_session, "/shop", {"title": "Shop", "crumbs": []})


@get("/shop/c/{category:str}", permission=PUBLIC, **PUBLIC_SHOP)
async def shop_category(
    request: Request[Any, Any, Any], db_session: DbSession, category: FromPath[str]
) -> Any:
    scope = await storefront.category_scope(db_session, category)
    if scope is None:
        raise NotFoundException("No such category.")
    found, breadcrumb, ids = scope
    context = {
        "title": found.seo_title or found.name,
        "heading": found.name,
        "description": found.seo_description or found.description,
        "category": found,
        "crumbs": crumbs(breadcrumb),
        "category_ids": ids,
    }
    return await _listing_page(request, db_session, f"/shop/c/{found.slug}", context)


@get("/shop/p/{product:str}", permission=PUBLIC, **PUBLIC_SHOP)
async def shop_product(request: Request[Any, Any, Any], db_session: DbSession, product: FromPath[str]) -> Any:
    found, moved = await storefront.product_by_slug(db_session, product)
    if moved is not None:
        query = request.url.query
        return Redirect(
            f"/shop/p/{moved}" + (f"?{query}" if query else ""), status_code=HTTP_301_MOVED_PERMANENTLY
        )
    if found is None:
        raise NotFoundException("No such product.")
    page = await storefront.product_page(db_session, found, storefront.chosen_values(request.query_params))
    return render(
        request,
        "shop/store/product.html",
        {
            "page": page,
            "product": page.product,
            "crumbs": crumbs(page.breadcrumb, page.product.name),
            "canonical": _canonical(f"/shop/p/{found.slug}"),
            "jsonld": storefront.product_jsonld(
                page, _canonical(f"/shop/p/{found.slug}"), business_cache.current()
            ),
        },
        block="buy_box",
    )


routes = [shop_index, shop_category, shop_product]
