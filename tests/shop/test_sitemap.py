"""/sitemap.xml and /robots.txt: what search engines are told (and not told), with absolute URLs,
correct content types, no cookies, and a sitemap that follows the catalogue version."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

from sqlalchemy import update

from tests.shop.helpers import make_product
from verso.domains.ops.models import BusinessSettings
from verso.domains.ops.services import SETTINGS_ID, business_cache
from verso.domains.shop.models import Category, Collection
from verso.lib import clock

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
BASE = "http://testserver.local"


def _urls(body: bytes) -> dict[str, str | None]:
    root = ElementTree.fromstring(body)  # noqa: S314  (our own output)
    return {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in root.findall("s:url", NS)
    }


async def test_sitemap_lists_the_public_shop(client, admin, db_session) -> None:
    category = Category(name="Kitchen", slug="kitchen")
    now = clock.utcnow()
    db_session.add_all(
        [
            category,
            Collection(name="Summer", slug="summer"),
            Collection(name="Later", slug="later", starts_at=now + timedelta(days=3)),
            Collection(name="Gone", slug="gone", ends_at=now - timedelta(days=1)),
        ]
    )
    await db_session.commit()
    await make_product(db_session, "Blue mug", category_id=category.id)
    await make_product(db_session, "Secret mug", status="draft")
    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert "set-cookie" not in response.headers
    urls = _urls(response.content)
    assert set(urls) == {
        f"{BASE}/",
        f"{BASE}/shop",
        f"{BASE}/shop/c/kitchen",
        f"{BASE}/shop/collections/summer",
        f"{BASE}/shop/p/blue-mug",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", urls[f"{BASE}/shop/p/blue-mug"] or "")
    # Cached per catalogue version: a new product shows on the next request.
    await make_product(db_session, "Green mug")
    assert f"{BASE}/shop/p/green-mug" in _urls((await client.get("/sitemap.xml")).content)
    # A collection's window opening is a change of the clock, not of the catalogue.
    clock.freeze(now + timedelta(days=4))
    assert f"{BASE}/shop/collections/later" in _urls((await client.get("/sitemap.xml")).content)
    assert (await client.get("/sitemap.xml?page=2")).status_code == 404


async def test_large_sitemaps_become_an_index(client, admin, db_session, monkeypatch) -> None:
    from verso.domains.shop.services import _sitemap

    monkeypatch.setattr(_sitemap, "MAX_URLS", 2)
    for name in ("A mug", "B mug", "C mug"):
        await make_product(db_session, name)
    index = ElementTree.fromstring((await client.get("/sitemap.xml")).content)  # noqa: S314
    locations = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert locations == [f"{BASE}/sitemap.xml?page={n}" for n in (1, 2, 3)]
    pages = [_urls((await client.get(f"/sitemap.xml?page={n}")).content) for n in (1, 2, 3)]
    assert sum(len(page) for page in pages) == 5 and f"{BASE}/shop/p/c-mug" in pages[2]


async def test_without_the_shop_only_the_home_page_is_listed(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    await db_session.execute(
        update(BusinessSettings).where(BusinessSettings.id == SETTINGS_ID).values(enabled_modules=[])
    )
    await db_session.commit()
    await business_cache.load(db_session)
    assert set(_urls((await client.get("/sitemap.xml")).content)) == {f"{BASE}/"}
    assert (await client.get("/robots.txt")).status_code == 200
    assert 'action="/shop/search"' not in (await client.get("/login")).text  # no search box either


async def test_robots_txt(client, admin) -> None:
    response = await client.get("/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "set-cookie" not in response.headers
    lines = response.text.splitlines()
    assert lines[:2] == ["User-agent: *", "Allow: /"]
    for private in ("/admin", "/account", "/api/", "/login", "/register", "/checkout", "/shop/search"):
        assert f"Disallow: {private}" in lines
    assert not any(line in ("Disallow: /", "Disallow: /shop") for line in lines)
    assert lines[-1] == f"Sitemap: {BASE}/sitemap.xml"
