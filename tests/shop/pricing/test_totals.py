"""The whole order: the documented order of stages, which discounts win, gift cards, and the
properties every total keeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from verso.domains.shop.pricing import (
    Address,
    CartLine,
    Checkout,
    Discount,
    GiftCard,
    Refusal,
    Region,
    ShippingRate,
    ShippingZone,
    TaxRate,
    Totals,
    price_checkout,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOME = Address("FR", "", "75011")
STANDARD = ShippingRate(uuid4(), "Standard", "flat", price=500, days_min=2, days_max=4)
FRANCE = ShippingZone(uuid4(), "France", Region(countries=("FR",)), rates=(STANDARD,))
VAT = TaxRate(uuid4(), "VAT", 2000)
LINES = (CartLine(UUID(int=1), 2500, 2, weight=300), CartLine(UUID(int=2), 1000, 1, is_shippable=False))
TEN = Discount(uuid4(), "Ten off", "percentage", 1000, code="TEN")
SHOP = Checkout(
    lines=LINES,
    discounts=(TEN,),
    address=HOME,
    zones=(FRANCE,),
    shipping_rate_id=STANDARD.id,
    tax_rates=(VAT,),
)


def euros(minor: int) -> str:
    return f"€{minor // 100}.{minor % 100:02d}"


def price(checkout: Checkout = SHOP, **changes: object) -> Totals:
    return price_checkout(replace(checkout, **changes), now=NOW, format_money=euros)


def card(code: str = "GIFT-1", balance: int = 3000, **fields: object) -> GiftCard:
    return GiftCard(uuid4(), code, balance, **fields)  # type: ignore[arg-type]


def test_the_documented_order_worked_through() -> None:
    gift = card()
    totals = price(codes=("ten",), gift_cards=(gift,), gift_card_codes=("gift1",))
    assert totals.subtotal == 6000
    assert [a.line_amounts for a in totals.discounts] == [(500, 100)]  # 10% of 6000, per line
    assert (totals.shipping.amount, totals.shipping_charged) == (500, 500)  # type: ignore[union-attr]
    assert [(t.name, t.amount) for t in totals.taxes.lines] == [("VAT", 1180)]  # 20% of 5400 + 500
    assert totals.total == 5400 + 500 + 1180
    assert [(r.amount, r.balance_after) for r in totals.gift_cards] == [(3000, 0)]
    assert totals.amount_due == 7080 - 3000
    assert [(r.subtotal, r.discount, r.tax, r.total) for r in totals.lines] == [
        (5000, 500, 900, 5400),
        (1000, 100, 180, 1080),
    ]
    assert totals.refusals == ()
    assert totals.ready


def test_free_shipping_threshold_sees_the_discounted_goods() -> None:
    over = replace(STANDARD, free_over=5500)
    zone = replace(FRANCE, rates=(over,))
    assert price(zones=(zone,)).shipping_charged == 0  # 6000 without the code
    assert price(zones=(zone,), codes=("TEN",)).shipping_charged == 500  # 5400 with it


def test_free_shipping_discount_zeroes_the_chosen_rate_up_to_its_cap() -> None:
    free = Discount(uuid4(), "Free delivery", "free_shipping", code="SHIP")
    totals = price(discounts=(free,), codes=("SHIP",))
    assert (totals.shipping_discount, totals.shipping_charged, totals.discount_total) == (500, 0, 500)
    assert totals.taxes.shipping_tax == 0
    capped = price(discounts=(replace(free, maximum_discount=300),), codes=("SHIP",))
    assert (capped.shipping_discount, capped.shipping_charged) == (300, 200)


def test_collected_at_the_shop_no_rate_no_charge_and_no_free_shipping() -> None:
    free = Discount(uuid4(), "Free delivery", "free_shipping", code="SHIP")
    automatic = Discount(uuid4(), "Always free", "free_shipping")
    shop = Address("FR", "", "69001")
    totals = price(
        pickup=True, address=shop, shipping_rate_id=None, discounts=(free, automatic), codes=("SHIP",)
    )
    assert totals.shipping is not None and totals.shipping.rate_id is None and totals.shipping_charged == 0
    assert totals.shipping_options == () and totals.discounts == () and totals.ready
    assert [(r.reason, r.message, r.subject) for r in totals.refusals] == [
        ("not_applicable", "You collect your order: there is no shipping to take off.", "SHIP")
    ]
    assert totals.total == 6000 + 1200  # VAT on the goods only


def test_inclusive_prices_keep_the_total_and_show_the_tax_inside() -> None:
    totals = price(prices_include_tax=True)
    assert totals.total == 6000 + 500
    assert totals.taxes.total == 1083  # 6500 / 6 = 1083.33


def test_no_address_yet_means_no_shipping_and_no_tax() -> None:
    totals = price(address=None)
    assert (totals.total, totals.taxes.lines, totals.shipping_options) == (6000, (), ())
    assert not totals.ready
    digital = price(address=None, lines=LINES[1:])
    assert digital.ready and not digital.needs_shipping


def test_an_unavailable_rate_is_refused() -> None:
    totals = price(shipping_rate_id=uuid4())
    assert totals.shipping is None and not totals.ready
    assert [r.reason for r in totals.refusals] == ["shipping_unavailable"]


# ---- which discounts apply --------------------------------------------------------------------------
SUMMER = Discount(uuid4(), "Summer sale", "percentage", 1000)  # automatic, not combinable


def test_the_better_of_a_code_and_an_automatic_offer_wins() -> None:
    big = Discount(uuid4(), "Big", "percentage", 1500, code="BIG")
    won = price(discounts=(SUMMER, big), codes=("BIG",))
    assert [a.discount.name for a in won.discounts] == ["Big"] and won.refusals == ()
    small = Discount(uuid4(), "Small", "percentage", 500, code="SMALL")
    lost = price(discounts=(SUMMER, small), codes=("SMALL",))
    assert [a.discount.name for a in lost.discounts] == ["Summer sale"]
    assert lost.refusals == (
        Refusal("not_combinable", "This code cannot be combined with Summer sale.", "SMALL"),
    )


def test_combinable_discounts_stack_automatic_first() -> None:
    auto = replace(SUMMER, combinable=True)
    fixed = Discount(uuid4(), "Fiver", "fixed_amount", 500, code="FIVER", combinable=True)
    totals = price(discounts=(fixed, auto), codes=("FIVER",))
    assert [(a.discount.name, a.amount) for a in totals.discounts] == [("Summer sale", 600), ("Fiver", 500)]


def test_a_second_code_that_cannot_combine_is_refused_and_the_first_kept() -> None:
    other = Discount(uuid4(), "Other", "fixed_amount", 100, code="OTHER")
    totals = price(discounts=(TEN, other), codes=("TEN", "OTHER", "ten"))
    assert [a.discount.code for a in totals.discounts] == ["TEN"]
    assert [(r.reason, r.subject) for r in totals.refusals] == [("not_combinable", "OTHER")]


def test_refused_codes_reach_the_totals() -> None:
    expired = replace(TEN, ends_at=NOW - timedelta(days=1))
    totals = price(discounts=(expired,), codes=("TEN", "NOPE"))
    assert [r.reason for r in totals.refusals] == ["expired", "unknown"]
    assert totals.discounts == ()


# ---- gift cards -------------------------------------------------------------------------------------
def test_each_gift_card_refusal() -> None:
    cards = (
        card("OFF", active=False),
        card("OLD", expires_at=NOW),
        card("EMPTY", balance=0),
        card("DOLLARS", currency="USD"),
        card("EUROS", currency="EUR", balance=1),
    )
    totals = price(
        gift_cards=cards, gift_card_codes=("OFF", "OLD", "EMPTY", "WHO", "DOLLARS"), currency="EUR"
    )
    assert [(r.reason, r.message) for r in totals.refusals] == [
        ("inactive", "This gift card has been deactivated."),
        ("expired", "This gift card expired on 2026-03-01."),
        ("empty", "This gift card has no balance left."),
        ("unknown", "We don't recognise this gift card code. Check it for typos."),
        ("currency", "This gift card is in USD and cannot pay for an order in EUR."),
    ]
    assert totals.gift_cards == () and totals.amount_due == totals.total


def test_several_cards_pay_in_turn_and_the_last_keeps_a_balance() -> None:
    first, second, spare = card("A", 5000), card("B", 5000), card("C", 100)
    totals = price(gift_cards=(first, second, spare), gift_card_codes=("a", "b", "c", "a"))
    assert totals.total == 7800
    assert [(r.card.code, r.amount, r.balance_after) for r in totals.gift_cards] == [
        ("A", 5000, 0),
        ("B", 2800, 2200),
    ]
    assert totals.amount_due == 0
    assert [(r.reason, r.subject) for r in totals.refusals] == [("not_needed", "C")]


# ---- properties -------------------------------------------------------------------------------------
ids = [UUID(int=n) for n in range(1, 4)]
lines_strategy = st.lists(
    st.builds(
        CartLine,
        product_id=st.sampled_from(ids),
        unit_price=st.integers(min_value=0, max_value=20_000),
        quantity=st.integers(min_value=1, max_value=4),
        weight=st.integers(min_value=0, max_value=3000),
        is_shippable=st.booleans(),
    ),
    min_size=1,
    max_size=4,
)
discounts_strategy = st.lists(
    st.builds(
        Discount,
        id=st.uuids(),
        name=st.just("offer"),
        kind=st.sampled_from(["percentage", "fixed_amount", "buy_x_get_y", "free_shipping"]),
        value=st.integers(min_value=0, max_value=12_000),
        code=st.none() | st.sampled_from(["A", "B", "C"]),
        maximum_discount=st.none() | st.integers(min_value=0, max_value=5000),
        applies_to=st.sampled_from(["all", "products"]),
        product_ids=st.just(frozenset(ids[:1])),
        combinable=st.booleans(),
    ),
    max_size=4,
)
rates_strategy = st.lists(
    st.builds(
        ShippingRate,
        id=st.uuids(),
        name=st.just("rate"),
        kind=st.sampled_from(["flat", "weight", "price", "free"]),
        price=st.integers(min_value=0, max_value=3000),
        price_per_kg=st.integers(min_value=0, max_value=500),
        free_over=st.none() | st.integers(min_value=0, max_value=30_000),
    ),
    min_size=1,
    max_size=3,
)
taxes_strategy = st.lists(
    st.builds(
        TaxRate,
        id=st.uuids(),
        name=st.just("tax"),
        rate=st.integers(min_value=0, max_value=3000),
        priority=st.integers(min_value=1, max_value=2),
        compound=st.booleans(),
        applies_to_shipping=st.booleans(),
    ),
    max_size=3,
)
cards_strategy = st.lists(
    st.builds(
        GiftCard, id=st.uuids(), code=st.sampled_from(["G1", "G2", "G3"]), balance=st.integers(0, 20_000)
    ),
    max_size=3,
    unique_by=lambda c: c.code,
)


@st.composite
def checkouts(draw: st.DrawFn) -> Checkout:
    rates = draw(rates_strategy)
    cards = draw(cards_strategy)
    return Checkout(
        lines=tuple(draw(lines_strategy)),
        discounts=tuple(draw(discounts_strategy)),
        codes=tuple(draw(st.lists(st.sampled_from(["A", "B", "C"]), max_size=3))),
        address=HOME,
        zones=(ShippingZone(uuid4(), "World", rest_of_world=True, rates=tuple(rates)),),
        shipping_rate_id=draw(st.sampled_from([r.id for r in rates])),
        tax_rates=tuple(draw(taxes_strategy)),
        prices_include_tax=draw(st.booleans()),
        gift_cards=tuple(cards),
        gift_card_codes=tuple(c.code for c in cards),
        pickup=draw(st.booleans()),
    )


@settings(max_examples=200, deadline=None)
@given(checkout=checkouts())
def test_every_total_keeps_its_invariants(checkout: Checkout) -> None:
    totals = price_checkout(checkout, now=NOW, format_money=euros)
    assert totals.total >= 0 and totals.amount_due >= 0
    assert totals.amount_due == totals.total - totals.gift_card_total
    for applied in totals.discounts:
        cap = applied.discount.maximum_discount
        assert cap is None or applied.amount <= cap
        assert applied.amount == sum(applied.line_amounts) + applied.shipping_amount
    for line in totals.lines:
        assert 0 <= line.discount <= line.subtotal
    assert 0 <= totals.shipping_charged
    if checkout.pickup:  # collected: nothing charged for shipping, nothing waived
        assert totals.shipping_charged == totals.shipping_discount == 0
        assert all(a.discount.kind != "free_shipping" for a in totals.discounts)
    for redemption in totals.gift_cards:
        assert 0 < redemption.amount <= redemption.card.balance
    assert totals.gift_card_total <= totals.total
    if sum(c.balance for c in checkout.gift_cards) >= totals.total:
        assert totals.amount_due == 0
    goods = sum(line.subtotal - line.discount for line in totals.lines)
    assert totals.discount_total == totals.subtotal - goods + totals.shipping_discount
    if checkout.prices_include_tax:
        assert totals.total == goods + totals.shipping_charged  # the price sum: tax is inside it
    else:
        assert totals.total == goods + totals.shipping_charged + totals.taxes.total
        assert sum(line.total for line in totals.lines) == goods + sum(totals.taxes.line_taxes)


def test_a_gift_card_line_is_neither_discounted_nor_taxed_nor_counted_towards_a_minimum() -> None:
    gift = CartLine(UUID(int=3), 5000, 1, is_shippable=False, is_gift_card=True)
    totals = price(lines=(*LINES, gift), codes=("ten",))
    assert [a.line_amounts for a in totals.discounts] == [(500, 100, 0)]
    assert [(r.subtotal, r.discount, r.tax, r.total) for r in totals.lines][2] == (5000, 0, 0, 5000)
    assert [(t.name, t.amount) for t in totals.taxes.lines] == [("VAT", 1180)]  # as without the card
    assert totals.total == 5400 + 500 + 1180 + 5000
    big_spender = replace(TEN, minimum_order=7000)
    only_card = price(lines=(*LINES, gift), discounts=(big_spender,), codes=("ten",))
    assert [(r.reason, r.message) for r in only_card.refusals] == [
        ("minimum_not_met", "Spend €10.00 more to use this code.")
    ]
