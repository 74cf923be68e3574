"""Shipping: which zone an address falls in, and what each of that zone's rates charges for a cart.

Addresses and regions live here because shipping zones are where places are matched first; tax rates
match places the same way and import them from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from verso.domains.shop.pricing._discounts import CartLine

RateKind = Literal["flat", "weight", "price", "free"]
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_DIGITS = re.compile(r"^\d+")


def _clean(text: str) -> str:
    return text.replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class Address:
    """Where goods go (or, for a cart with nothing to ship, the billing address tax depends on)."""

    country: str
    state: str = ""
    postcode: str = ""


def postcode_matches(pattern: str, postcode: str) -> bool:
    """Whether ``postcode`` fits ``pattern``: exact (``75001``), prefix (``75*``) or a numeric range
    (``75000-75999``, matched on the postcode's leading digits, so ZIP+4 codes fit). Case and spaces
    are ignored (``sw1a 1aa`` is ``SW1A1AA``)."""
    pattern, postcode = _clean(pattern), _clean(postcode)
    if pattern.endswith("*"):
        return postcode.startswith(pattern[:-1])
    bounds, digits = _RANGE.match(pattern), _DIGITS.match(postcode)
    if bounds:
        return digits is not None and int(bounds[1]) <= int(digits[0]) <= int(bounds[2])
    return postcode == pattern


@dataclass(frozen=True, slots=True)
class Region:
    """A set of places: every criterion that is given must match (an empty one matches anything).
    Countries are ISO codes, states their codes within the country, postcodes patterns as above."""

    countries: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    postcodes: tuple[str, ...] = ()

    def matches(self, address: Address) -> bool:
        return (
            (not self.countries or _clean(address.country) in {_clean(c) for c in self.countries})
            and (not self.states or _clean(address.state) in {_clean(s) for s in self.states})
            and (not self.postcodes or any(postcode_matches(p, address.postcode) for p in self.postcodes))
        )

    @property
    def specificity(self) -> int:
        """3 for postcodes, 2 for states, 1 for countries, 0 for anywhere: the most specific wins."""
        return 3 if self.postcodes else 2 if self.states else 1 if self.countries else 0


@dataclass(frozen=True, slots=True)
class Band:
    """A price for a span of weight (grams) or order value (minor units): ``minimum`` included,
    ``maximum`` excluded, so neighbouring bands can share a bound without overlapping."""

    price: int
    minimum: int = 0
    maximum: int | None = None

    def contains(self, measure: int) -> bool:
        return self.minimum <= measure and (self.maximum is None or measure < self.maximum)


@dataclass(frozen=True, slots=True)
class ShippingRate:
    """One way to ship within a zone.

    - ``flat``: ``price``.
    - ``weight``: ``price`` + ``price_per_kg`` for each started kilogram + the price of the weight band
      the parcel falls in. With bands, a parcel outside all of them cannot use this rate.
    - ``price``: ``price`` + the price of the order-value band; outside all bands, not offered.
    - ``free``: nothing.

    The charge is then held between ``minimum_charge`` and ``maximum_charge``, and is zero when the
    order value reaches ``free_over``.
    """

    id: UUID
    name: str
    kind: RateKind = "flat"
    price: int = 0
    price_per_kg: int = 0
    bands: tuple[Band, ...] = ()
    minimum_charge: int = 0
    maximum_charge: int | None = None
    free_over: int | None = None
    days_min: int | None = None
    days_max: int | None = None

    def charge(self, weight: int, order_value: int) -> int | None:
        """What this rate costs for a parcel of ``weight`` grams and goods worth ``order_value``, or
        None when the rate does not cover them."""
        if self.kind == "free":
            return 0
        amount = self.price
        if self.kind in ("weight", "price"):
            measure = weight if self.kind == "weight" else order_value
            band = next((b for b in self.bands if b.contains(measure)), None)
            if self.bands and band is None:
                return None
            amount += band.price if band else 0
        if self.kind == "weight":
            amount += self.price_per_kg * -(-weight // 1000)
        amount = max(amount, self.minimum_charge)
        if self.maximum_charge is not None:
            amount = min(amount, self.maximum_charge)
        if self.free_over is not None and order_value >= self.free_over:
            return 0
        return max(0, amount)


@dataclass(frozen=True, slots=True)
class ShippingZone:
    """Places served alike. A rest-of-world zone matches every address, at the lowest specificity; a
    zone with an empty region and no rest-of-world flag matches nothing (a half-filled form should not
    quietly ship everywhere)."""

    id: UUID
    name: str
    region: Region = Region()
    rest_of_world: bool = False
    rates: tuple[ShippingRate, ...] = ()

    def matches(self, address: Address) -> bool:
        if self.rest_of_world:
            return True
        return self.region != Region() and self.region.matches(address)

    @property
    def specificity(self) -> int:
        return 0 if self.rest_of_world else self.region.specificity


@dataclass(frozen=True, slots=True)
class ShippingQuote:
    """A rate as offered at checkout: its charge for this cart and its delivery estimate in days.
    ``rate_id`` is None for :data:`PICKUP`."""

    rate_id: UUID | None
    name: str
    amount: int
    zone_name: str
    days_min: int | None = None
    days_max: int | None = None


PICKUP = ShippingQuote(rate_id=None, name="Pick up at the shop", amount=0, zone_name="")


def match_zone(zones: Sequence[ShippingZone], address: Address) -> ShippingZone | None:
    """The most specific zone for ``address`` (postcode > state > country > rest of world); between
    zones equally specific, the first in the given order (staff's order)."""
    candidates = [zone for zone in zones if zone.matches(address)]
    return max(candidates, key=lambda zone: zone.specificity) if candidates else None


def needs_shipping(lines: Sequence[CartLine]) -> bool:
    """Whether anything in the cart is a physical good to send."""
    return any(line.is_shippable and line.quantity > 0 for line in lines)


def shipping_weight(lines: Sequence[CartLine]) -> int:
    """The parcel's weight in grams: shippable lines only."""
    return sum(max(0, line.weight) * max(0, line.quantity) for line in lines if line.is_shippable)


def shipping_quotes(
    zones: Sequence[ShippingZone], address: Address, lines: Sequence[CartLine], order_value: int
) -> tuple[ShippingQuote, ...]:
    """The rates a customer may choose for this address and cart, cheapest first. Empty when nothing
    needs shipping or no zone serves the address. ``order_value`` is the goods after discounts."""
    zone = match_zone(zones, address)
    if zone is None or not needs_shipping(lines):
        return ()
    weight = shipping_weight(lines)
    quotes = [
        ShippingQuote(rate.id, rate.name, amount, zone.name, rate.days_min, rate.days_max)
        for rate in zone.rates
        if (amount := rate.charge(weight, order_value)) is not None
    ]
    return tuple(sorted(quotes, key=lambda quote: quote.amount))
