"""Integer money arithmetic for pricing (exact fractions inside, one rounding rule outside), and the
shapes of the formatters that put amounts and dates into customer messages.

Every intermediate figure is an ``int`` or a ``Fraction``; floats never appear, so the same cart
prices the same on every machine. Rounding is half up, done once per figure (see docs/pricing.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from fractions import Fraction

FULL = 10_000  # basis points in 100%

MoneyFormat = Callable[[int], str]
DateFormat = Callable[[datetime], str]


def iso_date(moment: datetime) -> str:
    """The default date in messages (2026-03-01); callers pass one in the business's locale and zone."""
    return moment.date().isoformat()


def round_half_up(value: Fraction | int) -> int:
    """The nearest whole minor unit, halves going up (0.5 cent -> 1 cent)."""
    return _floor(Fraction(value) + Fraction(1, 2))


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


def share(amount: int, basis_points: int) -> int:
    """``basis_points`` of ``amount``, rounded half up: the one way a percentage becomes money."""
    return round_half_up(Fraction(amount * basis_points, FULL))


def allocate(total: int, weights: Sequence[Fraction | int]) -> tuple[int, ...]:
    """Split ``total`` in proportion to ``weights`` so the parts add up to exactly ``total``.

    Largest remainder: each part is first floored, then the cents left over go one each to the parts
    with the largest remainders (earlier parts first on a tie). When ``total`` is at most the sum of
    the weights, no part exceeds its own weight, which is what keeps a discount within each line.
    """
    weight_sum = sum(weights, Fraction(0))
    if weight_sum <= 0:
        return tuple(0 for _ in weights)
    exact = [Fraction(total) * Fraction(w) / weight_sum for w in weights]
    parts = [_floor(x) for x in exact]
    left = total - sum(parts)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return tuple(parts)
