"""Bundle pricing (examples and properties), the staff's bundle rules, and which bundles a visitor
is offered (active, in their window, every required item for sale)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.shop.helpers import ACTOR, make_attribute, make_product
from verso.domains.shop.forms import basis_points, bundle_value_text
from verso.domains.shop.models import BundleItem, ProductVariant
from verso.domains.shop.services import (
    BundleInput,
    BundleService,
    ItemChange,
    Line,
    ProductError,
    ProductInput,
    ProductService,
    VariantService,
    bundle_offer,
    bundle_offers_for,
    bundle_price,
)
from verso.lib import clock
from verso.lib.audit import AuditLog
from verso.lib.forms import FormState

# ---- the pure price rule --------------------------------------------------------------------
MUG, DRIPPER, TOWELS = Line(1800, 2), Line(2900, 1), Line(2400, 1, optional=True, selected=False)


def test_percentage_off_everything_chosen() -> None:
    price = bundle_price("percentage", 1500, [MUG, DRIPPER, TOWELS])
    assert (price.items_total, price.price, price.saving) == (6500, 5525, 975)
    with_towels = bundle_price("percentage", 1500, [MUG, DRIPPER, Line(2400, 1, optional=True)])
    assert (with_towels.items_total, with_towels.price) == (8900, 7565)
    assert bundle_price("percentage", 3333, [Line(1, 1)]).price == 1  # 0.33 off rounds to 0
    assert bundle_price("percentage", 5000, [Line(1, 1)]).price == 0  # half a cent off rounds up


def test_amount_off_and_never_negative() -> None:
    assert bundle_price("amount", 500, [MUG, DRIPPER]).price == 6000
    free = bundle_price("amount", 99_999, [MUG, DRIPPER])
    assert (free.price, free.saving) == (0, 6500)


def test_fixed_price_covers_required_items_and_extras_add_their_price() -> None:
    assert bundle_price("fixed", 5000, [MUG, DRIPPER, TOWELS]).price == 5000
    chosen = bundle_price("fixed", 5000, [MUG, DRIPPER, Line(2400, 1, optional=True)])
    assert (chosen.price, chosen.saving) == (7400, 1500)
    dearer = bundle_price("fixed", 9000, [MUG, DRIPPER])
    assert (dearer.price, dearer.saving) == (6500, 0)  # never more than buying them one by one


def test_unknown_pricing_and_empty_bundles_cost_their_items() -> None:
    assert bundle_price("mystery", 500, [MUG]).saving == 0
    assert bundle_price("percentage", 1000, []).price == 0


lines = st.lists(
    st.builds(
        Line,
        unit_price=st.integers(0, 1_000_000),
        quantity=st.integers(0, 50),
        optional=st.booleans(),
        selected=st.booleans(),
    ),
    max_size=8,
)


@given(
    pricing=st.sampled_from(["fixed", "percentage", "amount"]),
    value=st.integers(-(10**6), 10**8),
    chosen=lines,
)
def test_price_properties(pricing: str, value: int, chosen: list[Line]) -> None:
    price = bundle_price(pricing, value, chosen)
    counted = sum(line.total for line in chosen if line.counts)
    assert price.items_total == counted
    assert 0 <= price.price <= price.items_total
    assert price.saving == price.items_total - price.price >= 0
    if pricing == "fixed" and value >= sum(line.total for line in chosen if not line.optional):
        assert price.saving == 0


@given(pricing=st.sampled_from(["fixed", "percentage", "amount"]), value=st.integers(0, 10**6), chosen=lines)
def test_choosing_an_extra_never_lowers_the_price(pricing: str, value: int, chosen: list[Line]) -> None:
    extra = Line(1234, 1, optional=True, selected=True)
    without = bundle_price(pricing, value, [*chosen, Line(1234, 1, optional=True, selected=False)])
    assert bundle_price(pricing, value, [*chosen, extra]).price >= without.price


# ---- the staff's rules ----------------------------------------------------------------------
def test_percentages_typed_and_shown() -> None:
    form = FormState()
    assert [basis_points(form, "value", text) for text in ("15", "12.5", "7,25 %", "100")] == [
        1500,
        1250,
        725,
        10_000,
    ]
    assert form.valid
    for text in ("0", "101", "1.005", "abc", "-5"):
        form = FormState()
        assert basis_points(form, "value", text) is None and not form.valid, text
    shown = [bundle_value_text("percentage", value, "EUR") for value in (1000, 1500, 1250, 725, 10_000, 5)]
    assert shown == ["10", "15", "12.5", "7.25", "100", "0.05"]
    assert bundle_value_text("fixed", 4900, "EUR") == "49.00"


async def test_bundle_rules_and_items(db_session) -> None:
    service = BundleService(session=db_session)
    with pytest.raises(ProductError) as caught:
        await service.save_bundle(None, BundleInput(name="", pricing="percentage", value=0), actor=ACTOR)
    assert set(caught.value.errors) == {"name", "value"}
    with pytest.raises(ProductError) as caught:
        await service.save_bundle(None, BundleInput(name="X", pricing="barter", value=1), actor=ACTOR)
    assert set(caught.value.errors) == {"pricing"}
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ProductError) as caught:
        await service.save_bundle(
            None, BundleInput(name="X", pricing="fixed", value=-1, starts_at=now, ends_at=now), actor=ACTOR
        )
    assert set(caught.value.errors) == {"value", "ends_at"}
    with pytest.raises(ProductError) as caught:  # a fixed price of nothing would give the items away
        await service.save_bundle(None, BundleInput(name="X", pricing="fixed", value=0), actor=ACTOR)
    assert caught.value.errors == {"value": "Enter a price above zero."}
    created = await service.save_bundle(None, BundleInput(name="Coffee set", value=1500), actor=ACTOR)
    assert created.slug == "coffee-set"
    tee = await make_product(db_session, "Tee", 2000)
    mug = await make_product(db_session, "Mug", 1000)
    size = await make_attribute(db_session, "Size", ["S"])
    await VariantService(session=db_session).set_axes(tee, {size.id: [size.values[0].id]}, actor=ACTOR)
    other = await make_product(db_session, "Other", 1)
    await VariantService(session=db_session).set_axes(other, {size.id: [size.values[0].id]}, actor=ACTOR)
    await db_session.commit()
    variants = {v.product_id: v for v in (await db_session.scalars(select(ProductVariant))).all()}
    bundle = await service.with_items(created.id)
    await service.add_item(bundle, tee.id, actor=ACTOR)
    await service.add_item(bundle, mug.id, actor=ACTOR)
    tee_item, mug_item = bundle.items
    with pytest.raises(ProductError) as caught:
        await service.update_item(
            bundle, tee_item, ItemChange(0, variants[other.id].id, False, False), actor=ACTOR
        )
    assert set(caught.value.errors) == {"quantity", "variant_id"}
    await service.update_item(bundle, tee_item, ItemChange(2, variants[tee.id].id, False, False), actor=ACTOR)
    await service.update_item(bundle, mug_item, ItemChange(1, None, True, False), actor=ACTOR)
    assert tee_item.is_default_selected  # a required item is always included
    await service.move_item(bundle, mug_item, -1, actor=ACTOR)
    await db_session.commit()
    bundle_id, tee_id, mug_id = bundle.id, tee.id, mug.id
    db_session.expire_all()
    reloaded = await service.with_items(bundle_id)
    assert [(i.product_id, i.position, i.quantity) for i in reloaded.items] == [
        (mug_id, 0, 1),
        (tee_id, 1, 2),
    ]
    await service.remove_item(reloaded, reloaded.items[0], actor=ACTOR)
    await db_session.commit()
    assert (await db_session.scalars(select(BundleItem.product_id))).all() == [tee_id]
    actions = set((await db_session.scalars(select(AuditLog.action))).all())
    for action in ("created", "item_added", "item_updated", "item_moved", "item_removed"):
        assert f"shop.bundle.{action}" in actions


# ---- what visitors are offered --------------------------------------------------------------
async def _coffee_set(db_session, **bundle: object):
    dripper = await make_product(db_session, "Dripper", 2900)
    mug = await make_product(db_session, "Mug", 1800)
    towels = await make_product(db_session, "Towels", 2400)
    service = BundleService(session=db_session)
    created = await service.save_bundle(
        None, BundleInput(name="Coffee set", pricing="percentage", value=1500, **bundle), actor=ACTOR
    )
    found = await service.with_items(created.id)
    for product in (dripper, mug, towels):
        await service.add_item(found, product.id, actor=ACTOR)
    await service.update_item(found, found.items[1], ItemChange(2, None, False, True), actor=ACTOR)
    await service.update_item(found, found.items[2], ItemChange(1, None, True, False), actor=ACTOR)
    await db_session.commit()
    return found, dripper, mug, towels


async def test_offers_on_product_pages_and_the_bundle_page(db_session) -> None:
    bundle, dripper, mug, towels = await _coffee_set(db_session)
    towels_item = bundle.items[2].id
    for product in (dripper, mug, towels):
        offers = await bundle_offers_for(db_session, product.id)
        assert [o.bundle.name for o in offers] == ["Coffee set"]
    offer = offers[0]
    assert (offer.price.items_total, offer.price.price, offer.price.saving) == (6500, 5525, 975)
    assert offer.has_options and [line.selected for line in offer.lines] == [True, True, False]
    chosen = await bundle_offer(db_session, "coffee-set", {towels_item})
    assert (chosen.price.items_total, chosen.price.price) == (8900, 7565)
    none_chosen = await bundle_offer(db_session, "coffee-set", set())
    assert none_chosen.price.items_total == 6500
    assert await bundle_offer(db_session, "no-such-set", None) is None


async def test_offers_need_every_required_item_and_the_window(db_session) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    clock.freeze(now)
    bundle, dripper, mug, towels = await _coffee_set(
        db_session, starts_at=now, ends_at=now + timedelta(days=1)
    )
    assert await bundle_offer(db_session, "coffee-set", None) is not None
    service = ProductService(session=db_session)
    await service.update_product(towels, ProductInput(name="Towels", price=2400, status="draft"), actor=ACTOR)
    await db_session.commit()
    offer = await bundle_offer(db_session, "coffee-set", None)
    assert [line.product.name for line in offer.lines] == ["Dripper", "Mug"]  # the draft extra is left out
    assert await bundle_offers_for(db_session, towels.id) != []
    await service.update_product(mug, ProductInput(name="Mug", price=1800, status="draft"), actor=ACTOR)
    await db_session.commit()
    assert await bundle_offer(db_session, "coffee-set", None) is None  # a required item is hidden
    assert await bundle_offers_for(db_session, dripper.id) == []
    await service.update_product(mug, ProductInput(name="Mug", price=1800, status="active"), actor=ACTOR)
    await db_session.commit()
    clock.freeze(now + timedelta(days=1))
    assert await bundle_offer(db_session, "coffee-set", None) is None  # ended
    clock.freeze(now)
    bundle.is_active = False
    await db_session.commit()
    assert await bundle_offer(db_session, "coffee-set", None) is None
