"""Public product search, and the sitemap and robots.txt for search engines.

``/shop/search`` is a plain GET form (works without JavaScript); with htmx, typing updates the
results after a pause and the newest request replaces any in flight. Anonymous result pages are
cached per catalogue version like the other shop pages, in a cache of their own. ``/sitemap.xml``
and ``/robots.txt`` belong to the whole site, so they answer with the shop module off too (the
sitemap then lists only the home page); neither sets a cookie, so shared caches may keep them.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop.cache import search_cache
from verso.domains.shop.services import SearchQuery, search_products, sitemap_xml
from verso.domains.shop.views._store import PUBLIC_SHOP
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


@get("/shop/search", permission=PUBLIC, middleware=[search_cache.middleware], **PUBLIC_SHOP)
async def shop_search(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    results = await search_products(db_session, SearchQuery.from_params(request.query_params))
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
