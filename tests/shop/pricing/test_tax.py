"""Tax: which rates apply where, compound and shipping rules, inclusive prices, rounding per order."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from verso.domains.shop.pricing import Address, Region, TaxRate, compute_tax, rates_for

CALIFORNIA = Address("US", "CA", "90210")


def tax(name: str, rate: int, region: Region = Region(), **fields: object) -> TaxRate:
    return TaxRate(uuid4(), name, rate, region=region, **fields)  # type: ignore[arg-type]


def test_one_rate_per_priority_the_most_specific_and_priorities_stack() -> None:
    country = tax("US", 0, Region(countries=("US",)))
    state = tax("CA state", 725, Region(countries=("US",), states=("CA",)))
    city = tax("Beverly Hills", 225, Region(countries=("US",), postcodes=("90210",)), priority=2)
    elsewhere = tax("NY", 400, Region(countries=("US",), states=("NY",)))
    assert rates_for([city, country, elsewhere, state], CALIFORNIA) == (state, city)
    assert rates_for([city, country, elsewhere, state], Address("US", "TX", "75001")) == (country,)
    assert rates_for([country], Address("FR")) == ()


def test_exclusive_tax_on_goods_and_shipping() -> None:
    vat = tax("VAT", 2000)
    result = compute_tax([vat], [1000, 500], 500, inclusive=False)
    assert (result.total, result.line_taxes, result.shipping_tax) == (400, (200, 100), 100)
    no_shipping = compute_tax([tax("Sales", 2000, applies_to_shipping=False)], [1000], 500, inclusive=False)
    assert (no_shipping.total, no_shipping.shipping_tax) == (200, 0)


def test_compound_tax_is_charged_on_the_lower_priorities_taxes_too() -> None:
    gst = tax("GST", 500, kind="gst")
    pst = tax("PST", 850, priority=2, compound=True)
    plain = tax("PST", 850, priority=2)
    result = compute_tax([pst, gst], [10_000], 0, inclusive=False)
    assert [(line.name, line.amount) for line in result.lines] == [("GST", 500), ("PST", 893)]  # 892.5
    assert [line.amount for line in compute_tax([gst, plain], [10_000], 0, inclusive=False).lines] == [
        500,
        850,
    ]


def test_compound_rates_of_the_same_priority_do_not_compound_on_each_other() -> None:
    a, b = tax("A", 1000), tax("B", 1000, compound=True)
    assert [line.amount for line in compute_tax([a, b], [10_000], 0, inclusive=False).lines] == [1000, 1000]


def test_inclusive_prices_have_the_tax_extracted() -> None:
    result = compute_tax([tax("VAT", 2000)], [1200, 600], 600, inclusive=True)
    assert (result.total, result.line_taxes, result.shipping_tax) == (400, (200, 100), 100)
    gst, qst = tax("GST", 500), tax("QST", 1000, priority=2, compound=True)
    both = compute_tax([gst, qst], [11_550], 0, inclusive=True)  # net 10000, GST 500, QST 1050
    assert [line.amount for line in both.lines] == [500, 1050]


def test_tax_is_rounded_once_per_order_not_per_line() -> None:
    result = compute_tax([tax("VAT", 1000)], [5, 5, 5], 0, inclusive=False)  # 0.5 cent each
    assert result.total == 2  # 1.5 -> 2, where rounding each line would give 3
    assert sum(result.line_taxes) == 2


def test_extracted_tax_never_exceeds_the_gross_even_when_each_line_rounds_up() -> None:
    triple = [tax("A", 10_000), tax("B", 10_000), tax("C", 10_000)]  # net 0.5 and 0.5 of each tax
    assert [line.amount for line in compute_tax(triple, [2], 0, inclusive=True).lines] == [1, 1, 0]


rates_strategy = st.lists(
    st.builds(
        TaxRate,
        id=st.uuids(),
        name=st.just("tax"),
        rate=st.integers(min_value=0, max_value=10_000),
        priority=st.integers(min_value=1, max_value=3),
        compound=st.booleans(),
        applies_to_shipping=st.booleans(),
    ),
    max_size=4,
)
amounts = st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=5)


@given(rates=rates_strategy, lines=amounts, shipping=st.integers(min_value=0, max_value=5000))
def test_inclusive_tax_never_passes_the_gross_and_the_parts_add_up(
    rates: list[TaxRate], lines: list[int], shipping: int
) -> None:
    result = compute_tax(rates, lines, shipping, inclusive=True)
    assert 0 <= result.total <= sum(lines) + shipping
    assert sum(result.line_taxes) + result.shipping_tax == result.total
    if not any(rate.applies_to_shipping for rate in rates) or shipping == 0:
        assert result.shipping_tax == 0


@given(rates=rates_strategy, lines=amounts, shipping=st.integers(min_value=0, max_value=5000))
def test_exclusive_tax_lines_are_each_rounded_once(
    rates: list[TaxRate], lines: list[int], shipping: int
) -> None:
    result = compute_tax(rates, lines, shipping, inclusive=False)
    assert sum(result.line_taxes) + result.shipping_tax == result.total
    simple = [r for r in sorted(rates, key=lambda r: r.priority) if not r.compound and r.applies_to_shipping]
    by_id = {line.rate_id: line.amount for line in result.lines}
    for rate in simple:
        expected = ((sum(lines) + shipping) * rate.rate * 2 + 10_000) // 20_000  # half up
        assert by_id[rate.id] == expected
