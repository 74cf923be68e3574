"""The public shop over HTTP: listings with filters and sort in the URL, category pages, the product
page with the variant picker (full page and htmx fragment), 301 for a former slug, SEO data, and a
fixed number of queries per page."""

from __future__ import annotations

import json
import re

from sqlalchemy import event

from tests.shop.helpers import ACTOR, make_attribute, make_product
from verso.domains.shop.cache import storefront_cache
from verso.domains.shop.models import Category
from verso.domains.shop.services import ProductInput, ProductService, VariantService


async def test_listing_filters_sort_and_pages(client, admin, db_session) -> None:
    await make_product(db_session, "Cheap mug", price=500, stock=0)
    await make_product(db_session, "Dear mug", price=5000, stock=3)
    await make_product(db_session, "Hidden mug", price=700, status="draft")
    page = await client.get("/shop")
    assert page.status_code == 200 and "Cheap mug" in page.text and "Hidden mug" not in page.text
    assert "2 products" in page.text
    stocked = await client.get("/shop?stock=1")
    assert "Dear mug" in stocked.text and "Cheap mug" not in stocked.text
    priced = await client.get("/shop?min=10&max=100&sort=price_desc")
    assert "Dear mug" in priced.text and "Cheap mug" not in priced.text
    junk = await client.get("/shop?min=abc&page=999999999&sort=nonsense&v=not-a-uuid")
    assert junk.status_code == 200 and "2 products" in junk.text
    fragment = await client.get("/shop?sort=name", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="results"' in fragment.text
    assert fragment.text.index("Cheap mug") < fragment.text.index("Dear mug")


async def test_category_page_lists_its_subtree_with_breadcrumbs(client, admin, db_session) -> None:
    home = Category(name="Home", slug="home")
    db_session.add(home)
    await db_session.flush()
    kitchen = Category(name="Kitchen", slug="kitchen", parent_id=home.id)
    db_session.add(kitchen)
    await db_session.commit()
    await make_product(db_session, "Mug", category_id=kitchen.id)
    await make_product(db_session, "Lamp")
    page = await client.get("/shop/c/home")
    assert page.status_code == 200 and "Mug" in page.text and "Lamp" not in page.text
    kitchen_page = await client.get("/shop/c/kitchen")
    assert 'href="/shop/c/home"' in kitchen_page.text
    assert (await client.get("/shop/c/nowhere")).status_code == 404


async def test_product_page_variant_picker_and_seo(client, admin, db_session) -> None:
    product = await make_product(db_session, "Tee", price=2000, sku="TEE", description="Soft cotton.")
    size = await make_attribute(db_session, "Size", ["S", "XL"])
    variants = VariantService(session=db_session)
    await variants.set_axes(product, {size.id: [v.id for v in size.values]}, actor=ACTOR)
    await db_session.commit()
    rows = {v.name: v for v in await variants.get_many()}
    await variants.update_variant(rows["XL"], sku="TEE-XL", price_adjustment=250, stock=2, is_active=True,
                                  image_id=None, actor=ACTOR)  # fmt: skip
    await variants.update_variant(rows["S"], sku="TEE-S", price_adjustment=0, stock=0, is_active=True,
                                  image_id=None, actor=ACTOR)  # fmt: skip
    await db_session.commit()
    xl_value = next(v.id for v in size.values if v.value == "XL")
    page = await client.get(f"/shop/p/tee?v={xl_value}")
    assert page.status_code == 200
    assert "€22.50" in page.text and "Only 2 left" in page.text and "TEE-XL" in page.text
    assert '<link rel="canonical" href="http' in page.text
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S).group(1)
    )
    assert data["@type"] == "Product" and data["offers"]["price"] == "22.50"
    assert data["offers"]["priceCurrency"] == "EUR"
    small = await client.get(f"/shop/p/tee?v={next(v.id for v in size.values if v.value == 'S')}",
                             headers={"HX-Request": "true"})  # fmt: skip
    assert "<html" not in small.text and 'id="buy-box"' in small.text
    assert "€20.00" in small.text and "Out of stock" in small.text


async def test_former_slug_answers_301_and_drafts_404(client, admin, db_session) -> None:
    product = await make_product(db_session, "Mug")
    await ProductService(session=db_session).update_product(
        product, ProductInput(name="Mug", price=1250, slug="big-mug", status="active"), actor=ACTOR
    )
    await db_session.commit()
    moved = await client.get("/shop/p/mug", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/shop/p/big-mug"
    await make_product(db_session, "Secret", status="draft")
    assert (await client.get("/shop/p/secret")).status_code == 404


async def test_queries_per_listing_do_not_grow_with_the_catalogue(client, admin, db_session) -> None:
    from verso.lib.db import get_engine

    size = await make_attribute(db_session, "Size", ["S", "M"])

    async def add(n: int) -> None:
        for i in range(n):
            product = await make_product(db_session, f"P{i}-{n}")
            await VariantService(session=db_session).set_axes(
                product, {size.id: [v.id for v in size.values]}, actor=ACTOR
            )
        await db_session.commit()

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def queries(url: str) -> int:
        """The queries of a render: the page cache would answer a repeat visit with none."""
        storefront_cache.clear()
        statements.clear()
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        try:
            assert (await client.get(url)).status_code == 200
        finally:
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
        return len(statements)

    await add(2)
    await client.get("/shop")  # warm the per-process caches (business settings)
    small = await queries("/shop")
    await add(30)
    assert await queries("/shop") == small
    product_small = await queries("/shop/p/p0-2")
    assert await queries("/shop/p/p0-30") == product_small
