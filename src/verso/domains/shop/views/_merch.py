"""Merchandising: the staff screens (collections, bundles, related products: one module each) and
their public face: collection pages, bundle pages and the home page's featured collections."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.shop import storefront
from verso.domains.shop.services import CollectionService, bundle_offer
from verso.domains.shop.views import _bundles, _collections, _related
from verso.domains.shop.views._store import CACHED_SHOP, _canonical, _listing_page, crumbs
from verso.lib.db import DbSession
from verso.lib.home import HomeSection, register_home_section
from verso.lib.htmx import render


@get("/shop/collections/{collection:str}", permission=PUBLIC, **CACHED_SHOP)
async def shop_collection(
    request: Request[Any, Any, Any], db_session: DbSession, collection: FromPath[str]
) -> Any:
    """A collection as a shop listing (filters, sort, pages); not found outside its date window."""
    found = await CollectionService(session=db_session).live_by_slug(collection)
    if found is None:
        raise NotFoundException("No such collection.")
    context = {
        "title": found.seo_title or found.name,
        "heading": found.name,
        "description": found.seo_description or found.description,
        "category": found,  # the listing shows the description of what it lists as its lead
        "crumbs": crumbs([], found.name),
    }
    base = f"/shop/collections/{found.slug}"
    return await _listing_page(request, db_session, base, context, storefront.collection_scope(found))


def _chosen(params: Any) -> set[UUID] | None:
    """The optional items the visitor ticked (``chosen=1`` marks a submitted choice, so ticking
    none differs from not choosing yet); ``None`` means the bundle's defaults."""
    if params.get("chosen") != "1":
        return None
    picked: set[UUID] = set()
    for raw in params.getall("item", [])[:50]:
        try:
            picked.add(UUID(raw))
        except ValueError:
            continue
    return picked


@get("/shop/bundles/{bundle:str}", permission=PUBLIC, **CACHED_SHOP)
async def shop_bundle(request: Request[Any, Any, Any], db_session: DbSession, bundle: FromPath[str]) -> Any:
    """A bundle's items with its optional ones as checkboxes; the GET form reprices the choice."""
    offer = await bundle_offer(db_session, bundle, _chosen(request.query_params))
    if offer is None:
        raise NotFoundException("No such bundle.")
    return render(
        request,
        "shop/store/bundle.html",
        {"offer": offer, "canonical": _canonical(f"/shop/bundles/{offer.bundle.slug}")},
        block="summary",
    )


async def featured_section(session: AsyncSession) -> Sequence[HomeSection]:
    """The home page's featured collections (lib.home provider)."""
    featured = await storefront.featured_collections(session)
    return [HomeSection("shop/store/_featured.html", {"featured": featured})] if featured.shelves else []


register_home_section("shop.featured_collections", featured_section, module="shop", order=10)

routes = [
    *_collections.routes,
    *_bundles.routes,
    *_related.routes,
    shop_collection,
    shop_bundle,
]
