"""Checkout keeps the shop's set-up (shipping rates, tax rates, checkout settings, automatic
discounts) per catalogue version: a staff change is seen by the very next checkout page, and an
automatic discount's usage limit (which orders, not staff, use up) is never read from memory."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import post_form
from tests.orders.helpers import add_to_cart, fill_checkout, make_france_shipping, offer_payments
from tests.shop.helpers import make_product
from verso.domains.orders.models import Order
from verso.domains.shop.services._discounts import DiscountInput, DiscountService
from verso.domains.shop.services._shipping import RateInput, ShippingService, parse_places
from verso.domains.shop.services._tax_rates import TaxRateInput, TaxRateService
from verso.lib.audit import Actor

ACTOR = Actor(label="test")


async def _total(client) -> str:
    page = await client.get("/checkout")
    assert page.status_code == 200
    return page.text


async def test_staff_changes_to_the_set_up_show_on_the_next_checkout_page(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1000, stock=10)
    rate = await make_france_shipping(db_session, 500)
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    assert "€15.00" in await _total(client)  # 10.00 + 5.00 shipping: now kept in memory

    shipping = ShippingService(session=db_session)
    zone = await shipping.zone(rate.zone_id)
    await shipping.save_rate(zone, zone.rates[0], RateInput("Colissimo", "flat", price=700), actor=ACTOR)
    await db_session.commit()
    assert "€17.00" in await _total(client)

    places, _ = parse_places("FR", "", "")
    await TaxRateService(session=db_session).save_rate(
        None, TaxRateInput("VAT", 2000, places=places), actor=ACTOR
    )
    await db_session.commit()
    assert "€20.40" in await _total(client)  # 20% on goods and shipping, on top

    await offer_payments(db_session, prices_include_tax=True)
    assert "€17.00" in await _total(client)  # the same prices, tax now included

    discounts = DiscountService(session=db_session)
    spring = await discounts.save_discount(None, DiscountInput("Spring", "fixed_amount", 300), actor=ACTOR)
    await db_session.commit()
    assert "€14.00" in await _total(client)  # applied automatically

    await discounts.set_active(spring, False, actor=ACTOR)
    await db_session.commit()
    assert "€17.00" in await _total(client)


async def test_an_automatic_discount_used_up_by_an_order_stops_at_once(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1000, stock=10)
    rate = await make_france_shipping(db_session, 500)
    await DiscountService(session=db_session).save_discount(
        None, DiscountInput("Launch", "fixed_amount", 200, maximum_uses=1), actor=ACTOR
    )
    await db_session.commit()
    for email in ("ann@example.com", "bob@example.com"):
        await add_to_cart(client, mug)
        await fill_checkout(client, rate, email=email)
        paid = await post_form(client, "/checkout/pay", {"provider": "bank_transfer"}, follow_redirects=False)
        assert paid.status_code == 303, paid.text[:2000]
    orders = await db_session.execute(select(Order.email, Order.discount_total).order_by(Order.number))
    assert [tuple(o) for o in orders] == [("ann@example.com", 200), ("bob@example.com", 0)]


async def test_a_write_that_bypasses_the_services_is_seen_too(client, admin, db_session) -> None:
    mug = await make_product(db_session, "Blue mug", price=1000, stock=10)
    rate = await make_france_shipping(db_session, 500)  # written straight through the ORM
    await add_to_cart(client, mug)
    await fill_checkout(client, rate)
    assert "€15.00" in await _total(client)
    rate.price = 900
    await db_session.commit()
    assert "€19.00" in await _total(client)
