"""The signed-in product page: one shared skeleton per catalogue version (lib.personal), and each
customer's own parts (header, wishlist button, their review, their votes, the CSRF token) filled in
per request. Nobody sees another person's parts; a catalogue change shows on the next request."""

from __future__ import annotations

from html import unescape

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.shop.helpers import ACTOR, make_product
from verso.domains.shop.models import Product, Review
from verso.domains.shop.services import ReviewInput, ReviewService
from verso.domains.shop.services._version import catalog_changed
from verso.domains.shop.views import _store

URL = "/shop/p/blue-mug"


async def _reviewed_mug(db_session) -> tuple[Product, list]:
    product = await make_product(db_session, "Blue mug")
    people = [await make_user(f"r{i}@example.com", ["user"], email_verified=True) for i in range(2)]
    service = ReviewService(session=db_session)
    ids = []
    for i, person in enumerate(people):
        review, _ = await service.submit(
            product, person.id, ReviewInput(5, f"Title {i}", f"Review {i}: lovely mug.", f"R{i}")
        )
        ids.append(review.id)
    await service.set_status(ids, "approved", actor=ACTOR)
    await db_session.commit()
    return product, ids


async def _customer(client, email: str, **fields) -> object:
    user = await make_user(email, ["user"], email_verified=fields.pop("email_verified", True), **fields)
    await sign_in(client, email, PASSWORD)
    return user


def _votes(html: str, review_id) -> str:
    start = html.index(f'id="votes-{review_id}"')
    return html[start : html.index("</div>", start)]


async def test_each_customer_gets_their_own_parts_of_one_skeleton(app, client, admin, db_session) -> None:
    product, (first, second) = await _reviewed_mug(db_session)
    await _customer(client, "ann@example.com", first_name="Ann", last_name="Bell")
    await client.get(URL)
    await post_form(client, "/shop/wishlist", {"product_id": str(product.id), "variant_id": "", "back": URL})
    await post_form(client, f"/shop/reviews/{first}/vote", {"vote": "helpful"})
    await post_form(
        client,
        f"{URL}/reviews",
        {"rating": "4", "title": "Mine", "body": "Ann's own words about the mug.", "author_name": "Ann B."},
    )
    await client.get(URL)  # the page after the review carries its flash message (rendered whole)
    ann = unescape((await client.get(URL)).text)
    assert "Saved: remove from your wishlist" in ann
    assert "Ann's own words about the mug." in ann and "Waiting for approval" in ann
    assert 'aria-pressed="true"' in _votes(ann, first) and 'aria-pressed="true"' not in _votes(ann, second)
    assert "My account" in ann and "Staff area" not in ann
    assert client.cookies.get("verso_csrf") in ann

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as bob_client:
        await _customer(bob_client, "bob@example.com", first_name="Bob", last_name="Stone")
        bob = unescape((await bob_client.get(URL)).text)
    assert "Add to your wishlist" in bob and "Saved: remove" not in bob
    assert "Ann's own words" not in bob
    assert "Write a review" in bob and 'value="Bob Stone"' in bob
    assert 'aria-pressed="true"' not in bob
    assert bob_client.cookies.get("verso_csrf") in bob and client.cookies.get("verso_csrf") not in bob
    assert "Review 0: lovely mug." in bob and "Review 1: lovely mug." in bob
    assert len(_store._product_skeletons._entries) == 1  # both pages came from one skeleton


async def test_a_catalogue_change_shows_on_the_next_request(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug", price=1250)
    await _customer(client, "ann@example.com")
    assert "12.50" in (await client.get(URL)).text
    product = await db_session.scalar(select(Product).where(Product.slug == "blue-mug"))
    product.price = 1990
    catalog_changed(db_session)
    await db_session.commit()
    page = (await client.get(URL)).text
    assert "19.90" in page and "12.50" not in page


async def test_staff_and_unverified_people_get_their_own_header_and_banner(
    app, admin_client, db_session
) -> None:
    await make_product(db_session, "Blue mug")
    staff = (await admin_client.get(URL)).text
    assert "Staff area" in staff and "Please confirm your email address" not in staff
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await _customer(other, "new@example.com", email_verified=False)
        page = unescape((await other.get(URL)).text)
    assert "Staff area" not in page and "Please confirm your email address" in page
    assert "new@example.com" in page and "Verify your email address to write a review" in page


async def test_the_variant_pickers_fragment_is_personal_too(client, admin, db_session) -> None:
    product = await make_product(db_session, "Blue mug")
    await _customer(client, "ann@example.com")
    await client.get(URL)
    await post_form(client, "/shop/wishlist", {"product_id": str(product.id), "variant_id": "", "back": URL})
    fragment = await client.get(URL, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="buy-box"')
    assert "Saved: remove from your wishlist" in unescape(fragment.text) and "<footer" not in fragment.text
    assert (await db_session.scalar(select(Review))) is None


async def test_the_write_a_review_form_is_kept_but_filled_in_per_customer(
    app, client, admin, db_session
) -> None:
    """The empty review form is rendered once per product (lib.personal is not enough: it is a
    personal part); each customer still gets their own name and CSRF token in it."""
    await make_product(db_session, "Blue mug")
    _store._review_forms._entries.clear()
    await _customer(client, "ann@example.com", first_name="Ann", last_name="O'Bell")
    ann = (await client.get(URL)).text
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as bob_client:
        await _customer(bob_client, "bob@example.com", first_name="Bob", last_name="<Stone>")
        bob = (await bob_client.get(URL)).text
        bob_token = bob_client.cookies.get("verso_csrf")
    assert len(_store._review_forms._entries) == 1  # one render for both
    form = '<form method="post" action="/shop/p/blue-mug/reviews"'
    assert form in ann and form in bob and "\x00" not in ann + bob
    assert 'name="author_name"' in bob and 'value="Bob &lt;Stone&gt;"' in bob and "Ann" not in bob
    assert 'value="Ann O&#39;Bell"' in ann
    assert bob_token in bob and client.cookies.get("verso_csrf") in ann and bob_token not in ann
