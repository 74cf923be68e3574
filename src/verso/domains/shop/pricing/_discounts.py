"""Discounts: which codes and automatic offers a cart earns, and what each takes off each line.

The cart and customer shapes live here because discounts are the first stage of pricing; the later
stages (shipping, tax, totals) import them from here. Rules and the order they are checked in are in
docs/pricing.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Literal
from uuid import UUID

from verso.domains.shop.pricing._money import (
    FULL,
    DateFormat,
    MoneyFormat,
    allocate,
    iso_date,
    round_half_up,
    share,
)

DiscountKind = Literal["percentage", "fixed_amount", "free_shipping", "buy_x_get_y"]
AppliesTo = Literal["all", "products", "collections"]
Eligibility = Literal["all", "new", "returning"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a code, a gift card or a shipping choice was not used: a stable ``reason`` for code and
    tests, a ``message`` written for the customer, and the ``subject`` (code or name) it is about."""

    reason: str
    message: str
    subject: str = ""


@dataclass(frozen=True, slots=True)
class CartLine:
    """One cart line as pricing sees it. ``weight`` is grams per unit; digital goods are not shippable.
    A gift card is money paid in advance: no discount takes anything off it, it does not count
    towards a discount's minimum, and it carries no tax (tax is due when the card is spent)."""

    product_id: UUID
    unit_price: int
    quantity: int = 1
    variant_id: UUID | None = None
    collection_ids: frozenset[UUID] = frozenset()
    weight: int = 0
    is_shippable: bool = True
    is_gift_card: bool = False

    @property
    def subtotal(self) -> int:
        return max(0, self.unit_price) * max(0, self.quantity)


@dataclass(frozen=True, slots=True)
class CustomerContext:
    """Who is buying, as far as discounts care. For a guest (no id) the caller counts paid orders and
    code uses by the checkout email, so "new customers" and per-customer limits hold for guests too."""

    customer_id: UUID | None = None
    paid_orders: int = 0
    discount_uses: Mapping[UUID, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Discount:
    """A discount as staff set it up. ``value`` is basis points for ``percentage`` and for the share
    taken off the "get" items of ``buy_x_get_y`` (10000 = free), minor units for ``fixed_amount``, and
    unused for ``free_shipping``. No ``code`` means it applies automatically. ``uses`` counts the
    redemptions so far, for ``maximum_uses``."""

    id: UUID
    name: str
    kind: DiscountKind
    value: int = 0
    code: str | None = None
    buy_quantity: int = 1
    get_quantity: int = 1
    minimum_order: int = 0
    maximum_discount: int | None = None
    maximum_uses: int | None = None
    uses: int = 0
    per_customer_limit: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    applies_to: AppliesTo = "all"
    product_ids: frozenset[UUID] = frozenset()
    collection_ids: frozenset[UUID] = frozenset()
    eligibility: Eligibility = "all"
    combinable: bool = False

    @property
    def automatic(self) -> bool:
        return self.code is None

    @property
    def label(self) -> str:
        """What a customer knows it by: the code they typed, or the offer's name."""
        return self.code or self.name

    def covers(self, line: CartLine) -> bool:
        """Whether ``line`` is one of the items this discount applies to."""
        if line.is_gift_card:
            return False
        if self.applies_to == "products":
            return line.product_id in self.product_ids
        if self.applies_to == "collections":
            return not self.collection_ids.isdisjoint(line.collection_ids)
        return True


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    """A discount with what it took off each cart line (same order as the cart, so a refund of one
    line can give back that line's share) and, for free shipping, off the shipping charge."""

    discount: Discount
    line_amounts: tuple[int, ...]
    shipping_amount: int = 0

    @property
    def amount(self) -> int:
        return sum(self.line_amounts) + self.shipping_amount


def _normalise(code: str) -> str:
    return code.strip().upper()


def find_discount(code: str, discounts: Sequence[Discount]) -> Discount | Refusal:
    """The discount a typed code names (case and surrounding spaces ignored), or the refusal for it."""
    wanted = _normalise(code)
    for discount in discounts:
        if discount.code is not None and _normalise(discount.code) == wanted:
            return discount
    return Refusal("unknown", "We don't recognise this code. Check it for typos.", code.strip())


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def check_discount(
    discount: Discount,
    lines: Sequence[CartLine],
    customer: CustomerContext,
    *,
    now: datetime,
    format_money: MoneyFormat,
    format_date: DateFormat = iso_date,
) -> Refusal | None:
    """The first rule ``discount`` fails for this cart and customer, or None when it may apply.

    Rules the customer cannot change (dates, limits, eligibility) are checked before the ones they
    can (what is in the cart, how much it comes to), so the message points at what matters. For an
    automatic offer the cart can still earn, the message is a hint ("Spend €8.00 more to get Free
    delivery").
    """
    goal = "to use this code" if discount.code else f"to get {discount.name}"

    def refuse(reason: str, message: str) -> Refusal:
        return Refusal(reason, message, discount.label)

    if discount.starts_at is not None and now < discount.starts_at:
        return refuse("not_started", f"This code can be used from {format_date(discount.starts_at)}.")
    if discount.ends_at is not None and now >= discount.ends_at:
        return refuse("expired", f"This code expired on {format_date(discount.ends_at)}.")
    if discount.maximum_uses is not None and discount.uses >= discount.maximum_uses:
        return refuse("usage_limit", "This code has reached its usage limit.")
    used = customer.discount_uses.get(discount.id, 0)
    if discount.per_customer_limit is not None and used >= discount.per_customer_limit:
        who = "You have" if customer.customer_id is not None else "Your email address has"
        return refuse("used_by_you", f"{who} already used this code as many times as it allows.")
    if discount.eligibility == "new" and customer.paid_orders > 0:
        return refuse("new_customers_only", "This code is for a first order only.")
    if discount.eligibility == "returning" and customer.paid_orders == 0:
        return refuse("returning_customers_only", "This code is for customers who have ordered before.")
    covered = [line for line in lines if line.quantity > 0 and discount.covers(line)]
    if not covered:
        return refuse("not_applicable", "Nothing in your cart qualifies for this code.")
    if discount.kind == "free_shipping" and not any(line.is_shippable for line in covered):
        return refuse("not_applicable", "Nothing in your cart needs shipping.")
    if discount.kind == "buy_x_get_y":
        missing = discount.buy_quantity + discount.get_quantity - sum(line.quantity for line in covered)
        if missing > 0:
            items = _plural(missing, "more qualifying item")
            return refuse("not_applicable", f"Add {items} {goal}.")
    missing = discount.minimum_order - sum(line.subtotal for line in lines if not line.is_gift_card)
    if missing > 0:
        return refuse("minimum_not_met", f"Spend {format_money(missing)} more {goal}.")
    return None


def combination_refusal(discount: Discount, accepted: Sequence[Discount]) -> Refusal | None:
    """Refuse ``discount`` when it and an already accepted code cannot both apply (the same code
    entered twice is not a clash)."""
    clash = next(
        (a for a in accepted if a.id != discount.id and not (a.combinable and discount.combinable)), None
    )
    if clash is None:
        return None
    return Refusal("not_combinable", f"This code cannot be combined with {clash.label}.", discount.label)


def _get_units(discount: Discount, lines: Sequence[CartLine], left: Sequence[int]) -> list[Fraction]:
    """Per line, the value (after earlier discounts) of its units that are the free or reduced "get"
    items: the cheapest ``get_quantity`` of every ``buy_quantity + get_quantity`` covered units."""
    units = sorted(
        (
            (Fraction(amount, line.quantity), index)
            for index, (line, amount) in enumerate(zip(lines, left, strict=True))
            if line.quantity > 0 and discount.covers(line)
            for _ in range(line.quantity)
        ),
        key=lambda unit: (-unit[0], unit[1]),
    )
    group = max(1, discount.buy_quantity + max(0, discount.get_quantity))
    reduced = len(units) // group * max(0, discount.get_quantity)
    weights = [Fraction(0)] * len(lines)
    for value, index in units[len(units) - reduced :]:
        weights[index] += value
    return weights


def _line_amounts(discount: Discount, lines: Sequence[CartLine], left: Sequence[int]) -> tuple[int, ...]:
    """What ``discount`` takes off each line, given what earlier discounts ``left`` of each line."""
    rate = min(max(0, discount.value), FULL)
    weights: list[Fraction] = [
        Fraction(amount if discount.covers(line) else 0) for line, amount in zip(lines, left, strict=True)
    ]
    if discount.kind == "percentage":
        total = share(int(sum(weights)), rate)
    elif discount.kind == "fixed_amount":
        total = min(max(0, discount.value), int(sum(weights)))
    elif discount.kind == "buy_x_get_y":
        weights = _get_units(discount, lines, left)
        base = sum(weights, Fraction(0))
        total = min(round_half_up(base * rate / FULL), base.numerator // base.denominator)
    else:  # free shipping takes nothing off the goods
        return tuple(0 for _ in lines)
    if discount.maximum_discount is not None:
        total = min(total, max(0, discount.maximum_discount))
    return allocate(total, weights)


def apply_discounts(discounts: Sequence[Discount], lines: Sequence[CartLine]) -> tuple[AppliedDiscount, ...]:
    """Apply ``discounts`` in the given order, each to what the earlier ones left of each line, so the
    goods never go below zero. Eligibility is not checked here (see ``check_discount``)."""
    left = [line.subtotal for line in lines]
    applied = []
    for discount in discounts:
        amounts = _line_amounts(discount, lines, left)
        left = [amount - taken for amount, taken in zip(left, amounts, strict=True)]
        applied.append(AppliedDiscount(discount, amounts))
    return tuple(applied)


def evaluate_code(
    code: str,
    discounts: Sequence[Discount],
    lines: Sequence[CartLine],
    customer: CustomerContext,
    *,
    now: datetime,
    format_money: MoneyFormat,
    format_date: DateFormat = iso_date,
    accepted: Sequence[Discount] = (),
) -> AppliedDiscount | Refusal:
    """Check a typed code against the cart and the codes already ``accepted``: the discount with its
    amount per line on this cart alone, or the refusal to show. The final amounts, next to automatic
    offers and other codes, come from ``price_checkout``."""
    found = accept_code(
        code,
        discounts,
        lines,
        customer,
        now=now,
        format_money=format_money,
        format_date=format_date,
        accepted=accepted,
    )
    return found if isinstance(found, Refusal) else apply_discounts([found], lines)[0]


def accept_code(
    code: str,
    discounts: Sequence[Discount],
    lines: Sequence[CartLine],
    customer: CustomerContext,
    *,
    now: datetime,
    format_money: MoneyFormat,
    format_date: DateFormat = iso_date,
    accepted: Sequence[Discount] = (),
) -> Discount | Refusal:
    """The discount a typed code names when every rule allows it next to the ``accepted`` codes."""
    found = find_discount(code, discounts)
    if isinstance(found, Refusal):
        return found
    refusal = check_discount(
        found, lines, customer, now=now, format_money=format_money, format_date=format_date
    ) or combination_refusal(found, accepted)
    return refusal or found


def automatic_discounts(
    discounts: Sequence[Discount], lines: Sequence[CartLine], customer: CustomerContext, *, now: datetime
) -> tuple[Discount, ...]:
    """The automatic offers this cart earns, in the given order. Those it does not earn stay silent."""
    return tuple(
        d
        for d in discounts
        if d.automatic and check_discount(d, lines, customer, now=now, format_money=str) is None
    )


def discount_options(
    automatic: Sequence[Discount], codes: Sequence[Discount]
) -> tuple[tuple[Discount, ...], ...]:
    """The sets of discounts that may apply together, each in application order (automatic offers
    first, then codes as entered): every combinable one together, or each non-combinable one alone.
    The caller keeps the set that leaves the customer the lowest total."""
    candidates = (*automatic, *codes)
    stack = tuple(d for d in candidates if d.combinable)
    alone = tuple((d,) for d in candidates if not d.combinable)
    return ((stack,) if stack or not alone else ()) + alone


def left_out_codes(codes: Sequence[Discount], chosen: Sequence[Discount]) -> tuple[Refusal, ...]:
    """The refusals for accepted codes that lost to a better set of discounts."""
    kept = {d.id for d in chosen}
    winners = ", ".join(d.label for d in chosen)
    return tuple(
        Refusal("not_combinable", f"This code cannot be combined with {winners}.", d.label)
        for d in codes
        if d.id not in kept
    )
