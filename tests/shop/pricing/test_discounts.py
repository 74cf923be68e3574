"""Discounts: every refusal message, the amounts of each kind, and their arithmetic properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verso.domains.shop.pricing import (
    AppliedDiscount,
    CartLine,
    CustomerContext,
    Discount,
    Refusal,
    apply_discounts,
    automatic_discounts,
    check_discount,
    discount_options,
    evaluate_code,
    share,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
MUG, TEE, EBOOK = UUID(int=1), UUID(int=2), UUID(int=3)
SALE = UUID(int=100)
CART = (
    CartLine(MUG, 1250, 2, collection_ids=frozenset({SALE})),
    CartLine(TEE, 2000, 1),
    CartLine(EBOOK, 500, 1, is_shippable=False),
)  # subtotal 5000


def euros(minor: int) -> str:
    return f"€{minor // 100}.{minor % 100:02d}"


def code(kind: str = "percentage", value: int = 1000, **rules: object) -> Discount:
    return Discount(id=uuid4(), name=f"{kind} offer", kind=kind, value=value, code="SAVE", **rules)  # type: ignore[arg-type]


def evaluate(
    discount: Discount,
    lines: tuple[CartLine, ...] = CART,
    customer: CustomerContext = CustomerContext(),
    accepted: tuple[Discount, ...] = (),
    typed: str = "save",
) -> AppliedDiscount | Refusal:
    return evaluate_code(typed, [discount], lines, customer, now=NOW, format_money=euros, accepted=accepted)


# ---- refusals ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("discount", "customer", "reason", "message"),
    [
        (
            code(starts_at=NOW + timedelta(days=3)),
            None,
            "not_started",
            "This code can be used from 2026-03-04.",
        ),
        (code(ends_at=NOW - timedelta(days=1)), None, "expired", "This code expired on 2026-02-28."),
        (code(ends_at=NOW), None, "expired", "This code expired on 2026-03-01."),
        (code(minimum_order=6250), None, "minimum_not_met", "Spend €12.50 more to use this code."),
        (code(maximum_uses=100, uses=100), None, "usage_limit", "This code has reached its usage limit."),
        (code(eligibility="new"), 2, "new_customers_only", "This code is for a first order only."),
        (
            code(eligibility="returning"),
            0,
            "returning_customers_only",
            "This code is for customers who have ordered before.",
        ),
        (
            code(applies_to="products", product_ids=frozenset({uuid4()})),
            None,
            "not_applicable",
            "Nothing in your cart qualifies for this code.",
        ),
        (
            code(applies_to="collections", collection_ids=frozenset({uuid4()})),
            None,
            "not_applicable",
            "Nothing in your cart qualifies for this code.",
        ),
        (
            code("buy_x_get_y", 10_000, buy_quantity=3, get_quantity=2),
            None,
            "not_applicable",
            "Add 1 more qualifying item to use this code.",
        ),
        (
            code("free_shipping", applies_to="products", product_ids=frozenset({EBOOK})),
            None,
            "not_applicable",
            "Nothing in your cart needs shipping.",
        ),
    ],
)
def test_each_rule_refuses_with_its_message(
    discount: Discount, customer: int | None, reason: str, message: str
) -> None:
    context = CustomerContext(customer_id=uuid4(), paid_orders=customer or 0)
    assert evaluate(discount, customer=context) == Refusal(reason, message, "SAVE")


def test_unknown_code_names_what_was_typed() -> None:
    refused = evaluate(code(), typed="  SUMER10 ")
    assert refused == Refusal("unknown", "We don't recognise this code. Check it for typos.", "SUMER10")


def test_automatic_offers_cannot_be_typed_in() -> None:
    automatic = replace(code(), code=None)
    assert isinstance(evaluate(automatic), Refusal)


def test_already_used_by_you_speaks_to_a_customer_or_to_a_guest_email() -> None:
    discount = code(per_customer_limit=1)
    mine = CustomerContext(customer_id=uuid4(), discount_uses={discount.id: 1})
    guest = CustomerContext(discount_uses={discount.id: 1})
    assert evaluate(discount, customer=mine) == Refusal(
        "used_by_you", "You have already used this code as many times as it allows.", "SAVE"
    )
    assert evaluate(discount, customer=guest).message == (  # type: ignore[union-attr]
        "Your email address has already used this code as many times as it allows."
    )
    assert isinstance(evaluate(replace(discount, per_customer_limit=2), customer=mine), AppliedDiscount)


def test_cannot_be_combined_names_the_other_discount() -> None:
    other = replace(code(), code="WELCOME", combinable=True)
    refused = evaluate(code(combinable=False), accepted=(other,))
    assert refused == Refusal("not_combinable", "This code cannot be combined with WELCOME.", "SAVE")
    assert isinstance(evaluate(code(combinable=True), accepted=(other,)), AppliedDiscount)
    same = code()
    assert isinstance(evaluate(same, accepted=(same,)), AppliedDiscount)  # typed twice is no clash


def test_rules_the_customer_cannot_change_are_reported_first() -> None:
    both = code(ends_at=NOW, minimum_order=99_999)
    assert evaluate(both).reason == "expired"  # type: ignore[union-attr]


def test_window_and_minimum_accept_at_their_bounds() -> None:
    assert isinstance(evaluate(code(starts_at=NOW, minimum_order=5000)), AppliedDiscount)


# ---- amounts ------------------------------------------------------------------------------------------
def test_percentage_is_split_over_lines_and_capped() -> None:
    applied = evaluate(code(value=1250))
    assert isinstance(applied, AppliedDiscount)
    assert applied.line_amounts == (313, 250, 62)  # 625 on 5000, largest remainders first
    capped = evaluate(code(value=5000, maximum_discount=1000))
    assert capped.line_amounts == (500, 400, 100)  # type: ignore[union-attr]


def test_fixed_amount_only_on_covered_lines_and_never_more_than_them() -> None:
    on_sale = code("fixed_amount", 10_000, applies_to="collections", collection_ids=frozenset({SALE}))
    assert evaluate(on_sale).line_amounts == (2500, 0, 0)  # type: ignore[union-attr]
    assert evaluate(code("fixed_amount", 900)).line_amounts == (450, 360, 90)  # type: ignore[union-attr]


def test_buy_two_get_one_free_takes_the_cheapest_and_repeats() -> None:
    offer = code("buy_x_get_y", 10_000, buy_quantity=2, get_quantity=1)
    three = (CartLine(MUG, 1000, 1), CartLine(TEE, 3000, 1), CartLine(EBOOK, 2000, 1))
    assert evaluate(offer, three).line_amounts == (1000, 0, 0)  # type: ignore[union-attr]
    six = (CartLine(MUG, 1000, 2), CartLine(TEE, 3000, 3), CartLine(EBOOK, 2000, 1))
    assert evaluate(offer, six).line_amounts == (2000, 0, 0)  # type: ignore[union-attr]
    half = replace(offer, value=5000)
    assert evaluate(half, six).line_amounts == (1000, 0, 0)  # type: ignore[union-attr]
    seven = (CartLine(MUG, 1000, 1), CartLine(TEE, 3000, 6))
    assert evaluate(offer, seven).line_amounts == (1000, 3000)  # type: ignore[union-attr]


def test_free_shipping_takes_nothing_off_the_goods() -> None:
    assert evaluate(code("free_shipping")).line_amounts == (0, 0, 0)  # type: ignore[union-attr]


def test_stacked_discounts_apply_to_what_the_earlier_ones_left() -> None:
    ten = code(value=1000)
    first, second = apply_discounts([ten, replace(ten, id=uuid4())], [CartLine(MUG, 10_000)])
    assert (first.amount, second.amount) == (1000, 900)
    fixed, after = apply_discounts([code("fixed_amount", 9_000), ten], [CartLine(MUG, 5000)])
    assert (fixed.amount, after.amount) == (5000, 0)


def test_an_automatic_offer_not_yet_earned_gives_a_hint() -> None:
    delivery = Discount(uuid4(), "Free delivery", "free_shipping", minimum_order=5800)
    hint = check_discount(delivery, CART, CustomerContext(), now=NOW, format_money=euros)
    assert hint == Refusal("minimum_not_met", "Spend €8.00 more to get Free delivery.", "Free delivery")


def test_automatic_offers_are_the_earned_ones_in_order() -> None:
    early = replace(code(), code=None, name="Early")
    big = replace(code(minimum_order=10_000), code=None, name="Big spender")
    coded = code()
    assert automatic_discounts([big, coded, early], CART, CustomerContext(), now=NOW) == (early,)


def test_options_stack_the_combinable_and_keep_the_others_alone() -> None:
    auto_a, auto_b = replace(code(combinable=True), code=None), replace(code(), code=None)
    typed = code(combinable=True)
    assert discount_options([auto_a, auto_b], [typed]) == ((auto_a, typed), (auto_b,))
    assert discount_options([auto_b], []) == ((auto_b,),)
    assert discount_options([], []) == ((),)


# ---- properties -------------------------------------------------------------------------------------
lines_strategy = st.lists(
    st.builds(
        CartLine,
        product_id=st.sampled_from([MUG, TEE, EBOOK]),
        unit_price=st.integers(min_value=0, max_value=50_000),
        quantity=st.integers(min_value=1, max_value=6),
        collection_ids=st.sampled_from([frozenset(), frozenset({SALE})]),
    ),
    min_size=1,
    max_size=5,
)
discount_strategy = st.builds(
    Discount,
    id=st.uuids(),
    name=st.just("offer"),
    kind=st.sampled_from(["percentage", "fixed_amount", "buy_x_get_y", "free_shipping"]),
    value=st.integers(min_value=0, max_value=20_000),
    buy_quantity=st.integers(min_value=1, max_value=3),
    get_quantity=st.integers(min_value=0, max_value=3),
    maximum_discount=st.none() | st.integers(min_value=0, max_value=30_000),
    applies_to=st.sampled_from(["all", "products", "collections"]),
    product_ids=st.sampled_from([frozenset({MUG}), frozenset({TEE, EBOOK})]),
    collection_ids=st.just(frozenset({SALE})),
)


@given(lines=lines_strategy, discounts=st.lists(discount_strategy, min_size=1, max_size=4))
def test_discounts_stay_within_caps_lines_and_what_they_cover(
    lines: list[CartLine], discounts: list[Discount]
) -> None:
    applied = apply_discounts(discounts, lines)
    left = [line.subtotal for line in lines]
    for result in applied:
        discount = result.discount
        covered_left = sum(amount for line, amount in zip(lines, left, strict=True) if discount.covers(line))
        if discount.maximum_discount is not None:
            assert result.amount <= discount.maximum_discount
        assert result.amount <= covered_left
        assert result.amount == sum(result.line_amounts)
        for line, taken, before in zip(lines, result.line_amounts, left, strict=True):
            assert 0 <= taken <= before
            assert taken == 0 or discount.covers(line)
        expected = {
            "percentage": share(covered_left, min(discount.value, 10_000)),
            "fixed_amount": min(discount.value, covered_left),
            "free_shipping": 0,
        }.get(discount.kind)
        if expected is not None:
            cap = discount.maximum_discount
            assert result.amount == (expected if cap is None else min(expected, cap))
        left = [before - taken for before, taken in zip(left, result.line_amounts, strict=True)]
    assert all(amount >= 0 for amount in left)


@given(
    prices=st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12),
    buy=st.integers(min_value=1, max_value=4),
    get=st.integers(min_value=1, max_value=3),
)
def test_buy_x_get_y_frees_exactly_the_cheapest_units(prices: list[int], buy: int, get: int) -> None:
    lines = [CartLine(MUG, price) for price in prices]
    offer = Discount(uuid4(), "bogo", "buy_x_get_y", 10_000, buy_quantity=buy, get_quantity=get)
    (result,) = apply_discounts([offer], lines)
    free = len(prices) // (buy + get) * get
    assert result.amount == sum(sorted(prices)[:free])
