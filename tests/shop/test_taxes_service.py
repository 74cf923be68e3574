"""Tax rates through the service: only active ones reach pricing, mapped field by field, and the
precedence the pricing engine applies to them."""

from __future__ import annotations

from verso.domains.shop import pricing
from verso.domains.shop.services._shipping import parse_places
from verso.domains.shop.services._tax_rates import TaxRateInput, TaxRateService, pricing_tax_rates
from verso.lib.audit import Actor

ACTOR = Actor(label="test")


async def _rate(
    session, name: str, rate: int, *, countries: str = "", states: str = "", postcodes: str = "", **fields
):
    places, errors = parse_places(countries, states, postcodes)
    assert not errors
    saved = await TaxRateService(session=session).save_rate(
        None, TaxRateInput(name, rate, places=places, **fields), actor=ACTOR
    )
    await session.commit()
    return saved


async def test_active_rates_are_mapped_for_pricing(db_session) -> None:
    vat = await _rate(db_session, "VAT", 2000, countries="FR", applies_to_shipping=False)
    await _rate(db_session, "Old VAT", 1960, countries="FR", is_active=False)
    quebec = await _rate(
        db_session, "QST", 998, kind="gst", countries="CA", states="QC", priority=2, compound=True
    )
    rates = await pricing_tax_rates(db_session)
    assert rates == (
        pricing.TaxRate(vat.id, "VAT", 2000, "vat", pricing.Region(("FR",)), 1, False, False),
        pricing.TaxRate(quebec.id, "QST", 998, "gst", pricing.Region(("CA",), ("QC",)), 2, True, True),
    )


async def test_tax_precedence_by_place_and_priority(db_session) -> None:
    await _rate(db_session, "US federal-ish", 100, countries="US", kind="sales")
    await _rate(db_session, "New York", 400, countries="US", states="NY", kind="sales")
    await _rate(
        db_session, "NYC", 450, countries="US", states="NY", postcodes="10000-10299", kind="sales", priority=2
    )
    await _rate(db_session, "Everywhere levy", 50, priority=3)
    rates = await pricing_tax_rates(db_session)

    def names(state: str = "", postcode: str = "") -> list[str]:
        return [rate.name for rate in pricing.rates_for(rates, pricing.Address("US", state, postcode))]

    assert names("NY", "10001") == [
        "New York",
        "NYC",
        "Everywhere levy",
    ]  # state replaces country at priority 1
    assert names("NY", "14201") == ["New York", "Everywhere levy"]
    assert names("TX", "73301") == ["US federal-ish", "Everywhere levy"]
    assert [r.name for r in pricing.rates_for(rates, pricing.Address("FR"))] == ["Everywhere levy"]


def test_tax_rate_rules() -> None:
    assert TaxRateInput("", 10_001, kind="vat-ish", priority=101).problems().keys() == {
        "name",
        "rate",
        "kind",
        "priority",
    }
    assert TaxRateInput("VAT", 2000).problems() == {}
