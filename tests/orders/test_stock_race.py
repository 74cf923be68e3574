"""No overselling: 50 buyers check out at once for the last 10 units, each in their own session,
and exactly 10 orders are placed, the stock ends at zero, and the order numbers have no gaps. Runs on
whichever engine the suite runs on (SQLite and PostgreSQL in CI)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from tests.orders.helpers import ADDRESS, make_france_shipping
from tests.shop.helpers import make_product
from verso.domains.orders.models import CheckoutDraft, Order
from verso.domains.orders.services._checkout import load_checkout, pay
from verso.domains.orders.services._placing import CheckoutError
from verso.domains.shop.models import Cart, CartItem, Product
from verso.domains.shop.services._cart import CartOwner, new_token, token_hash

BUYERS, UNITS = 50, 10


async def _buyers(db_session, product, rate) -> list[CartOwner]:
    owners = []
    for number in range(BUYERS):
        token = new_token()
        cart = Cart(token_hash=token_hash(token), discount_codes=[], gift_card_codes=[])
        item = CartItem(
            line_key=f"p:{product.id}", product_id=product.id, quantity=1, seen_price=product.price
        )
        item.details, item.bundle_items = {}, []
        cart.items = [item]
        db_session.add(cart)
        await db_session.flush()
        db_session.add(
            CheckoutDraft(
                cart_id=cart.id,
                email=f"buyer{number}@example.com",
                name=f"Buyer {number}",
                shipping_address=ADDRESS,
                shipping_rate_id=rate.id,
            )
        )
        owners.append(CartOwner(token=token))
    await db_session.commit()
    return owners


async def test_fifty_buyers_for_ten_units(admin, db_session, session_maker) -> None:
    product = await make_product(db_session, "Last mugs", price=1000, stock=UNITS)
    rate = await make_france_shipping(db_session)
    owners = await _buyers(db_session, product, rate)
    sessions = [session_maker() for _ in owners]
    try:
        # Everyone sees "in stock" first (and gives the connection back to the pool); then all pay at once.
        states = []
        for session, owner in zip(sessions, owners, strict=True):
            states.append(await load_checkout(session, owner))
            await session.commit()
        assert all(state is not None and not state.priced.view.problems for state in states)

        async def buy(session, state) -> str:
            try:
                await pay(session, state, "bank_transfer")
            except CheckoutError as error:
                return error.message
            return "bought"

        outcomes = await asyncio.gather(*(buy(s, st) for s, st in zip(sessions, states, strict=True)))
    finally:
        for session in sessions:
            await session.close()
    assert outcomes.count("bought") == UNITS, outcomes
    assert all("sold out" in outcome for outcome in outcomes if outcome != "bought")
    product_id = product.id
    db_session.expire_all()
    assert await db_session.scalar(select(Product.stock).where(Product.id == product_id)) == 0
    numbers = sorted((await db_session.scalars(select(Order.number))).all())
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(range(1, UNITS + 1))
