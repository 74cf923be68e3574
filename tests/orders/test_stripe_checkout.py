"""Paying by card through Stripe Checkout, against the local stand-in: the redirect, the signed
webhook marking the order paid (once, however often it is replayed), a bad signature refused, an
expired session releasing the stock, and Stripe hidden without keys."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.factories import post_form
from tests.orders.conftest import WEBHOOK_SECRET
from tests.orders.helpers import add_to_cart, fill_checkout, make_france_shipping
from tests.shop.helpers import make_product
from verso.domains.orders.models import Order, Payment, PaymentEvent, StockHold
from verso.domains.shop.models import CartItem, Product
from verso.lib.payments import sign_stripe_payload


async def _post_event(client, event: dict, *, secret: str = WEBHOOK_SECRET):
    body = json.dumps(event)
    return await client.post(
        "/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign_stripe_payload(body, secret), "Content-Type": "application/json"},
    )


async def _pay_by_card(client, db_session):
    mug = await make_product(db_session, "Blue mug", price=1250, stock=3)
    rate = await make_france_shipping(db_session)
    await add_to_cart(client, mug, 2)
    await fill_checkout(client, rate)
    page = await client.get("/checkout")
    assert "Card (Stripe)" in page.text or 'value="stripe"' in page.text
    started = await post_form(client, "/checkout/pay", {"provider": "stripe"}, follow_redirects=False)
    assert started.status_code == 303, started.text[:2000]
    return started


async def test_card_payment_marks_the_order_paid_through_the_webhook(
    client, admin, db_session, stripe_on
) -> None:
    started = await _pay_by_card(client, db_session)
    payment = await db_session.scalar(select(Payment))
    assert started.headers["location"] == payment.redirect_url and payment.reference.startswith("cs_")
    order = await db_session.scalar(select(Order))
    assert order.status == "pending" and order.hold_expires_at is not None
    assert {h.state for h in (await db_session.scalars(select(StockHold))).all()} == {"held"}
    assert (await db_session.scalar(select(func.count()).select_from(CartItem))) == 1  # kept until paid
    event = stripe_on.complete_session(payment.reference)
    answer = await _post_event(client, event)
    assert answer.status_code == 200 and answer.json()["outcome"] == "paid"
    await db_session.refresh(order)
    assert order.status == "paid" and order.paid_at is not None
    assert {h.state for h in (await db_session.scalars(select(StockHold))).all()} == {"committed"}
    assert (await db_session.scalar(select(func.count()).select_from(CartItem))) == 0
    assert (await db_session.scalar(select(Product.stock))) == 1
    # Stripe retries: the same event changes nothing the second time.
    again = await _post_event(client, event)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert (await db_session.scalar(select(func.count()).select_from(PaymentEvent))) == 1


async def test_a_bad_signature_is_refused(client, admin, db_session, stripe_on) -> None:
    await _pay_by_card(client, db_session)
    payment = await db_session.scalar(select(Payment))
    event = stripe_on.complete_session(payment.reference)
    forged = await _post_event(client, event, secret="whsec_someone_else")
    assert forged.status_code == 400
    unsigned = await client.post("/webhooks/stripe", content=json.dumps(event))
    assert unsigned.status_code == 400
    assert (await db_session.scalar(select(Order.status))) == "pending"
    assert (await db_session.scalar(select(func.count()).select_from(PaymentEvent))) == 0


async def test_an_expired_session_releases_the_stock(client, admin, db_session, stripe_on) -> None:
    await _pay_by_card(client, db_session)
    payment = await db_session.scalar(select(Payment))
    assert (await db_session.scalar(select(Product.stock))) == 1
    session = {"id": payment.reference, "object": "checkout.session", "status": "expired"}
    session |= {"payment_status": "unpaid", "amount_total": 3000, "currency": "eur", "metadata": {}}
    expired = stripe_on.event("checkout.session.expired", session)
    answer = await _post_event(client, expired)
    assert answer.json()["outcome"] == "released"
    assert (await db_session.scalar(select(Order.status))) == "cancelled"
    assert (await db_session.scalar(select(Product.stock))) == 3


async def test_without_keys_stripe_is_not_offered(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=3)
    rate = await make_france_shipping(db_session)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    page = await client.get("/checkout")
    assert 'value="stripe"' not in page.text and 'value="bank_transfer"' in page.text
    refused = await post_form(client, "/checkout/pay", {"provider": "stripe"})
    assert refused.status_code == 422 and "Choose how to pay." in refused.text
    assert (await client.post("/webhooks/stripe", content="{}")).status_code == 404
