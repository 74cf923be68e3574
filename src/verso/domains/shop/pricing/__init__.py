"""Pricing for checkout as pure functions: discounts, shipping, tax, gift cards and the totals.

No database, no web, no clock: callers map their models onto these frozen dataclasses, pass ``now``
and a money formatter, and get figures and customer-facing refusals back. The order in which the
stages apply and the rounding rules are in docs/pricing.md.
"""

from verso.domains.shop.pricing._discounts import (
    AppliedDiscount,
    CartLine,
    CustomerContext,
    Discount,
    Refusal,
    accept_code,
    apply_discounts,
    automatic_discounts,
    check_discount,
    combination_refusal,
    discount_options,
    evaluate_code,
    find_discount,
    left_out_codes,
)
from verso.domains.shop.pricing._money import FULL, allocate, round_half_up, share
from verso.domains.shop.pricing._shipping import (
    PICKUP,
    Address,
    Band,
    Region,
    ShippingQuote,
    ShippingRate,
    ShippingZone,
    match_zone,
    needs_shipping,
    postcode_matches,
    shipping_quotes,
)
from verso.domains.shop.pricing._tax import TaxBreakdown, TaxLine, TaxRate, compute_tax, rates_for
from verso.domains.shop.pricing._totals import (
    Checkout,
    GiftCard,
    GiftCardRedemption,
    ReceiptLine,
    Totals,
    check_gift_card,
    price_checkout,
    redeem_gift_cards,
)

__all__ = [
    "FULL",
    "PICKUP",
    "Address",
    "AppliedDiscount",
    "Band",
    "CartLine",
    "Checkout",
    "CustomerContext",
    "Discount",
    "GiftCard",
    "GiftCardRedemption",
    "ReceiptLine",
    "Refusal",
    "Region",
    "ShippingQuote",
    "ShippingRate",
    "ShippingZone",
    "TaxBreakdown",
    "TaxLine",
    "TaxRate",
    "Totals",
    "accept_code",
    "allocate",
    "apply_discounts",
    "automatic_discounts",
    "check_discount",
    "check_gift_card",
    "combination_refusal",
    "compute_tax",
    "discount_options",
    "evaluate_code",
    "find_discount",
    "left_out_codes",
    "match_zone",
    "needs_shipping",
    "postcode_matches",
    "price_checkout",
    "rates_for",
    "redeem_gift_cards",
    "round_half_up",
    "share",
    "shipping_quotes",
]
