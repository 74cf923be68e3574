"""The rounding rule and the split that keeps per-line amounts adding up to the figure shown."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from verso.domains.shop.pricing import allocate, round_half_up, share


def test_halves_round_up_and_the_rest_to_nearest() -> None:
    assert [round_half_up(Fraction(n, 10)) for n in (4, 5, 14, 15, 25, 26)] == [0, 1, 1, 2, 3, 3]
    assert share(1999, 1500) == 300  # 299.85
    assert share(10, 500) == 1  # 0.5 -> 1
    assert share(9, 500) == 0  # 0.45 -> 0


def test_allocate_gives_leftover_cents_to_the_largest_remainders_then_the_first() -> None:
    assert allocate(100, [1, 1, 1]) == (34, 33, 33)
    assert allocate(10, [1, 2]) == (3, 7)  # 3.33 / 6.67: the larger remainder takes the cent
    assert allocate(5, [0, 4, 0]) == (0, 5, 0)
    assert allocate(7, [0, 0]) == (0, 0)


@given(
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
    fraction=st.fractions(min_value=0, max_value=1),
)
def test_allocate_sums_exactly_and_never_passes_a_weight(weights: list[int], fraction: Fraction) -> None:
    total = round_half_up(sum(weights) * fraction) if sum(weights) else 0
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        assert 0 <= part <= weight
        assert abs(part - Fraction(total * weight, sum(weights) or 1)) < 1
