"""Recently viewed products: a signed cookie per visitor (junk and tampering ignored), recorded by the
fragment the product page loads, listed without the current product, active products only, in two
queries; the product page itself stays the same for every anonymous visitor."""

from __future__ import annotations

import re
from uuid import uuid4

from sqlalchemy import event

from tests.shop.helpers import make_product
from verso.domains.shop.services import _recent as recent
from verso.lib.db import get_engine

HTMX = {"HX-Request": "true"}


def _remembered(client, ids: list) -> None:
    """Give the visitor a recently-viewed cookie (replacing the one the app set)."""
    client.cookies.delete(recent.COOKIE)
    client.cookies.set(recent.COOKIE, recent.encode(ids))


def test_cookie_is_signed_capped_and_forgiving() -> None:
    ids = [uuid4() for _ in range(15)]
    value = recent.encode(ids)
    assert recent.decode(value) == ids[: recent.KEEP]
    body, _, signature = value.rpartition("~")
    assert recent.decode(f"{ids[14].hex}.{body}~{signature}") == []  # an id planted by hand
    assert recent.decode("junk") == [] and recent.decode(None) == [] and recent.decode("x" * 5000) == []
    with_junk = "not-an-id." + ids[0].hex + "." + ids[0].hex
    assert recent.decode(f"{with_junk}~{recent._signature(with_junk)}") == [ids[0]]
    assert recent.remember(ids[:3], ids[2]) == [ids[2], ids[0], ids[1]]
    assert len(recent.remember(ids[:12], ids[13])) == 12


async def test_the_fragment_records_views_and_lists_the_others(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug")
    pot = await make_product(db_session, "Tea pot")
    hidden = await make_product(db_session, "Secret", status="draft")
    first = await client.get(f"/shop/recently-viewed?exclude={mug.id}", headers=HTMX)
    assert first.status_code == 200 and "<html" not in first.text and "Blue mug" not in first.text
    assert first.headers["cache-control"] == "private, no-store"
    assert recent.decode(client.cookies.get(recent.COOKIE)) == [mug.id]
    second = await client.get(f"/shop/recently-viewed?exclude={pot.id}", headers=HTMX)
    assert "Recently viewed" in second.text and "Blue mug" in second.text and "Tea pot" not in second.text
    assert 'href="/shop/p/blue-mug"' in second.text
    assert recent.decode(client.cookies.get(recent.COOKIE)) == [pot.id, mug.id]
    # A draft or unknown product is neither shown nor remembered; junk is ignored.
    for junk in (hidden.id, uuid4(), "not-an-id"):
        response = await client.get(f"/shop/recently-viewed?exclude={junk}", headers=HTMX)
        assert response.status_code == 200 and "set-cookie" not in response.headers
    assert recent.decode(client.cookies.get(recent.COOKIE)) == [pot.id, mug.id]
    page = await client.get("/shop/recently-viewed")
    assert "<html" in page.text and "Tea pot" in page.text and "Blue mug" in page.text
    # A product taken off sale drops out of the list.
    _remembered(client, [hidden.id, mug.id])
    listed = await client.get(f"/shop/recently-viewed?exclude={pot.id}", headers=HTMX)
    assert "Secret" not in listed.text and "Blue mug" in listed.text


async def test_a_forged_cookie_is_ignored(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug")
    client.cookies.set(recent.COOKIE, f"{mug.id.hex}~{'0' * 32}")
    response = await client.get("/shop/recently-viewed", headers=HTMX)
    assert response.status_code == 200 and "Blue mug" not in response.text


async def test_the_product_page_is_the_same_for_every_anonymous_visitor(
    client, app, admin, db_session
) -> None:
    from litestar.testing import AsyncTestClient

    mug = await make_product(db_session, "Blue mug")
    pot = await make_product(db_session, "Tea pot")
    await client.get(f"/shop/recently-viewed?exclude={pot.id}", headers=HTMX)
    page = await client.get("/shop/p/blue-mug")
    assert (
        f'hx-get="/shop/recently-viewed?exclude={mug.id}"' in page.text and 'hx-trigger="load"' in page.text
    )
    assert recent.COOKIE not in page.headers.get("set-cookie", "")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as stranger:
        other = await stranger.get("/shop/p/blue-mug")

    def without_tokens(html: str) -> str:
        return re.sub(r'("x-csrftoken": "|name="_csrf_token" value=")[^"]+', r"\1", html)

    assert without_tokens(page.text) == without_tokens(other.text)
    assert "Tea pot" not in page.text


async def test_two_queries_whatever_the_list(client, admin, db_session) -> None:
    products = [await make_product(db_session, f"Thing {i}") for i in range(13)]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def queries(ids: list) -> int:
        _remembered(client, ids)
        await client.get("/shop/recently-viewed", headers=HTMX)  # warm the per-process caches
        statements.clear()
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        try:
            response = await client.get(f"/shop/recently-viewed?exclude={products[-1].id}", headers=HTMX)
        finally:
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
        assert response.text.count('class="product-card"') == len(ids)
        return len(statements)

    few = await queries([p.id for p in products[:2]])
    assert await queries([p.id for p in products[:12]]) == few
