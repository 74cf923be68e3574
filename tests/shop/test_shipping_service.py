"""Shipping zones through the service: what the pricing engine receives (active rates only, bands
mapped), zone precedence (postcode > state > country > rest of world), and the place checks."""

from __future__ import annotations

import pytest

from verso.domains.shop import pricing
from verso.domains.shop.services._shipping import (
    RateInput,
    ShippingService,
    ZoneInput,
    countries,
    parse_places,
    postcode_problem,
    pricing_zones,
    try_address,
)
from verso.lib.audit import Actor

ACTOR = Actor(label="test")


async def _zone(session, name: str, *, rest_of_world: bool = False, position: int = 0, **places: str):
    parsed, errors = parse_places(
        places.get("countries", ""), places.get("states", ""), places.get("postcodes", "")
    )
    assert not errors
    zone = await ShippingService(session=session).save_zone(
        None, ZoneInput(name, parsed, rest_of_world, position), actor=ACTOR
    )
    await session.commit()
    return zone


async def test_zone_precedence_through_pricing_zones(db_session) -> None:
    await _zone(db_session, "World", rest_of_world=True)
    await _zone(db_session, "France", countries="FR")
    await _zone(db_session, "Corsica-ish", countries="FR", states="2A, 2B")
    await _zone(db_session, "Paris", countries="FR", postcodes="75*\n92000-92999")
    zones = await pricing_zones(db_session)
    assert {zone.name for zone in zones} == {"World", "France", "Corsica-ish", "Paris"}

    def zone_for(country: str, state: str = "", postcode: str = "") -> str | None:
        found = pricing.match_zone(zones, pricing.Address(country, state, postcode))
        return found.name if found else None

    assert zone_for("FR", "2A", "75011") == "Paris"  # postcode beats state
    assert zone_for("FR", "", "92100") == "Paris"  # a range
    assert zone_for("FR", "2b", "20000") == "Corsica-ish"  # state beats country
    assert zone_for("fr", "", "69001") == "France"  # country beats rest of world
    assert zone_for("DE", "", "10115") == "World"


async def test_equally_specific_zones_follow_staff_order(db_session) -> None:
    await _zone(db_session, "B second", countries="BE", position=2)
    await _zone(db_session, "A first", countries="BE", position=1)
    zones = await pricing_zones(db_session)
    assert pricing.match_zone(zones, pricing.Address("BE")).name == "A first"


async def test_only_active_rates_with_bands_reach_pricing(db_session) -> None:
    zone = await _zone(db_session, "France", countries="FR")
    service = ShippingService(session=db_session)
    zone = await service.zone(zone.id)
    bands = [{"minimum": 0, "maximum": 1000, "price": 200}, {"minimum": 1000, "maximum": None, "price": 500}]
    await service.save_rate(
        zone, None, RateInput("Parcel", "weight", price=300, price_per_kg=100, bands=bands), actor=ACTOR
    )
    await service.save_rate(zone, None, RateInput("Old", "flat", price=100, is_active=False), actor=ACTOR)
    await service.save_rate(
        zone,
        None,
        RateInput("Value", "price", price=0, bands=bands, free_over=5000, days_min=1, days_max=3),
        actor=ACTOR,
    )
    await db_session.commit()
    (france,) = await pricing_zones(db_session)
    assert [rate.name for rate in france.rates] == ["Parcel", "Value"]
    parcel = france.rates[0]
    assert parcel.bands == (pricing.Band(200, 0, 1000), pricing.Band(500, 1000, None))
    assert parcel.charge(weight=1500, order_value=0) == 300 + 2 * 100 + 500
    trial = await try_address(db_session, pricing.Address("FR"), order_value=6000, weight=500)
    assert trial.zone.name == "France"
    assert [(q.name, q.amount) for q in trial.quotes] == [("Value", 0), ("Parcel", 300 + 100 + 200)]


async def test_rate_rules(db_session) -> None:
    bands = [{"minimum": 0, "maximum": 1000, "price": 1}, {"minimum": 500, "maximum": None, "price": 2}]
    problems = RateInput(
        "x", "weight", bands=bands, minimum_charge=5, maximum_charge=4, days_min=3, days_max=1
    ).problems()
    assert set(problems) == {"band-1", "maximum_charge", "days_max"}
    assert RateInput("x", "weight", bands=[{"minimum": 10, "maximum": 10, "price": 0}]).problems() == {
        "band-0": "“Up to” must be above “from”."
    }
    assert RateInput(" ", "teleport").problems().keys() == {"name", "kind"}


async def test_one_rest_of_world_zone(db_session) -> None:
    from verso.domains.shop.services import ProductError

    await _zone(db_session, "World", rest_of_world=True)
    with pytest.raises(ProductError) as refused:
        await _zone(db_session, "Elsewhere", rest_of_world=True)
    assert "“World” already is" in refused.value.errors["rest_of_world"]


def test_places_are_checked_and_normalised() -> None:
    places, errors = parse_places("fr be;DE  fr", "ca,\nNew York", "75*\n sw1a 1aa\n75000-75999\n75001")
    assert not errors
    assert places.countries == ["FR", "BE", "DE"] and places.states == ["CA", "NEW YORK"]
    assert places.postcodes == ["75*", "SW1A 1AA", "75000-75999", "75001"]
    _, errors = parse_places("EU, UK", "", "")
    assert errors["countries"].startswith("Unknown country codes: EU, UK.")  # the UK is GB
    assert "GB" in countries() and "XK" in countries() and "ZZ" not in countries()
    assert postcode_problem("7*5") and postcode_problem("*") and postcode_problem("99-10")
    assert postcode_problem("75#01") and postcode_problem("12345678901234")
    assert postcode_problem("1000-001*") is None and postcode_problem("10-99") is None


async def test_pricing_zones_are_kept_per_version_yet_a_session_sees_its_own_change(
    db_session, session_maker
) -> None:
    """Checkout keeps the zones between requests; a staff change bumps the catalogue version, and
    the session making it (like the demo loader, which prices in the same transaction) sees it first."""
    await _zone(db_session, "France", countries="FR")
    assert [zone.name for zone in await pricing_zones(db_session)] == ["France"]
    belgium, _ = parse_places("BE", "", "")
    await ShippingService(session=db_session).save_zone(None, ZoneInput("Belgium", belgium), actor=ACTOR)
    assert {zone.name for zone in await pricing_zones(db_session)} == {"France", "Belgium"}
    async with session_maker() as other:
        assert [zone.name for zone in await pricing_zones(other)] == ["France"]  # not committed yet
    await db_session.commit()
    async with session_maker() as other:
        assert {zone.name for zone in await pricing_zones(other)} == {"France", "Belgium"}
