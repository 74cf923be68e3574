"""The storefront page cache: anonymous visitors share rendered pages, and nothing stale or personal
ever comes out of it (a catalogue change shows on the next request, signed-in people and flash
messages bypass it, each visitor gets their own CSRF token)."""

from __future__ import annotations

import re

from litestar.middleware.csrf import generate_csrf_token

from tests.factories import PASSWORD, make_user, sign_in
from tests.shop.helpers import ACTOR, make_product
from verso.domains.shop.services import ProductService
from verso.lib import flash
from verso.settings import get_settings

TOKEN_IN_PAGE = re.compile(r'"x-csrftoken": "([0-9a-f]{128})"')


async def test_second_anonymous_visit_is_served_from_the_cache(client, admin, db_session) -> None:
    await make_product(db_session, "Cached mug", price=1250)
    first = await client.get("/shop/p/cached-mug")
    second = await client.get("/shop/p/cached-mug")
    assert first.status_code == second.status_code == 200
    assert first.headers.get("x-cache") is None and second.headers.get("x-cache") == "hit"
    assert "Cached mug" in second.text and "€12.50" in second.text
    # The page carries this visitor's token, the one in their cookie: their forms keep working.
    assert TOKEN_IN_PAGE.search(second.text).group(1) == client.cookies["verso_csrf"]


async def test_a_visitor_without_a_cookie_gets_a_token_of_their_own(client, app, admin, db_session) -> None:
    from litestar.testing import AsyncTestClient

    await make_product(db_session, "Cached mug")
    await client.get("/shop/p/cached-mug")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as stranger:
        page = await stranger.get("/shop/p/cached-mug")
        assert page.headers.get("x-cache") == "hit"
        token = stranger.cookies["verso_csrf"]
        assert token != client.cookies["verso_csrf"]
        assert TOKEN_IN_PAGE.search(page.text).group(1) == token


async def test_a_catalogue_change_shows_on_the_next_request(client, admin, db_session) -> None:
    product = await make_product(db_session, "Cached mug", price=1250)
    await client.get("/shop/p/cached-mug")
    assert (await client.get("/shop/p/cached-mug")).headers.get("x-cache") == "hit"

    service = ProductService(session=db_session)
    full = await service.full(product.id)
    from verso.domains.shop.services import ProductInput, input_from

    await service.update_product(full, ProductInput(**{**input_from(full), "price": 990}), actor=ACTOR)
    await db_session.commit()
    page = await client.get("/shop/p/cached-mug")
    assert page.headers.get("x-cache") is None and "€9.90" in page.text and "€12.50" not in page.text
    listing = await client.get("/shop")
    assert "€9.90" in listing.text


async def test_signed_in_customers_never_get_a_shared_page(client, admin, db_session) -> None:
    await make_product(db_session, "Cached mug")
    await client.get("/shop/p/cached-mug")  # cached for anonymous visitors
    await make_user("shopper@example.com", ["user"])
    await sign_in(client, "shopper@example.com", PASSWORD)
    for _ in range(2):
        page = await client.get("/shop/p/cached-mug")
        assert page.headers.get("x-cache") is None
        assert "/logout" in page.text or "My account" in page.text


async def test_flash_messages_and_forged_tokens_bypass_the_cache(client, admin, db_session) -> None:
    await make_product(db_session, "Cached mug")
    await client.get("/shop/p/cached-mug")
    secret = get_settings().secret_key
    client.cookies.set(flash.COOKIE, flash.flash_cookie(secret, "Saved.", "success").value)
    with_flash = await client.get("/shop/p/cached-mug")
    assert with_flash.headers.get("x-cache") is None and "Saved." in with_flash.text
    client.cookies.delete(flash.COOKIE)

    client.cookies.set("verso_csrf", "not-a-token")
    forged = await client.get("/shop/p/cached-mug")
    assert forged.headers.get("x-cache") is None
    client.cookies.set("verso_csrf", generate_csrf_token(secret))
    assert (await client.get("/shop/p/cached-mug")).headers.get("x-cache") == "hit"


async def test_page_and_fragment_are_cached_apart(client, admin, db_session) -> None:
    await make_product(db_session, "Cached mug")
    full = await client.get("/shop/p/cached-mug")
    fragment = await client.get("/shop/p/cached-mug", headers={"HX-Request": "true"})
    again = await client.get("/shop/p/cached-mug", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text
    assert again.headers.get("x-cache") == "hit" and again.text == fragment.text
