"""Shipping: postcode patterns, zone precedence, and what each kind of rate charges."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verso.domains.shop.pricing import (
    Address,
    Band,
    CartLine,
    Region,
    ShippingRate,
    ShippingZone,
    match_zone,
    postcode_matches,
    shipping_quotes,
)

PARIS = Address("FR", "IDF", "75011")
BOOK = CartLine(UUID(int=1), 2000, 2, weight=600)  # 1.2 kg
EBOOK = CartLine(UUID(int=2), 900, 1, is_shippable=False)


def zone(
    name: str, region: Region = Region(), *rates: ShippingRate, rest_of_world: bool = False
) -> ShippingZone:
    return ShippingZone(uuid4(), name, region, rest_of_world, rates)


def rate(**fields: object) -> ShippingRate:
    return ShippingRate(id=uuid4(), name=str(fields.get("kind", "flat")), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "postcode", "matches"),
    [
        ("75011", "75011", True),
        ("75011", "75012", False),
        ("75*", "75011", True),
        ("75*", "69001", False),
        ("75000-75999", "75011", True),
        ("75000-75999", "76000", False),
        ("10000-19999", "12345-6789", True),  # ZIP+4 by its leading digits
        ("10000-19999", "SW1A 1AA", False),
        ("sw1a*", "SW1A 1AA", True),
        ("SW1A1AA", "sw1a 1aa", True),
    ],
)
def test_postcode_patterns(pattern: str, postcode: str, matches: bool) -> None:
    assert postcode_matches(pattern, postcode) is matches


def test_most_specific_zone_wins_whatever_the_order() -> None:
    world = zone("World", rest_of_world=True)
    france = zone("France", Region(countries=("fr",)))
    idf = zone("Île-de-France", Region(countries=("FR",), states=("IDF",)))
    paris = zone("Paris", Region(countries=("FR",), postcodes=("75*",)))
    zones = [world, paris, idf, france]
    assert match_zone(zones, PARIS) == paris
    assert match_zone(zones, Address("FR", "IDF", "92100")) == idf
    assert match_zone(zones, Address("FR", "ARA", "69001")) == france
    assert match_zone(zones, Address("DE", "", "10115")) == world
    assert match_zone([france, zone("Empty")], Address("DE")) is None  # an empty zone is not a catch-all


places = st.builds(
    Address,
    country=st.sampled_from(["FR", "DE", "US"]),
    state=st.sampled_from(["", "CA", "IDF"]),
    postcode=st.sampled_from(["", "75011", "90210", "10115"]),
)
regions = st.builds(
    Region,
    countries=st.lists(st.sampled_from(["FR", "DE", "US"]), max_size=2).map(tuple),
    states=st.lists(st.sampled_from(["CA", "IDF"]), max_size=1).map(tuple),
    postcodes=st.lists(st.sampled_from(["75*", "90000-96999", "10115"]), max_size=1).map(tuple),
)
zones_strategy = st.lists(
    st.builds(ShippingZone, id=st.uuids(), name=st.just("z"), region=regions, rest_of_world=st.booleans()),
    max_size=8,
)


@given(address=places, zones=zones_strategy)
def test_zone_matching_picks_the_most_specific_then_the_first(
    address: Address, zones: list[ShippingZone]
) -> None:
    chosen = match_zone(zones, address)
    matching = [z for z in zones if z.rest_of_world or (z.region != Region() and z.region.matches(address))]
    if not matching:
        assert chosen is None
        return
    assert chosen is not None
    best = max(z.specificity for z in matching)
    assert chosen.specificity == best
    assert chosen == next(z for z in matching if z.specificity == best)
    assert chosen.rest_of_world or chosen.region.matches(address)


def quote(
    shipping_rate: ShippingRate, lines: tuple[CartLine, ...] = (BOOK,), value: int = 4000
) -> int | None:
    quotes = shipping_quotes(
        [zone("World", Region(), shipping_rate, rest_of_world=True)], PARIS, lines, value
    )
    return quotes[0].amount if quotes else None


def test_each_kind_of_rate() -> None:
    assert quote(rate(kind="flat", price=590)) == 590
    assert quote(rate(kind="free", price=590)) == 0
    assert quote(rate(kind="weight", price=300, price_per_kg=200)) == 700  # 2 started kilograms
    bands = (Band(400, 0, 1000), Band(800, 1000, 5000))
    assert quote(rate(kind="weight", bands=bands)) == 800  # 1200 g falls in the second band
    assert quote(rate(kind="weight", bands=bands[:1])) is None  # outside every band: not offered
    value_bands = (Band(900, 0, 5000), Band(0, 5000))
    assert quote(rate(kind="price", bands=value_bands)) == 900
    assert quote(rate(kind="price", bands=value_bands), value=5000) == 0


def test_bounds_then_the_free_shipping_threshold() -> None:
    per_kg = rate(kind="weight", price_per_kg=1000, minimum_charge=2500, maximum_charge=4000)
    assert quote(per_kg) == 2500
    assert quote(per_kg, (CartLine(UUID(int=1), 100, 1, weight=9000),)) == 4000
    threshold = rate(kind="flat", price=590, free_over=5000)
    assert quote(threshold, value=4999) == 590
    assert quote(threshold, value=5000) == 0


def test_quotes_are_cheapest_first_with_their_estimates() -> None:
    express = rate(kind="flat", price=1500, days_min=1, days_max=1)
    standard = rate(kind="flat", price=500, days_min=3, days_max=5)
    world = zone("World", Region(), express, standard, rest_of_world=True)
    quotes = shipping_quotes([world], PARIS, (BOOK,), 4000)
    assert [(q.amount, q.days_min, q.days_max, q.zone_name) for q in quotes] == [
        (500, 3, 5, "World"),
        (1500, 1, 1, "World"),
    ]


def test_only_shippable_lines_count_and_digital_carts_need_no_shipping() -> None:
    per_kg = rate(kind="weight", price_per_kg=100)
    assert quote(per_kg, (BOOK, CartLine(UUID(int=2), 900, 1, weight=5000, is_shippable=False))) == 200
    assert quote(rate(kind="flat", price=500), (EBOOK,)) is None
    assert (
        shipping_quotes([zone("France", Region(countries=("FR",)), rate())], Address("DE"), (BOOK,), 0) == ()
    )
