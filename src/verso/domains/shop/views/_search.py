"""Public product search, and the sitemap and robots.txt for search engines.

``/shop/search`` is a plain GET form (works without JavaScript); with htmx, typing updates the
results after a pause and the newest request replaces any in flight. Anonymous result pages are
cached per catalogue version like the other shop pages, in a cache of their own; a page that is not
(a new query) joins result cards rendered before: each product's card, but for its marked name and
excerpt, is kept per catalogue version, so only products not shown since the last change are read
and rendered. ``/sitemap.xml``
and ``/robots.txt`` belong to the whole site, so they answer with the shop module off too (the
sitemap then lists only the home page); neither sets a cookie, so shared caches may keep them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from jinja2 import Environment
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from markupsafe import Markup

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop.cache import search_cache
from verso.domains.shop.services import SearchQuery, current_version, search_products, sitemap_xml
from verso.domains.shop.services._search import PER_PAGE, Hit, load_cards
from verso.domains.shop.views._store import PUBLIC_SHOP
from verso.lib.caches import VersionedLRU
from verso.lib.db import DbSession
from verso.lib.htmx import render
from verso.lib.modules import is_enabled
from verso.settings import get_settings

# Paths that are nobody's business but the signed-in person's (or are internal search results).
PRIVATE_PATHS = (
    "/admin",
    "/account",
    "/api/",
    "/login",
    "/logout",
    "/register",
    "/password/",
    "/verify/",
    "/invite/",
    "/mfa",
    "/setup",
    "/cart",
    "/checkout",
    "/orders/",
    "/webhooks/",
    "/t/",
    "/health",
    "/metrics",
    "/shop/search",
)
SITE_FILE = {"permission": PUBLIC, "module": None, "exclude_from_csrf": True}


CARD_TEMPLATE = "shop/store/_card.html"


@dataclass(frozen=True, slots=True)
class RenderedCard:
    """A result card rendered once (see ``product_card`` in the card template): everything but the
    search's marked name and excerpt."""

    name: str
    card_head: Markup
    card_tail: Markup


# Keyed by product and business settings (prices show in its currency and locale).
_cards: VersionedLRU[tuple[UUID, Hashable], RenderedCard] = VersionedLRU(max_entries=PER_PAGE * 500)


async def _with_cards(env: Environment, db_session: DbSession, hits: list[Hit], version: int) -> list[Hit]:
    """``hits`` with their cards: kept ones joined, the others read in one query and rendered once."""
    business = business_cache.current()
    missing = []
    for hit in hits:
        hit.product = _cards.get((hit.product_id, business), version)
        if hit.product is None:
            missing.append(hit)
    if not missing:
        return hits
    await load_cards(db_session, missing)
    card = env.get_template(CARD_TEMPLATE).module
    for hit in missing:
        if hit.product is not None:
            rendered = RenderedCard(
                hit.product.name,
                card.card_head(hit.product, hit.image),  # type: ignore[attr-defined]
                card.card_tail(hit.product, hit.in_stock),  # type: ignore[attr-defined]
            )
            _cards.put((hit.product_id, business), version, rendered)
            hit.product = rendered
    return [hit for hit in hits if hit.product is not None]  # a product deleted meanwhile drops out


@get("/shop/search", permission=PUBLIC, middleware=[search_cache.middleware], **PUBLIC_SHOP)
async def shop_search(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    version = await current_version()  # read first: a card kept under it is never older than it
    results = await search_products(db_session, SearchQuery.from_params(request.query_params))
    env: Environment = request.app.template_engine.engine  # type: ignore[union-attr]
    results.hits = await _with_cards(env, db_session, results.hits, version)
    return render(
        request,
        "shop/store/search.html",
        {"results": results},
        block="results",
        push_url=results.url(results.query.page) if not results.query.is_empty else "/shop/search",
    )


@get("/sitemap.xml", **SITE_FILE)
async def sitemap(db_session: DbSession, page: FromQuery[int | None] = None) -> Response[bytes]:
    shop = is_enabled("shop", (await business_cache.refresh_if_stale()).enabled_modules)
    body = await sitemap_xml(db_session, get_settings().base_url, shop=shop, page=page)
    if body is None:
        raise NotFoundException("No such sitemap page.")
    return Response(
        body, media_type="application/xml; charset=utf-8", headers={"Cache-Control": "public, max-age=600"}
    )


@get("/robots.txt", **SITE_FILE)
async def robots() -> Response[str]:
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in PRIVATE_PATHS)]
    lines += ["", f"Sitemap: {get_settings().base_url.rstrip('/')}/sitemap.xml"]
    return Response(
        "\n".join(lines) + "\n",
        media_type="text/plain",  # Litestar adds "; charset=utf-8"
        headers={"Cache-Control": "public, max-age=3600"},
    )


routes = [shop_search, sitemap, robots]
