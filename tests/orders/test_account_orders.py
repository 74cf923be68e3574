"""The customer's orders at /account/orders: the history (full page, htmx fragment, pages), one
order's page with the shared partial, anyone else's order answering 404 (staff included), and
"Order again" putting what is still for sale in the cart and saying what could not be added."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

from sqlalchemy import select

from tests.factories import ADMIN_PASSWORD, PASSWORD, make_user, pdf_text, post_form, sign_in
from tests.orders.test_api import make_order
from tests.shop.helpers import make_product
from verso.domains.orders.models import Shipment
from verso.domains.shop.models import Cart, CartItem

URL = "/account/orders"


async def _customer(client, email: str = "ann@example.com"):
    user = await make_user(email, ["user"], email_verified=True)
    await sign_in(client, email, PASSWORD)
    return user


async def test_anonymous_visitors_are_sent_to_sign_in(client, admin) -> None:
    response = await client.get(URL, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_history_lists_only_their_orders_newest_first(client, admin, db_session) -> None:
    ann = await _customer(client)
    bob = await make_user("bob@example.com", ["user"])
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await make_order(
        db_session, 1, customer_id=ann.id, lines=[(mug, 2)], created_at=datetime(2026, 1, 5, tzinfo=UTC)
    )
    await make_order(db_session, 2, customer_id=ann.id, status="shipped", lines=[(mug, 1), (None, 3)],
                     created_at=datetime(2026, 2, 5, tzinfo=UTC))  # fmt: skip
    await make_order(db_session, 3, customer_id=bob.id)
    page = await client.get(URL)
    text = unescape(page.text)
    assert page.status_code == 200 and "<html" in text and 'aria-current="page">Orders' in text
    assert text.index("VRS-2026-000002") < text.index("VRS-2026-000001")
    assert "VRS-2026-000003" not in text
    assert "€25.00" in text and "€27.50" in text and "Shipped" in text and "Pending" in text
    assert 'href="/account/orders/VRS-2026-000002"' in text
    # htmx (pagination) gets the table section alone.
    fragment = await client.get(f"{URL}?per_page=1&page=2", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="orders"')
    assert "VRS-2026-000001" in fragment.text and "VRS-2026-000002" not in fragment.text
    assert fragment.headers["vary"] == "HX-Request"


async def test_no_orders_yet(client, admin) -> None:
    await _customer(client)
    page = await client.get(URL)
    assert page.status_code == 200 and "No orders yet" in page.text


async def test_an_order_page_uses_the_shared_partial(client, admin, db_session) -> None:
    ann = await _customer(client)
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    order = await make_order(db_session, 4, customer_id=ann.id, status="shipped", lines=[(mug, 2)])
    db_session.add(Shipment(order_id=order.id, carrier="UPS", tracking_number="1Z999",
                            shipped_at=datetime(2026, 1, 6, tzinfo=UTC)))  # fmt: skip
    await db_session.commit()
    page = await client.get(f"{URL}/VRS-2026-000004")
    text = unescape(page.text)
    assert page.status_code == 200 and "<html" in text and "Order VRS-2026-000004" in text
    assert 'id="order" class="order-detail"' in text and "1Z999" in text and "Blue mug" in text
    assert 'action="/account/orders/VRS-2026-000004/reorder"' in text and 'name="_csrf_token"' in text
    fragment = await client.get(f"{URL}/VRS-2026-000004", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="order"')
    # Their invoice, without a signed link: the order is theirs.
    assert 'href="/orders/VRS-2026-000004/invoice.pdf"' in text
    pdf = await client.get("/orders/VRS-2026-000004/invoice.pdf")
    assert pdf.status_code == 200 and "Blue mug" in pdf_text(pdf.content)


async def test_anyone_elses_order_is_not_found(client, admin, db_session) -> None:
    bob = await make_user("bob@example.com", ["user"])
    await make_order(db_session, 5, customer_id=bob.id)
    await make_order(db_session, 6)  # a guest's
    await _customer(client)
    for number in ("VRS-2026-000005", "VRS-2026-000006", "VRS-2026-999999"):
        assert (await client.get(f"{URL}/{number}")).status_code == 404
        assert (await post_form(client, f"{URL}/{number}/reorder")).status_code == 404
        assert (await client.get(f"/orders/{number}/invoice.pdf")).status_code == 404
    # Staff browsing their own account see only their own orders too.
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    assert (await client.get(f"{URL}/VRS-2026-000005")).status_code == 404
    assert "VRS-2026-000005" not in (await client.get(URL)).text


async def test_order_again_adds_what_is_still_for_sale(client, admin, db_session) -> None:
    ann = await _customer(client)
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    few = await make_product(db_session, "Green mug", price=1300, stock=1)
    gone = await make_product(db_session, "Sold out mug", price=900, stock=0)
    await make_order(db_session, 7, customer_id=ann.id, lines=[(mug, 2), (few, 3), (gone, 1), (None, 1)])
    again = await post_form(client, f"{URL}/VRS-2026-000007/reorder", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/cart"
    cart = await db_session.scalar(select(Cart).where(Cart.customer_id == ann.id))
    items = (await db_session.scalars(select(CartItem).where(CartItem.cart_id == cart.id))).all()
    assert sorted((i.product_id, i.quantity) for i in items) == sorted([(mug.id, 2), (few.id, 1)])
    page = unescape((await client.get("/cart")).text)
    assert "Added to your cart: Blue mug." in page and "Green mug: Only 1 available." in page
    refused = "Sold out mug (Sorry, Sold out mug is out of stock); Retired mug (no longer sold)."
    assert f"Could not be added: {refused}" in page
    # htmx: a redirect header, never a 3xx; ordering again raises nothing past the stock.
    htmx = await post_form(client, f"{URL}/VRS-2026-000007/reorder", htmx=True)
    assert htmx.status_code < 300 and htmx.headers["hx-redirect"] == "/cart"
    few_id = few.id
    db_session.expire_all()
    quantities = (
        await db_session.scalars(select(CartItem.quantity).where(CartItem.product_id == few_id))
    ).all()
    assert quantities == [1]


async def test_nothing_left_to_order_again_says_so(client, admin, db_session) -> None:
    ann = await _customer(client)
    await make_order(db_session, 8, customer_id=ann.id, lines=[(None, 1)])
    await post_form(client, f"{URL}/VRS-2026-000008/reorder", follow_redirects=False)
    page = unescape((await client.get("/cart")).text)
    assert "Nothing from this order could be added to your cart." in page
