"""The cart over HTTP: adding from the product page (plain form and htmx), the header badge and
drawer, quantities clamped to stock, out-of-stock and unknown items refused, price changes shown,
guest carts merged into a customer's at sign-in, and nobody changing another visitor's cart."""

from __future__ import annotations

from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.shop.helpers import ACTOR, make_attribute, make_product
from verso.domains.shop.models import Cart, CartItem, Product
from verso.domains.shop.services import VariantService


async def _add(client, product, quantity: int = 1, *, htmx: bool = False, **extra):
    data = {"product_id": str(product.id), "quantity": str(quantity), **extra}
    return await post_form(client, "/cart/items", data, htmx=htmx, follow_redirects=False)


async def test_a_guest_adds_to_the_cart_without_javascript(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    page = await client.get("/shop/p/blue-mug")
    assert 'action="/cart/items"' in page.text and f'name="product_id" value="{mug.id}"' in page.text
    added = await _add(client, mug, 2)
    assert added.status_code == 303 and added.headers["location"] == "/cart"
    assert client.cookies.get("verso_cart")
    cart = await client.get("/cart")
    assert "Blue mug" in cart.text and "€25.00" in cart.text and "Added Blue mug to your cart." in cart.text
    # The header's badge counts the guest's units, on every page (the page cache steps aside).
    home = await client.get("/shop/p/blue-mug")
    assert 'id="cart-count">2<' in home.text and 'aria-label="Cart, 2 items"' in home.text


async def test_htmx_add_opens_the_drawer_with_a_toast(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    added = await _add(client, mug, 1, htmx=True)
    assert added.status_code == 200 and "<html" not in added.text
    assert 'id="cart-menu" open hx-swap-oob="true"' in added.text and "Subtotal" in added.text
    assert "Added Blue mug to your cart." in added.headers["hx-trigger"]
    drawer = await client.get("/cart/drawer", headers={"HX-Request": "true"})
    assert "Blue mug" in drawer.text and 'href="/checkout"' in drawer.text


async def test_quantities_are_clamped_to_stock(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=3)
    added = await _add(client, mug, 5)
    assert added.status_code == 303
    assert "Only 3 available." in (await client.get("/cart")).text
    item = await db_session.scalar(select(CartItem))
    assert item.quantity == 3
    # More of it is refused politely; changing the quantity is clamped too.
    again = await _add(client, mug, 1, htmx=True)
    assert "You already have all 3 available in your cart." in again.headers["hx-trigger"]
    changed = await post_form(client, f"/cart/items/{item.id}", {"quantity": "9"}, htmx=True)
    assert changed.status_code == 200 and 'id="cart"' in changed.text
    assert "Only 3 available." in changed.headers["hx-trigger"]
    assert 'id="cart-count" hx-swap-oob="true">3<' in changed.text


async def test_out_of_stock_and_unknown_items_are_refused(client, admin, db_session) -> None:
    gone = await make_product(db_session, "Sold out mug", price=1250, stock=0)
    refused = await _add(client, gone, 1, htmx=True)
    assert (
        refused.status_code == 422 and "Sorry, Sold out mug is out of stock." in refused.headers["hx-trigger"]
    )
    draft = await make_product(db_session, "Draft mug", price=1250, stock=5, status="draft")
    plain = await _add(client, draft, 1, **{"from": "/shop/p/draft-mug"})
    assert plain.status_code == 303 and plain.headers["location"] == "/shop/p/draft-mug"
    assert (await db_session.scalar(select(CartItem))) is None
    bad = await post_form(client, "/cart/items", {"product_id": "not-an-id"}, htmx=True)
    assert bad.status_code == 422


async def test_a_variant_product_needs_its_variant(client, admin, db_session) -> None:
    tee = await make_product(db_session, "Tee", price=2000)
    size = await make_attribute(db_session, "Size", ["S", "XL"])
    variants = VariantService(session=db_session)
    await variants.set_axes(tee, {size.id: [v.id for v in size.values]}, actor=ACTOR)
    await db_session.commit()
    rows = {v.name: v for v in await variants.get_many()}
    await variants.update_variant(rows["XL"], sku="TEE-XL", price_adjustment=250, stock=2, is_active=True,
                                  image_id=None, actor=ACTOR)  # fmt: skip
    await db_session.commit()
    refused = await _add(client, tee, 1, htmx=True)
    assert "Choose an option first." in refused.headers["hx-trigger"]
    added = await _add(client, tee, 1, htmx=True, variant_id=str(rows["XL"].id))
    assert added.status_code == 200 and "XL" in added.text and "€22.50" in added.text


async def test_a_price_change_is_shown_in_the_cart(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await _add(client, mug, 1)
    await db_session.execute(update(Product).where(Product.id == mug.id).values(price=1500))
    await db_session.commit()
    page = await client.get("/cart")
    assert "Some prices have changed" in page.text and "was €12.50" in page.text and "€15.00" in page.text


async def test_remove_and_update_without_javascript(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await _add(client, mug, 1)
    item = await db_session.scalar(select(CartItem))
    updated = await post_form(client, f"/cart/items/{item.id}", {"quantity": "4"}, follow_redirects=False)
    assert updated.status_code == 303
    assert "€50.00" in (await client.get("/cart")).text
    removed = await post_form(client, f"/cart/items/{item.id}/remove", follow_redirects=False)
    assert removed.status_code == 303
    assert "Your cart is empty." in (await client.get("/cart")).text


async def test_the_guest_cart_merges_into_the_customers_at_sign_in(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    bowl = await make_product(db_session, "Bowl", price=900, stock=10)
    customer = await make_user("ann@example.com", ["user"], email_verified=True)
    await sign_in(client, "ann@example.com", PASSWORD)
    await _add(client, mug, 1)
    await post_form(client, "/logout", follow_redirects=False)
    client.cookies.pop("verso_cart", None)
    await _add(client, mug, 2)
    await _add(client, bowl, 1)
    assert 'id="cart-count">3<' in (await client.get("/cart")).text
    await sign_in(client, "ann@example.com", PASSWORD)
    assert 'id="cart-count">4<' in (await client.get("/shop/p/bowl")).text  # both carts, before the merge
    page = await client.get("/cart")
    assert "€37.50" in page.text and "€9.00" in page.text
    carts = (await db_session.scalars(select(Cart))).all()
    assert len(carts) == 1 and carts[0].customer_id == customer.id


async def test_nobody_changes_another_visitors_cart(app, client, admin, db_session) -> None:
    from litestar.testing import AsyncTestClient

    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await _add(client, mug, 1)
    item = await db_session.scalar(select(CartItem))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await _add(other, mug, 1)
        refused = await post_form(other, f"/cart/items/{item.id}", {"quantity": "7"}, htmx=True)
        assert refused.status_code == 422 and "no longer in your cart" in refused.headers["hx-trigger"]
    await db_session.refresh(item)
    assert item.quantity == 1
