"""Wishlists over HTTP: the product page's button (anonymous, saved or not, per variant, plain POST and
htmx), the /account/wishlist page (picture, option, price, stock, a link that preselects the option,
removal) and ownership: nobody removes another person's item by changing an id."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import event, func, select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.shop.helpers import ACTOR, make_attribute, make_product
from verso.domains.shop.models import WishlistItem
from verso.domains.shop.services import VariantService, WishlistError, WishlistService
from verso.lib.db import get_engine


async def _tee(db_session) -> tuple:
    """A tee in S and XL (XL costs 2.50 more and is sold out)."""
    product = await make_product(db_session, "Tee", price=2000)
    size = await make_attribute(db_session, "Size", ["S", "XL"])
    variants = VariantService(session=db_session)
    await variants.set_axes(product, {size.id: [v.id for v in size.values]}, actor=ACTOR)
    await db_session.commit()
    rows = {v.name: v for v in await variants.get_many()}
    for name, adjustment, stock in (("S", 0, 4), ("XL", 250, 0)):
        await variants.update_variant(rows[name], sku=f"TEE-{name}", price_adjustment=adjustment, stock=stock,
                                      is_active=True, image_id=None, actor=ACTOR)  # fmt: skip
    await db_session.commit()
    values = {v.value: v.id for v in size.values}
    return product, size, rows, values


async def _customer(client, email: str = "ann@example.com") -> object:
    user = await make_user(email, ["user"], email_verified=True)
    await sign_in(client, email, PASSWORD)
    return user


async def test_anonymous_visitors_get_a_sign_in_link(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    page = await client.get("/shop/p/blue-mug")
    assert "Sign in to save this to your wishlist" in page.text
    assert 'href="/login?next=/shop/p/blue-mug"' in page.text and 'action="/shop/wishlist"' not in page.text


async def test_save_and_remove_a_variant_from_its_page(client, admin, db_session) -> None:
    product, size, rows, values = await _tee(db_session)
    await _customer(client)
    xl = f"/shop/p/tee?v-{size.id}={values['XL']}"
    page = await client.get(xl)
    assert "Add to your wishlist" in page.text and f'name="variant_id" value="{rows["XL"].id}"' in page.text
    saved = await post_form(
        client,
        "/shop/wishlist",
        {"product_id": str(product.id), "variant_id": str(rows["XL"].id), "back": xl},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == xl
    assert "Saved: remove from your wishlist" in (await client.get(xl)).text
    # The variant picker's fragment (the buy box) follows the choice: S is not saved.
    small = await client.get(f"/shop/p/tee?v-{size.id}={values['S']}", headers={"HX-Request": "true"})
    assert "<html" not in small.text and "Add to your wishlist" in small.text
    # Saving twice changes nothing; htmx gets the button back with a toast.
    again = await post_form(
        client, "/shop/wishlist", {"product_id": str(product.id), "variant_id": str(rows["XL"].id)}, htmx=True
    )
    assert again.status_code == 200 and again.text.startswith('<div id="wishlist-button"')
    assert "Saved: remove" in again.text and "Saved to your wishlist." in again.headers["hx-trigger"]
    assert await db_session.scalar(select(func.count()).select_from(WishlistItem)) == 1
    removed = await post_form(
        client,
        "/shop/wishlist/remove",
        {"product_id": str(product.id), "variant_id": str(rows["XL"].id)},
        htmx=True,
    )
    assert "Add to your wishlist" in removed.text
    assert await db_session.scalar(select(func.count()).select_from(WishlistItem)) == 0


async def test_unavailable_things_are_refused(client, admin, db_session) -> None:
    product, _size, _rows, _values = await _tee(db_session)
    other = await make_product(db_session, "Mug")
    draft = await make_product(db_session, "Secret", status="draft")
    await _customer(client)
    await client.get("/shop/p/tee")
    variant_of_tee = (await VariantService(session=db_session).get_many())[0].id
    foreign = await post_form(
        client, "/shop/wishlist", {"product_id": str(other.id), "variant_id": str(variant_of_tee)}
    )
    assert foreign.status_code == 200 and "This option of the product is not available." in foreign.text
    hidden = await post_form(client, "/shop/wishlist", {"product_id": str(draft.id)}, htmx=True)
    assert hidden.status_code == 200 and "This product is not available." in hidden.headers["hx-trigger"]
    missing = await post_form(
        client, "/shop/wishlist", {"product_id": "00000000-0000-7000-8000-000000000000"}
    )
    assert missing.status_code == 404
    assert (await post_form(client, "/shop/wishlist", {"product_id": "junk"})).status_code == 404
    assert await db_session.scalar(select(func.count()).select_from(WishlistItem)) == 0
    assert product.id  # the tee itself is fine


async def test_account_page_lists_items_with_a_link_to_the_option(client, admin, db_session) -> None:
    product, size, rows, values = await _tee(db_session)
    mug = await make_product(db_session, "Blue mug", price=1250, stock=3)
    user = await _customer(client)
    service = WishlistService(session=db_session)
    await service.add(user.id, product.id, rows["XL"].id)
    await service.add(user.id, mug.id, None)
    await db_session.commit()
    page = await client.get("/account/wishlist")
    assert page.status_code == 200 and 'href="/account/wishlist" aria-current="page"' in page.text
    text = unescape(page.text)
    assert f'href="/shop/p/tee?v-{size.id}={values["XL"]}"' in text and "XL" in text
    assert "€22.50" in text and "Out of stock" in text  # the XL surcharge, and XL is sold out
    assert "€12.50" in text and "In stock" in text
    assert text.index("Blue mug") < text.index("Tee")  # newest first
    chosen = await client.get(f"/shop/p/tee?v-{size.id}={values['XL']}")
    assert f'value="{values["XL"]}" checked' in chosen.text  # the link preselects the saved option


async def test_remove_only_ones_own_items(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug")
    bo = await make_user("bo@example.com", ["user"], email_verified=True)
    ann = await _customer(client)
    service = WishlistService(session=db_session)
    await service.add(bo.id, mug.id, None)
    await service.add(ann.id, mug.id, None)
    await db_session.commit()
    items = {i.user_id: i.id for i in (await db_session.scalars(select(WishlistItem))).all()}
    await client.get("/account/wishlist")
    theirs = await post_form(client, f"/account/wishlist/{items[bo.id]}/remove")
    assert theirs.status_code == 404
    assert await db_session.scalar(select(func.count()).select_from(WishlistItem)) == 2
    mine = await post_form(client, f"/account/wishlist/{items[ann.id]}/remove", htmx=True)
    assert mine.status_code == 200 and "<html" not in mine.text and 'id="wishlist"' in mine.text
    assert (
        "Your wishlist is empty" in mine.text and "Removed from your wishlist." in mine.headers["hx-trigger"]
    )
    remaining = (await db_session.scalars(select(WishlistItem.user_id))).all()
    assert remaining == [bo.id]


async def test_wishlist_needs_a_signed_in_person(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug")
    page = await client.get("/account/wishlist", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    response = await post_form(client, "/shop/wishlist", {"product_id": str(mug.id)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_service_rules_and_a_fixed_number_of_queries(admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug")
    product, _size, rows, _values = await _tee(db_session)
    ann = await make_user("ann@example.com", ["user"], email_verified=True)
    service = WishlistService(session=db_session)
    await service.add(ann.id, mug.id, None)
    await service.add(ann.id, mug.id, None)  # idempotent
    await service.add(ann.id, product.id, rows["S"].id)
    await db_session.commit()
    assert await service.is_saved(ann.id, product.id, rows["S"].id)
    assert not await service.is_saved(ann.id, product.id, None)
    tee_id, xl_id = product.id, rows["XL"].id  # the rollback below expires the objects
    with pytest.raises(WishlistError):
        await service.add(ann.id, mug.id, rows["S"].id)  # a variant of another product
    await db_session.rollback()

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def queries() -> int:
        statements.clear()
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        try:
            entries = await service.entries(ann.id)
        finally:
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
        assert entries
        return len(statements)

    few = await queries()
    for i in range(6):
        extra = await make_product(db_session, f"Extra {i}")
        await service.add(ann.id, extra.id, None)
    await service.add(ann.id, tee_id, xl_id)
    await db_session.commit()
    assert await queries() == few == 3
