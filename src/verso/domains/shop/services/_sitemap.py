"""The sitemap: every public shop address a search engine should know, with when it last changed.

Three queries (active products, categories, live collections) build it; the XML is then kept per
process for the catalogue version it was built at (and, since collections open and close by date,
at most until the next such date), so a request usually costs one version read. Past
``MAX_URLS`` addresses (the sitemap protocol's limit) ``/sitemap.xml`` becomes an index of pages
``/sitemap.xml?page=N``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Category, Collection, Product
from verso.domains.shop.services._collections import is_live
from verso.domains.shop.services._version import current_version
from verso.lib import clock
from verso.lib.caches import on_reset

MAX_URLS = 50_000
_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class SitemapUrl:
    path: str
    lastmod: datetime | None = None


@dataclass(frozen=True)
class _Built:
    pages: list[bytes]  # one urlset per page; with several, the index is served first
    index: bytes | None
    expires: datetime | None


def _lastmod(moment: datetime | None) -> str:
    return (
        f"<lastmod>{clock.as_utc(moment).astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S+00:00')}</lastmod>"
        if moment
        else ""
    )


def _urlset(base: str, urls: list[SitemapUrl]) -> bytes:
    entries = "".join(
        f"<url><loc>{escape(base + url.path)}</loc>{_lastmod(url.lastmod)}</url>\n" for url in urls
    )
    return f'{_PROLOG}<urlset xmlns="{_XMLNS}">\n{entries}</urlset>\n'.encode()


def _index(base: str, pages: int) -> bytes:
    entries = "".join(
        f"<sitemap><loc>{escape(f'{base}/sitemap.xml?page={page}')}</loc></sitemap>\n"
        for page in range(1, pages + 1)
    )
    return f'{_PROLOG}<sitemapindex xmlns="{_XMLNS}">\n{entries}</sitemapindex>\n'.encode()


async def shop_urls(session: AsyncSession, now: datetime) -> tuple[list[SitemapUrl], datetime | None]:
    """The shop's public addresses, and the next moment a collection opens or closes (or ``None``)."""
    urls = [SitemapUrl("/shop")]
    categories = await session.execute(
        select(Category.slug, Category.updated_at).order_by(Category.position, Category.name)
    )
    urls += [SitemapUrl(f"/shop/c/{slug}", changed) for slug, changed in categories]
    boundaries: list[datetime] = []
    for collection in (
        await session.scalars(select(Collection).order_by(Collection.position, Collection.name))
    ).all():
        if is_live(collection, now):
            urls.append(SitemapUrl(f"/shop/collections/{collection.slug}", collection.updated_at))
        boundaries += [
            moment
            for moment in (collection.starts_at, collection.ends_at)
            if moment is not None and clock.as_utc(moment) > now
        ]
    products = await session.execute(
        select(Product.slug, Product.updated_at)
        .where(Product.status == "active")
        .order_by(Product.created_at, Product.id)
    )
    urls += [SitemapUrl(f"/shop/p/{slug}", changed) for slug, changed in products]
    return urls, min((clock.as_utc(b) for b in boundaries), default=None)


_cache: dict[tuple[int, str, bool], _Built] = {}


@on_reset
def _forget() -> None:
    _cache.clear()


async def sitemap_xml(session: AsyncSession, base_url: str, *, shop: bool, page: int | None) -> bytes | None:
    """The sitemap (or its index, or index page ``page``) for ``base_url``; ``None`` for a page that
    does not exist. ``shop`` is whether the shop module is on (else only the home page is listed)."""
    base = base_url.rstrip("/")
    now = clock.utcnow()
    key = (await current_version(), base, shop)
    built = _cache.get(key)
    if built is None or (built.expires is not None and built.expires <= now):
        urls, expires = await shop_urls(session, now) if shop else ([], None)
        urls = [SitemapUrl("/"), *urls]
        chunks = [urls[i : i + MAX_URLS] for i in range(0, len(urls), MAX_URLS)]
        pages = [_urlset(base, chunk) for chunk in chunks]
        built = _Built(pages, _index(base, len(pages)) if len(pages) > 1 else None, expires)
        _cache.clear()  # one catalogue version at a time is all anyone asks for
        _cache[key] = built
    if page is None:
        return built.index or built.pages[0]
    return built.pages[page - 1] if 1 <= page <= len(built.pages) else None
