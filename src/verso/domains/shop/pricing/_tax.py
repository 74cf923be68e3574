"""Tax: which rates apply at an address, and the tax lines they make on a priced order.

Each tax line is worked out exactly (fractions) on the whole order and rounded half up once; its
share of each cart line and of shipping is then split off by largest remainder, so per-line figures
always add up to the line shown. Prices may include tax (extracted, total unchanged) or exclude it
(added on top).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal
from uuid import UUID

from verso.domains.shop.pricing._money import FULL, allocate, round_half_up
from verso.domains.shop.pricing._shipping import Address, Region

TaxKind = Literal["sales", "vat", "gst"]


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A tax as staff set it up. ``rate`` is basis points (2000 = 20%). Rates apply in ascending
    ``priority``; a ``compound`` rate is charged on the amount plus the taxes of lower priorities."""

    id: UUID
    name: str
    rate: int
    kind: TaxKind = "vat"
    region: Region = Region()
    priority: int = 1
    compound: bool = False
    applies_to_shipping: bool = True


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One line of the receipt's tax block: "VAT 20%: €4.00"."""

    rate_id: UUID
    name: str
    kind: TaxKind
    rate: int
    amount: int


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """The tax lines, and the tax each cart line and the shipping carry (for invoices and refunds).
    With ``inclusive`` prices the tax is already inside the amounts; otherwise it is added to them."""

    lines: tuple[TaxLine, ...]
    line_taxes: tuple[int, ...]
    shipping_tax: int
    inclusive: bool

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def rates_for(rates: Sequence[TaxRate], address: Address) -> tuple[TaxRate, ...]:
    """The rates that apply at ``address``, by ascending priority: for each priority, the most specific
    matching rate (postcode > state > country > anywhere), the first given on a tie. So a state rate
    replaces the country's at the same priority, and stacks on it at another priority."""
    chosen: dict[int, TaxRate] = {}
    for rate in rates:
        current = chosen.get(rate.priority)
        if rate.region.matches(address) and (
            current is None or rate.region.specificity > current.region.specificity
        ):
            chosen[rate.priority] = rate
    return tuple(chosen[priority] for priority in sorted(chosen))


def _fractions(rates: Sequence[TaxRate], *, shipping: bool) -> list[Fraction]:
    """Each rate's tax as a fraction of one net amount (goods, or shipping when ``shipping``); a compound
    rate's fraction includes the taxes of strictly lower priorities on that same amount."""
    fractions: list[Fraction] = []
    below, level, priority = Fraction(0), Fraction(0), None
    for rate in rates:
        if rate.priority != priority:
            below, level, priority = below + level, Fraction(0), rate.priority
        if shipping and not rate.applies_to_shipping:
            fraction = Fraction(0)
        else:
            fraction = Fraction(min(max(0, rate.rate), FULL), FULL) * (1 + below if rate.compound else 1)
        level += fraction
        fractions.append(fraction)
    return fractions


def _trim(amounts: list[int], limit: int) -> list[int]:
    """Keep extracted tax within the gross it came from: rounding up several lines could pass it only
    with rates adding up to more than 100%, and then the last lines give the excess back."""
    excess = sum(amounts) - limit
    for index in reversed(range(len(amounts))):
        taken = min(max(0, excess), amounts[index])
        amounts[index] -= taken
        excess -= taken
    return amounts


def compute_tax(
    rates: Sequence[TaxRate], line_amounts: Sequence[int], shipping: int, *, inclusive: bool
) -> TaxBreakdown:
    """Tax on the order's cart lines (after discounts) and its shipping charge (after any waiver).

    ``rates`` are those of ``rates_for``. With ``inclusive`` prices each amount is gross: its net is
    the amount divided by one plus its tax fractions, and the tax is the difference.
    """
    ordered = sorted(rates, key=lambda rate: rate.priority)
    goods, freight = _fractions(ordered, shipping=False), _fractions(ordered, shipping=True)
    items = [(Fraction(amount), goods) for amount in line_amounts] + [(Fraction(shipping), freight)]
    exact = [  # exact[r][i]: rate r's tax on item i
        [
            (amount / (1 + sum(fractions)) if inclusive else amount) * fractions[r]
            for amount, fractions in items
        ]
        for r in range(len(ordered))
    ]
    amounts = [round_half_up(sum(row, Fraction(0))) for row in exact]
    if inclusive:
        amounts = _trim(amounts, sum(line_amounts) + shipping)
    per_item = [0] * len(items)
    for amount, row in zip(amounts, exact, strict=True):
        for index, part in enumerate(allocate(amount, row)):
            per_item[index] += part
    lines = tuple(
        TaxLine(rate.id, rate.name, rate.kind, rate.rate, amount)
        for rate, amount in zip(ordered, amounts, strict=True)
    )
    return TaxBreakdown(lines, tuple(per_item[:-1]), per_item[-1], inclusive)
