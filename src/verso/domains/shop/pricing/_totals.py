"""The whole order in one pass, in the fixed order of docs/pricing.md:

subtotal -> discounts -> shipping -> tax -> total -> gift cards -> amount due.

Gift cards are a way to pay, not a price cut, so they come last and never change the tax.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from verso.domains.shop.pricing._discounts import (
    AppliedDiscount,
    CartLine,
    CustomerContext,
    Discount,
    Refusal,
    accept_code,
    apply_discounts,
    automatic_discounts,
    discount_options,
    left_out_codes,
)
from verso.domains.shop.pricing._money import DateFormat, MoneyFormat, iso_date
from verso.domains.shop.pricing._shipping import (
    PICKUP,
    Address,
    ShippingQuote,
    ShippingZone,
    needs_shipping,
    shipping_quotes,
)
from verso.domains.shop.pricing._tax import TaxBreakdown, TaxRate, compute_tax, rates_for


@dataclass(frozen=True, slots=True)
class GiftCard:
    """A gift card as found by its code; ``balance`` is what is left on it now."""

    id: UUID
    code: str
    balance: int
    active: bool = True
    expires_at: datetime | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class GiftCardRedemption:
    """What this order takes from one card; the card keeps ``balance_after``."""

    card: GiftCard
    amount: int

    @property
    def balance_after(self) -> int:
        return self.card.balance - self.amount


@dataclass(frozen=True, slots=True)
class Checkout:
    """Everything pricing needs, as plain values. ``discounts`` holds the automatic offers and the
    discounts whose codes were typed (looked up by the caller); ``gift_cards`` likewise. Without an
    ``address`` there is no shipping and no tax yet. With ``pickup`` the customer collects: the
    ``address`` is the shop's (tax is worked out there), shipping is :data:`PICKUP`, free, and
    free-shipping discounts have nothing to do (a code is refused, an automatic offer left out)."""

    lines: tuple[CartLine, ...]
    customer: CustomerContext = CustomerContext()
    discounts: tuple[Discount, ...] = ()
    codes: tuple[str, ...] = ()
    address: Address | None = None
    zones: tuple[ShippingZone, ...] = ()
    shipping_rate_id: UUID | None = None
    tax_rates: tuple[TaxRate, ...] = ()
    prices_include_tax: bool = False
    gift_cards: tuple[GiftCard, ...] = ()
    gift_card_codes: tuple[str, ...] = ()
    currency: str = ""  # the order's; a gift card in another currency cannot pay for it
    pickup: bool = False


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """A cart line's figures: ``total`` is what the customer pays for it, tax included."""

    line: CartLine
    subtotal: int
    discount: int
    tax: int
    total: int


@dataclass(frozen=True, slots=True)
class Totals:
    """Every figure of the order and the lines a receipt needs. ``shipping_options`` are the rates the
    customer may choose; ``shipping`` is the chosen one (None until chosen) at its full charge, of
    which ``shipping_discount`` was waived. ``total`` is the price; ``amount_due`` what is left to pay
    after gift cards."""

    lines: tuple[ReceiptLine, ...]
    subtotal: int
    discounts: tuple[AppliedDiscount, ...]
    needs_shipping: bool
    shipping_options: tuple[ShippingQuote, ...]
    shipping: ShippingQuote | None
    shipping_discount: int
    taxes: TaxBreakdown
    total: int
    gift_cards: tuple[GiftCardRedemption, ...]
    amount_due: int
    refusals: tuple[Refusal, ...]

    @property
    def discount_total(self) -> int:
        return sum(applied.amount for applied in self.discounts)

    @property
    def shipping_charged(self) -> int:
        return (self.shipping.amount if self.shipping else 0) - self.shipping_discount

    @property
    def gift_card_total(self) -> int:
        return sum(redemption.amount for redemption in self.gift_cards)

    @property
    def ready(self) -> bool:
        """Whether the order can be paid: a shipping rate is chosen when one is needed."""
        return not self.needs_shipping or self.shipping is not None


def check_gift_card(
    code: str,
    cards: Sequence[GiftCard],
    *,
    now: datetime,
    format_date: DateFormat = iso_date,
    currency: str = "",
) -> GiftCard | Refusal:
    """The card a typed code names (case, spaces and dashes ignored) when it can pay, or the refusal."""

    def plain(text: str) -> str:
        return text.replace(" ", "").replace("-", "").upper()

    card = next((c for c in cards if plain(c.code) == plain(code)), None)
    subject = code.strip()
    if card is None:
        return Refusal("unknown", "We don't recognise this gift card code. Check it for typos.", subject)
    if not card.active:
        return Refusal("inactive", "This gift card has been deactivated.", subject)
    if card.expires_at is not None and now >= card.expires_at:
        return Refusal("expired", f"This gift card expired on {format_date(card.expires_at)}.", subject)
    if card.balance <= 0:
        return Refusal("empty", "This gift card has no balance left.", subject)
    if currency and card.currency and card.currency != currency:
        return Refusal(
            "currency",
            f"This gift card is in {card.currency} and cannot pay for an order in {currency}.",
            subject,
        )
    return card


def redeem_gift_cards(cards: Sequence[GiftCard], amount_due: int) -> tuple[GiftCardRedemption, ...]:
    """Take from each card in turn until nothing is due: never more than a card holds, never more than
    is due. Cards not needed are left out."""
    redemptions = []
    for card in cards:
        amount = min(card.balance, amount_due)
        if amount > 0:
            redemptions.append(GiftCardRedemption(card, amount))
            amount_due -= amount
    return tuple(redemptions)


def _waive_shipping(applied: Sequence[AppliedDiscount], charge: int) -> tuple[AppliedDiscount, ...]:
    """Free-shipping discounts, in order, waive what is left of the charge, each up to its cap."""
    waived = []
    for discount in applied:
        if discount.discount.kind == "free_shipping":
            cap = discount.discount.maximum_discount
            amount = charge if cap is None else min(charge, max(0, cap))
            charge -= amount
            discount = replace(discount, shipping_amount=amount)
        waived.append(discount)
    return tuple(waived)


def _price(chosen: Sequence[Discount], checkout: Checkout) -> Totals:
    """The order with one set of discounts, before gift cards."""
    lines, address = checkout.lines, checkout.address
    applied = apply_discounts(chosen, lines)
    line_discounts = [sum(a.line_amounts[i] for a in applied) for i in range(len(lines))]
    net = [line.subtotal - taken for line, taken in zip(lines, line_discounts, strict=True)]
    needed = needs_shipping(lines)
    if needed and checkout.pickup:
        options: tuple[ShippingQuote, ...] = ()
        quote: ShippingQuote | None = PICKUP
    else:
        options = shipping_quotes(checkout.zones, address, lines, sum(net)) if address and needed else ()
        quote = next((q for q in options if q.rate_id == checkout.shipping_rate_id), None)
    refusals: tuple[Refusal, ...] = ()
    if needed and address and checkout.shipping_rate_id is not None and quote is None:
        message = "This shipping option is not available for this address and cart. Please choose another."
        refusals = (Refusal("shipping_unavailable", message),)
    applied = _waive_shipping(applied, quote.amount if quote else 0)
    shipping_discount = sum(a.shipping_amount for a in applied)
    shipping = (quote.amount if quote else 0) - shipping_discount
    inclusive = checkout.prices_include_tax
    rates = rates_for(checkout.tax_rates, address) if address else ()
    taxable = [0 if line.is_gift_card else amount for line, amount in zip(lines, net, strict=True)]
    taxes = compute_tax(rates, taxable, shipping, inclusive=inclusive)
    total = sum(net) + shipping + (0 if inclusive else taxes.total)
    receipt = tuple(
        ReceiptLine(line, line.subtotal, taken, tax, line.subtotal - taken + (0 if inclusive else tax))
        for line, taken, tax in zip(lines, line_discounts, taxes.line_taxes, strict=True)
    )
    return Totals(
        lines=receipt,
        subtotal=sum(line.subtotal for line in lines),
        discounts=applied,
        needs_shipping=needed,
        shipping_options=options,
        shipping=quote,
        shipping_discount=shipping_discount,
        taxes=taxes,
        total=total,
        gift_cards=(),
        amount_due=total,
        refusals=refusals,
    )


def price_checkout(
    checkout: Checkout, *, now: datetime, format_money: MoneyFormat, format_date: DateFormat = iso_date
) -> Totals:
    """Price the order. Typed codes are checked in the order entered (a code that cannot combine with
    an earlier accepted code is refused); automatic offers apply first. Among the sets of discounts
    that may apply together, the one giving the lowest total wins and any code it leaves out is
    refused with the reason. Gift cards then pay what they can of the total."""
    lines, customer = checkout.lines, checkout.customer
    codes: list[Discount] = []
    refusals: list[Refusal] = []
    for code in checkout.codes:
        found = accept_code(
            code,
            checkout.discounts,
            lines,
            customer,
            now=now,
            format_money=format_money,
            format_date=format_date,
            accepted=codes,
        )
        if not isinstance(found, Refusal) and found.kind == "free_shipping" and checkout.pickup:
            found = Refusal(
                "not_applicable", "You collect your order: there is no shipping to take off.", found.label
            )
        if isinstance(found, Refusal):
            refusals.append(found)
        elif all(found.id != accepted.id for accepted in codes):
            codes.append(found)
    automatic = [
        offer
        for offer in automatic_discounts(checkout.discounts, lines, customer, now=now)
        if not (checkout.pickup and offer.kind == "free_shipping")
    ]
    options = [_price(chosen, checkout) for chosen in discount_options(automatic, codes)]
    best = min(options, key=lambda totals: totals.total)
    refusals += left_out_codes(codes, [a.discount for a in best.discounts]) + best.refusals

    cards: list[GiftCard] = []
    for code in checkout.gift_card_codes:
        card = check_gift_card(
            code, checkout.gift_cards, now=now, format_date=format_date, currency=checkout.currency
        )
        if isinstance(card, Refusal):
            refusals.append(card)
        elif all(card.id != kept.id for kept in cards):
            cards.append(card)
    redemptions = redeem_gift_cards(cards, best.total)
    used = {r.card.id for r in redemptions}
    refusals += [
        Refusal("not_needed", "Nothing is left to pay, so this gift card was not used.", card.code)
        for card in cards
        if card.id not in used
    ]
    paid = sum(r.amount for r in redemptions)
    return replace(best, gift_cards=redemptions, amount_due=best.total - paid, refusals=tuple(refusals))
