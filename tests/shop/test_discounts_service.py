"""What checkout calls for discounts: reading them as pricing values, counting a buyer's uses, and
recording and releasing uses atomically (the last uses raced for by many buyers at once)."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from sqlalchemy import func, select

from tests.shop.helpers import ACTOR
from verso.domains.identity.models import User
from verso.domains.shop import pricing
from verso.domains.shop.models import Discount, DiscountUsage
from verso.domains.shop.services._discounts import (
    DiscountInput,
    DiscountService,
    discount_uses,
    pricing_discounts,
    record_discount_use,
    release_discount_uses,
)


async def _discount(db_session, name: str, **fields) -> Discount:
    fields.setdefault("value", 1000)
    discount = await DiscountService(session=db_session).save_discount(
        None, DiscountInput(name=name, **fields), actor=ACTOR
    )
    await db_session.commit()
    return discount


async def test_pricing_discounts_are_automatic_ones_then_typed_codes(db_session) -> None:
    auto = await _discount(db_session, "Summer", kind="free_shipping")
    await _discount(db_session, "Switched off", is_active=False)
    first = await _discount(db_session, "First", code="FIRST")
    second = await _discount(db_session, "Second", code="second", maximum_uses=3, combinable=True)
    await _discount(db_session, "Off code", code="OFF", is_active=False)
    assert [d.id for d in await pricing_discounts(db_session, [])] == [auto.id]
    found = await pricing_discounts(db_session, [" second", "first", "off", "nope", "FIRST"])
    assert [d.id for d in found] == [auto.id, second.id, first.id]
    value = found[1]
    assert isinstance(value, pricing.Discount)
    assert (value.code, value.kind, value.value, value.maximum_uses, value.uses, value.combinable) == (
        "SECOND", "percentage", 1000, 3, 0, True,
    )  # fmt: skip


async def test_pricing_discount_maps_products_and_collections(db_session) -> None:
    from tests.shop.helpers import make_product
    from verso.domains.shop.models import Collection

    mug = await make_product(db_session, "Mug")
    gifts = Collection(name="Gifts", slug="gifts")
    db_session.add(gifts)
    await db_session.commit()
    await _discount(db_session, "Mugs", code="MUGS", applies_to="products", product_ids=[mug.id])
    await _discount(db_session, "Gifts", code="GIFTS", applies_to="collections", collection_ids=[gifts.id])
    mugs, gift = await pricing_discounts(db_session, ["mugs", "gifts"])
    assert mugs.product_ids == frozenset({mug.id}) and mugs.applies_to == "products"
    assert gift.collection_ids == frozenset({gifts.id}) and gift.product_ids == frozenset()


async def test_uses_count_by_customer_and_by_email(db_session) -> None:
    from tests.factories import make_user

    ann: User = await make_user("ann@example.com", ["user"])
    code = await _discount(db_session, "Code", code="CODE")
    other = await _discount(db_session, "Other", code="OTHER")
    for customer_id, email, discount in (
        (None, "ANN@example.com", code),  # as a guest, before signing up
        (ann.id, "ann@example.com", code),
        (ann.id, "ann.work@example.com", other),  # signed in, another address
        (None, "bob@example.com", code),
    ):
        assert await record_discount_use(
            db_session,
            discount_id=discount.id,
            order_id=uuid4(),
            customer_id=customer_id,
            email=email,
            amount=100,
        )
    await db_session.commit()
    assert await discount_uses(db_session, customer_id=ann.id, email="Ann@Example.com") == {
        code.id: 2,
        other.id: 1,
    }
    assert await discount_uses(db_session, customer_id=None, email=" ann@EXAMPLE.com") == {code.id: 2}
    assert await discount_uses(db_session, customer_id=None, email="bob@example.com") == {code.id: 1}
    assert await discount_uses(db_session, customer_id=None, email="new@example.com") == {}


async def test_a_buyers_own_limit_is_checked_when_the_use_is_taken(db_session, session_maker) -> None:
    """Two checkouts of one buyer priced before either placed (both saw no use yet): the second
    placement, in its own transaction, is refused, counting guest and account uses alike."""
    discount = await _discount(db_session, "Once", code="ONCE", per_customer_limit=1)
    await db_session.commit()

    async def use(email: str) -> bool:
        async with session_maker() as session:
            taken = await record_discount_use(
                session, discount_id=discount.id, order_id=uuid4(), customer_id=None, email=email, amount=10
            )
            await (session.commit() if taken else session.rollback())
            return taken

    assert [await use("ann@example.com"), await use("ANN@example.com "), await use("bob@example.com")] == [
        True,
        False,
        True,
    ]
    await db_session.refresh(discount)
    assert discount.uses == 2  # the refused use was rolled back with its transaction


async def test_record_refuses_past_the_limit_and_release_gives_uses_back(db_session) -> None:
    discount = await _discount(db_session, "Two", code="TWO", maximum_uses=2)
    orders = [uuid4() for _ in range(3)]
    results = [
        await record_discount_use(
            db_session,
            discount_id=discount.id,
            order_id=o,
            customer_id=None,
            email="a@example.com",
            amount=50,
        )
        for o in orders
    ]
    await db_session.commit()
    assert results == [True, True, False]
    await db_session.refresh(discount)
    assert discount.uses == 2
    assert await db_session.scalar(select(func.count()).select_from(DiscountUsage)) == 2
    await release_discount_uses(db_session, orders[0])
    await release_discount_uses(db_session, orders[0])  # twice: nothing more to give back
    await db_session.commit()
    await db_session.refresh(discount)
    assert discount.uses == 1
    assert set((await db_session.scalars(select(DiscountUsage.order_id))).all()) == {orders[1]}
    assert await record_discount_use(
        db_session,
        discount_id=discount.id,
        order_id=orders[2],
        customer_id=None,
        email="a@example.com",
        amount=50,
    )


async def test_release_never_goes_below_zero(db_session) -> None:
    discount = await _discount(db_session, "Any", code="ANY")
    order = uuid4()
    for _ in range(2):  # one order, two lines of use (as a stacked code would record)
        await record_discount_use(
            db_session,
            discount_id=discount.id,
            order_id=order,
            customer_id=None,
            email="a@example.com",
            amount=1,
        )
    discount.uses = 1  # as if staff had fixed the count by hand meanwhile
    await db_session.commit()
    await release_discount_uses(db_session, order)
    await db_session.commit()
    await db_session.refresh(discount)
    assert discount.uses == 0


async def test_twenty_buyers_race_for_five_uses(db_session, session_maker) -> None:
    discount = await _discount(db_session, "Five", code="FIVE", maximum_uses=5)

    async def buy(n: int) -> bool:
        async with session_maker() as session:
            taken = await record_discount_use(
                session,
                discount_id=discount.id,
                order_id=uuid4(),
                customer_id=None,
                email=f"b{n}@example.com",
                amount=1,
            )
            await session.commit()
            return taken

    results = await asyncio.gather(*(buy(n) for n in range(20)))
    assert results.count(True) == 5
    await db_session.refresh(discount)
    assert discount.uses == 5
    assert await db_session.scalar(select(func.count()).select_from(DiscountUsage)) == 5
