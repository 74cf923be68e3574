"""Checkout over HTTP: the steps with their inline errors, codes with their refusal messages, paying
offline (the order, its number, the stock taken, the code's use, the emptied cart, the email and the
signed confirmation page), price changes shown before payment, and an order nobody else can open."""

from __future__ import annotations

import re

from sqlalchemy import func, select, update

from tests.factories import pdf_text, post_form
from tests.orders.helpers import ADDRESS, add_to_cart, fill_checkout, make_code, make_france_shipping
from tests.shop.helpers import make_product
from verso.domains.orders.models import CheckoutDraft, Order, OrderEvent, StockHold
from verso.domains.orders.services._checkout import save_answers
from verso.domains.shop.models import Cart, CartItem, Discount, Product
from verso.domains.shop.services import CartOwner, token_hash
from verso.lib.email import OutboxEmail


async def test_a_guest_checks_out_and_pays_by_bank_transfer(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    bowl = await make_product(db_session, "Bowl", price=900, stock=5)
    rate = await make_france_shipping(db_session, 500)
    await make_code(db_session, "TEN", value=1000)
    await add_to_cart(client, mug, 2)
    await add_to_cart(client, bowl, 1)
    page = await client.get("/checkout")
    assert page.status_code == 200 and "1. Contact" in page.text and 'action="/checkout/contact"' in page.text
    await fill_checkout(client, rate, code="ten")
    page = await client.get("/checkout")
    # 2 x 12.50 + 9.00 = 34.00; 10% off = 3.40; shipping 5.00; total 35.60.
    assert "Discount TEN" in page.text and "−€3.40" in page.text and "€35.60" in page.text  # noqa: RUF001
    assert "Colissimo" in page.text and "Bank transfer" in page.text and "Pay on pickup" not in page.text
    paid = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    assert paid.status_code == 303, paid.text[:3000]
    location = paid.headers["location"]
    assert re.fullmatch(r"/orders/VRS-\d{4}-000001\?t=[0-9a-f]{32}", location)
    order = await db_session.scalar(select(Order))
    assert order.status == "pending" and order.total == 3560 and order.amount_due == 3560
    assert (order.subtotal, order.discount_total, order.shipping_total) == (3400, 340, 500)
    assert order.shipping_address["city"] == "Paris" and order.email == "ann@example.com"
    stock = dict((await db_session.execute(select(Product.name, Product.stock))).all())
    assert stock == {"Blue mug": 8, "Bowl": 4}
    holds = (await db_session.scalars(select(StockHold))).all()
    assert {h.state for h in holds} == {"committed"}  # offline: kept until staff cancel
    assert (await db_session.scalar(select(Discount.uses))) == 1
    assert (await db_session.scalar(select(func.count()).select_from(CartItem))) == 0
    # An offline order is final: the draft keeps no order waiting for a card payment to release.
    assert (await db_session.scalar(select(CheckoutDraft.pending_order_id))) is None
    mail = await db_session.scalar(select(OutboxEmail))
    assert mail.to_address == "ann@example.com" and "how to pay" in mail.subject
    confirmation = await client.get(location)
    assert confirmation.status_code == 200 and f"Order {order.number}" in confirmation.text
    assert "How to pay €35.60" in confirmation.text and "Paris" in confirmation.text


async def test_steps_refuse_bad_input_inline_and_keep_it(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await make_france_shipping(db_session)
    await add_to_cart(client, mug)
    bad = await post_form(client, "/checkout/contact", {"email": "not-an-email", "name": "Ann"})
    assert bad.status_code == 422 and "Enter your email address" in bad.text and 'value="Ann"' in bad.text
    # A post answered with a page still shows the visitor's own parts (loaded after the handler).
    assert 'id="cart-count">1<' in bad.text
    await post_form(client, "/checkout/contact", {"email": "ann@example.com"})
    missing = await post_form(
        client, "/checkout/address", {**ADDRESS, "city": "", "country": "XX"}, htmx=True
    )
    assert missing.status_code == 422 and "<html" not in missing.text and 'id="checkout"' in missing.text
    assert "1 rue de la Paix" in missing.text and "Choose a country from the list." in missing.text
    unknown = await post_form(client, "/checkout/codes", {"code": "NOPE"})
    assert unknown.status_code == 422 and "“NOPE” is not a valid code." in unknown.text
    nowhere = await post_form(
        client, "/checkout/address", {**ADDRESS, "country": "DE"}, follow_redirects=False
    )
    assert nowhere.status_code == 303
    assert "We do not ship to this address yet." in (await client.get("/checkout")).text
    early = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"})
    assert early.status_code == 422 and "Choose how to ship your order." in early.text
    assert (await db_session.scalar(select(func.count()).select_from(Order))) == 0


async def test_a_code_that_does_not_apply_says_why(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    rate = await make_france_shipping(db_session)
    await make_code(db_session, "BIG", value=1000, minimum_order=5000)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate, code="BIG")
    page = await client.get("/checkout")
    assert "Spend €37.50 more to use this code" in page.text
    refused = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"})
    assert refused.status_code == 422 and "Spend €37.50 more" in refused.text
    await post_form(client, "/checkout/codes/remove", {"code": "BIG"})
    placed = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    assert placed.status_code == 303


async def test_a_price_change_is_shown_before_paying(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    rate = await make_france_shipping(db_session)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    await db_session.execute(update(Product).where(Product.id == mug.id).values(price=1400))
    await db_session.commit()
    first = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"})
    assert first.status_code == 422 and "Some prices have changed" in first.text and "€19.00" in first.text
    assert (await db_session.scalar(select(func.count()).select_from(Order))) == 0
    again = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    assert again.status_code == 303
    assert (await db_session.scalar(select(Order.total))) == 1900


async def test_the_last_unit_sold_meanwhile_is_refused_with_nothing_written(
    client, admin, db_session
) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=2)
    rate = await make_france_shipping(db_session)
    await make_code(db_session, "TEN")
    await add_to_cart(client, mug, 2)
    await fill_checkout(client, rate, code="TEN")
    await db_session.execute(update(Product).where(Product.id == mug.id).values(stock=1))
    await db_session.commit()
    refused = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/cart"
    assert "Only 1 available" in (await client.get("/cart")).text
    assert (await db_session.scalar(select(func.count()).select_from(Order))) == 0
    assert (await db_session.scalar(select(Discount.uses))) == 0
    assert (await db_session.scalar(select(Product.stock))) == 1


async def test_order_pages_answer_404_without_the_signature(app, client, admin, db_session) -> None:
    from litestar.testing import AsyncTestClient

    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    rate = await make_france_shipping(db_session)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    paid = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    number = paid.headers["location"].split("?")[0].rsplit("/", 1)[1]
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as stranger:
        assert (await stranger.get(f"/orders/{number}")).status_code == 404
        assert (await stranger.get(f"/orders/{number}?t={'0' * 32}")).status_code == 404
        page = await stranger.get(paid.headers["location"])
        assert page.status_code == 200
        # The invoice follows the same rule: the link on the page carries the signature.
        signature = paid.headers["location"].split("?t=")[1]
        invoice = f"/orders/{number}/invoice.pdf?t={signature}"
        assert f'href="{invoice}"' in page.text
        pdf = await stranger.get(invoice)
        assert pdf.status_code == 200 and f"Order {number}" in pdf_text(pdf.content)
        assert (await stranger.get(f"/orders/{number}/invoice.pdf")).status_code == 404
        assert (await stranger.get(f"/orders/{number}/invoice.pdf?t={'0' * 32}")).status_code == 404
    placed = await db_session.scalar(select(OrderEvent.message).where(OrderEvent.kind == "placed"))
    assert placed == "Order placed by Ann Guest."


async def test_a_step_saves_its_answers_without_reading_the_draft(db_session) -> None:
    """The contact and address steps write by cart: the first creates the draft, later ones change
    it, ``unless_set`` keeps a name already given, and a draft loaded before reads the new values."""
    cart = Cart(token_hash=token_hash("guest-token"), discount_codes=[], gift_card_codes=[])
    db_session.add(cart)
    await db_session.commit()
    owner = CartOwner(token="guest-token")
    assert not await save_answers(db_session, CartOwner(token="someone-else"), {"email": "x@example.com"})
    assert not await save_answers(db_session, CartOwner(), {"email": "x@example.com"})
    assert await save_answers(db_session, owner, {"email": "ann@example.com", "name": ""})
    draft = await db_session.scalar(select(CheckoutDraft))
    assert (draft.cart_id, draft.email, draft.name) == (cart.id, "ann@example.com", "")
    keep_name = frozenset({"name"})
    assert await save_answers(
        db_session, owner, {"name": "Ann Dupont", "phone": "0102"}, unless_set=keep_name
    )
    again = await db_session.scalar(select(CheckoutDraft))
    assert again is draft and (draft.name, draft.phone) == ("Ann Dupont", "0102")  # was empty: filled
    assert await save_answers(db_session, owner, {"name": "Someone Else"}, unless_set=keep_name)
    await db_session.commit()
    await db_session.refresh(draft)
    assert draft.name == "Ann Dupont"
    assert await db_session.scalar(select(func.count()).select_from(CheckoutDraft)) == 1
