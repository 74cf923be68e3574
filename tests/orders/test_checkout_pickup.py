"""Pick up at the shop: the delivery choice at checkout (no address, no shipping charge, taxed at the
shop), pay on pickup offered only then, the order and its email saying where to collect, and staff
telling the customer it is ready, then handing it over (collected, never shipped)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories import ADMIN_PASSWORD, post_form, sign_in
from tests.orders.helpers import (
    ADDRESS,
    add_to_cart,
    fill_checkout,
    make_code,
    make_france_shipping,
    offer_pickup,
)
from tests.shop.helpers import make_product
from verso.domains.orders.models import Order
from verso.domains.orders.services._lifecycle import (
    OrderError,
    RefundInput,
    ShipmentInput,
    can_move,
    load_order,
    mark_delivered,
    mark_ready,
    ready_refusal,
    ship,
)
from verso.domains.orders.services._links import order_path
from verso.domains.orders.services._staff import (
    allowed_actions,
    bulk_ship,
    staff_cancel,
    staff_mark_paid,
    staff_refund,
)
from verso.domains.shop.models import Product, TaxRate
from verso.lib.audit import Actor
from verso.lib.email import OutboxEmail

STAFF = Actor(label="staff")


async def _collecting(client, db_session) -> Product:
    """A shop that ships to France and lets customers collect in Lyon, with French VAT at 20% on
    top; a guest with two mugs who has given their contact details."""
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await make_france_shipping(db_session, 500)
    await offer_pickup(db_session)
    db_session.add(TaxRate(name="TVA", rate=2000, kind="vat", countries=["FR"], states=[], postcodes=[]))
    await db_session.commit()
    await add_to_cart(client, mug, 2)
    contact = await post_form(client, "/checkout/contact", {"email": "ann@example.com", "name": "Ann Guest"})
    assert contact.status_code == 200
    return mug


async def test_a_guest_collects_at_the_shop_and_pays_on_pickup(client, admin, db_session) -> None:
    await _collecting(client, db_session)
    page = await client.get("/checkout")
    assert 'name="delivery" value="pickup"' in page.text
    assert "Pick up at the shop, free: The studio, 12 rue des Potiers, 69001 Lyon" in page.text

    chosen = await post_form(
        client,
        "/checkout/address",
        {"delivery": "pickup", "pickup_name": "Ann Guest"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    page = await client.get("/checkout")
    assert "You will pick up your order at:" in page.text and "Tuesday to Saturday" in page.text
    assert "Pick up at the shop: Free" in page.text and 'value="pay_on_pickup"' in page.text
    # No address given, yet taxed: at the shop's, 20% of 25.00 on top, no shipping.
    assert "€30.00" in page.text and 'action="/checkout/pay"' in page.text

    paid = await post_form(client, "/checkout/pay", {"provider": "pay_on_pickup"}, follow_redirects=False)
    assert paid.status_code == 303, paid.text[:2000]
    order = await db_session.scalar(select(Order))
    assert (order.delivery, order.shipping_method, order.shipping_total) == (
        "pickup",
        "Pick up at the shop",
        0,
    )
    assert (order.tax_total, order.total, order.payment_provider) == (500, 3000, "pay_on_pickup")
    assert order.shipping_address["city"] == "Lyon" and order.billing_address is None
    assert order.shipping_rate_id is None and order.status == "pending"
    mail = await db_session.scalar(select(OutboxEmail))
    assert "collect it at The studio, 12 rue des Potiers, 69001 Lyon." in mail.text_body
    assert "Please pay €30.00 when you collect your order" in mail.text_body
    confirmation = await client.get(paid.headers["location"])
    assert "Pick up at" in confirmation.text and "12 rue des Potiers" in confirmation.text
    assert "Tuesday to Saturday" in confirmation.text and "How to pay €30.00" in confirmation.text


async def test_pay_on_pickup_is_only_for_an_order_collected(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    rate = await make_france_shipping(db_session)
    await offer_pickup(db_session)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    page = await client.get("/checkout")
    assert 'value="bank_transfer"' in page.text and 'value="pay_on_pickup"' not in page.text
    refused = await post_form(client, "/checkout/pay", {"provider": "pay_on_pickup"}, htmx=True)
    assert refused.status_code == 422 and "<html" not in refused.text
    assert "Pay on pickup is for orders you collect at the shop" in refused.text
    assert (await db_session.scalar(select(Order.id))) is None

    # Changing one's mind: collect, then ship again (the address and a rate are asked for again).
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann"})
    assert 'value="pay_on_pickup"' in (await client.get("/checkout")).text
    back = await post_form(
        client, "/checkout/address", {"delivery": "ship", **ADDRESS}, follow_redirects=False
    )
    assert back.status_code == 303
    early = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"})
    assert early.status_code == 422 and "Choose how to ship your order." in early.text


async def test_pickup_is_refused_when_the_shop_does_not_offer_it(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    await make_france_shipping(db_session)
    await add_to_cart(client, mug)
    await post_form(client, "/checkout/contact", {"email": "ann@example.com"})
    page = await client.get("/checkout")
    assert 'name="delivery"' not in page.text and 'name="line1"' in page.text
    refused = await post_form(
        client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann"}, htmx=True
    )
    assert refused.status_code == 422 and 'id="checkout"' in refused.text
    assert "Pickup at the shop is not offered at the moment: enter a delivery address." in refused.text


async def test_a_collected_order_is_handed_over_not_shipped(client, admin, db_session) -> None:
    await _collecting(client, db_session)
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann Guest"})
    paid = await post_form(client, "/checkout/pay", {"provider": "pay_on_pickup"}, follow_redirects=False)
    assert paid.status_code == 303
    order = await load_order(db_session, await db_session.scalar(select(Order.id)))
    await staff_mark_paid(db_session, order, actor=STAFF)
    await db_session.commit()
    assert "ship" not in allowed_actions(order) and "delivered" in allowed_actions(order)
    assert not can_move(order, "shipped")
    with pytest.raises(OrderError, match="collects this order at the shop"):
        await ship(db_session, order, ShipmentInput(), actor=STAFF)
    assert (await bulk_ship(db_session, [order.id], actor=STAFF)).skipped == 1
    await mark_delivered(db_session, order, actor=STAFF)
    await db_session.commit()
    assert (order.status, order.fulfilment_status) == ("delivered", "delivered")


async def test_collecting_needs_a_name_and_is_taxed_at_the_shop(client, admin, db_session) -> None:
    """A customer who first gave an address the shop does not ship to, then chose to collect: the
    name to hand over to is asked for, and tax follows the shop's address, not the typed one."""
    await _collecting(client, db_session)
    await post_form(client, "/checkout/address", {**ADDRESS, "country": "DE"})
    assert "We do not ship to this address yet." in (await client.get("/checkout")).text
    nameless = await post_form(
        client, "/checkout/address", {"delivery": "pickup", "pickup_name": " "}, htmx=True
    )
    assert nameless.status_code == 422 and "Enter the name we hand the order over to." in nameless.text
    assert 'value="pickup" checked' in nameless.text
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann Guest"})
    page = await client.get("/checkout")
    assert "€30.00" in page.text and "TVA" in page.text  # 25.00 + 20% French VAT, no shipping


async def test_a_free_shipping_code_has_nothing_to_do_when_collecting(client, admin, db_session) -> None:
    await _collecting(client, db_session)
    await make_code(db_session, "FREESHIP", kind="free_shipping", value=0)
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann Guest"})
    await post_form(client, "/checkout/codes", {"code": "FREESHIP"})
    page = await client.get("/checkout")
    assert "You collect your order: there is no shipping to take off." in page.text
    refused = await post_form(client, "/checkout/pay", {"provider": "pay_on_pickup"})
    assert refused.status_code == 422 and (await db_session.scalar(select(Order.id))) is None


async def test_a_cart_with_nothing_to_ship_is_not_collected(client, admin, db_session) -> None:
    """A pickup chosen for a cart that has nothing to ship (or posted by hand) changes nothing: no
    tax from the shop's address, no pickup on the order."""
    ebook = await make_product(db_session, "Glazing guide", price=1000, is_digital=True)
    await make_france_shipping(db_session)
    await offer_pickup(db_session)
    db_session.add(TaxRate(name="TVA", rate=2000, kind="vat", countries=["FR"], states=[], postcodes=[]))
    await db_session.commit()
    await add_to_cart(client, ebook)
    await post_form(client, "/checkout/contact", {"email": "ann@example.com", "name": "Ann"})
    page = await client.get("/checkout")
    assert 'name="delivery"' not in page.text
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann"})
    paid = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    assert paid.status_code == 303, paid.text[:2000]
    order = await db_session.scalar(select(Order))
    assert (order.delivery, order.tax_total, order.total, order.shipping_address) == ("ship", 0, 1000, None)


async def test_staff_see_who_collects_and_the_paid_email_says_where(client, admin, db_session) -> None:
    await _collecting(client, db_session)
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann Guest"})
    paid = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
    assert paid.status_code == 303
    order_id = await db_session.scalar(select(Order.id))
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    page = await client.get(f"/admin/orders/{order_id}")
    assert "The customer collects it at" in page.text and "Mark as collected" not in page.text
    marked = await post_form(client, f"/admin/orders/{order_id}/paid", follow_redirects=False)
    assert marked.status_code in (200, 303)
    page = await client.get(f"/admin/orders/{order_id}")
    assert "Mark as collected" in page.text and "Record the shipment" not in page.text
    slip = await client.get(f"/admin/orders/{order_id}/packing-slip")
    assert (
        "To collect" in slip.text and "By Ann Guest, at:" in slip.text and "12 rue des Potiers" in slip.text
    )
    mail = await db_session.scalar(select(OutboxEmail).where(OutboxEmail.template == "orders/paid"))
    assert "Collect it at The studio, 12 rue des Potiers, 69001 Lyon. Tuesday to Saturday" in mail.text_body


def _badges(page: str) -> list[str]:
    """The badges of the page's order status line (the status, then the fulfilment)."""
    line = page.split('class="order-status"', 1)[1].split("</p>", 1)[0]
    return re.findall(r'class="badge[^"]*">([^<]+)</span>', line)


async def _collected_order(client, db_session, provider: str) -> Order:
    await _collecting(client, db_session)
    await post_form(client, "/checkout/address", {"delivery": "pickup", "pickup_name": "Ann Guest"})
    paid = await post_form(client, "/checkout/pay", {"provider": provider}, follow_redirects=False)
    assert paid.status_code == 303, paid.text[:2000]
    return await load_order(db_session, await db_session.scalar(select(Order.id)))


async def test_staff_tell_the_customer_it_is_ready_and_then_hand_it_over(client, admin, db_session) -> None:
    order = await _collected_order(client, db_session, "pay_on_pickup")
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    url = f"/admin/orders/{order.id}"
    page = await client.get(url)
    # Paid at the counter: ready before it is paid, and the customer is told to bring the money.
    assert "Mark as ready for pickup" in page.text and "and to pay at the counter." in page.text
    ready = await post_form(client, f"{url}/ready", htmx=True)
    assert ready.status_code == 200 and "<html" not in ready.text
    assert "is ready for pickup: the customer has been emailed." in ready.headers["hx-trigger"]
    assert _badges(ready.text) == ["Pending", "Ready for pickup"]
    assert f'action="{url}/ready"' not in ready.text
    mail = await db_session.scalar(select(OutboxEmail).where(OutboxEmail.template == "orders/ready"))
    assert mail.subject == f"Order {order.number} is ready for pickup"
    assert "is ready: collect it at The studio, 12 rue des Potiers, 69001 Lyon." in mail.text_body
    assert "Tuesday to Saturday" in mail.text_body
    assert "Please pay €30.00 when you collect it." in mail.text_body

    again = await post_form(client, f"{url}/ready", htmx=True)
    assert again.status_code == 422 and "The customer has already been told" in again.text
    listed = await client.get("/admin/orders?fulfilment=ready", headers={"HX-Request": "true"})
    assert order.number in listed.text and "Ready for pickup</span>" in listed.text
    waiting = await client.get("/admin/orders?fulfilment=unfulfilled", headers={"HX-Request": "true"})
    assert order.number not in waiting.text and "Ready for pickup</span>" not in waiting.text
    assert _badges((await client.get(order_path(order.number))).text) == ["Pending", "Ready for pickup"]

    # The customer pays at the counter and takes the order.
    await post_form(client, f"{url}/paid")
    handed = await post_form(client, f"{url}/delivered", follow_redirects=False)
    assert handed.status_code == 303
    order = await load_order(db_session, order.id)
    await db_session.refresh(order)
    assert (order.status, order.fulfilment_status) == ("delivered", "delivered")
    assert "ready" not in allowed_actions(order)


async def test_only_a_paid_or_pay_at_the_counter_order_is_made_ready(client, admin, db_session) -> None:
    order = await _collected_order(client, db_session, "bank_transfer")
    assert ready_refusal(order) == (
        "This order is not paid yet: mark it paid before telling the customer to collect it."
    )
    assert "ready" not in allowed_actions(order)
    await staff_mark_paid(db_session, order, actor=STAFF)
    assert ready_refusal(order) is None and "ready" in allowed_actions(order)
    await mark_ready(db_session, order, actor=STAFF)
    await db_session.commit()
    mail = await db_session.scalar(select(OutboxEmail).where(OutboxEmail.template == "orders/ready"))
    assert "Please pay" not in mail.text_body
    # Nothing has left the shop: a ready order can still be cancelled, refunded and restocked.
    assert "cancel" in allowed_actions(order)
    await staff_cancel(db_session, order, actor=STAFF, reason="never came")
    await db_session.commit()
    assert (order.status, order.fulfilment_status) == ("cancelled", "unfulfilled")
    assert order.refunded_total == order.total
    assert (await db_session.scalar(select(Product.stock))) == 10
    assert ready_refusal(order) == "An order that is cancelled cannot be made ready for pickup."


async def test_a_shipped_order_is_never_made_ready_for_pickup(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1250, stock=10)
    rate = await make_france_shipping(db_session)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    await post_form(client, "/checkout/pay", {"provider": "bank_transfer"})
    order = await load_order(db_session, await db_session.scalar(select(Order.id)))
    await staff_mark_paid(db_session, order, actor=STAFF)
    assert ready_refusal(order) == "Only an order collected at the shop is made ready for pickup."
    with pytest.raises(OrderError, match="Only an order collected at the shop"):
        await mark_ready(db_session, order, actor=STAFF)
    assert "ready" not in allowed_actions(order) and order.fulfilment_status == "unfulfilled"


async def test_a_ready_order_refunded_in_full_is_no_longer_waiting(client, admin, db_session) -> None:
    order = await _collected_order(client, db_session, "bank_transfer")
    await staff_mark_paid(db_session, order, actor=STAFF)
    await mark_ready(db_session, order, actor=STAFF)
    await staff_refund(db_session, order, RefundInput(amount=1000), actor=STAFF)
    assert (order.status, order.fulfilment_status) == ("paid", "ready")  # part refunded: still to collect
    await staff_refund(db_session, order, RefundInput(amount=order.total - 1000), actor=STAFF)
    await db_session.commit()
    assert (order.status, order.fulfilment_status) == ("refunded", "unfulfilled")
