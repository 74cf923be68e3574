"""Checkout settings through the service: defaults before the first save, saving (IBAN and BIC
compacted), the rules, and the IBAN check digits."""

from __future__ import annotations

import pytest

from verso.domains.shop.services import ProductError
from verso.domains.shop.services._shop_settings import (
    CheckoutSettings,
    checkout_settings,
    iban_is_valid,
    save_checkout_settings,
)
from verso.lib.audit import Actor

ACTOR = Actor(label="test")


async def test_defaults_then_saved_values(db_session) -> None:
    defaults = await checkout_settings(db_session)
    assert defaults == CheckoutSettings()
    assert (defaults.prices_include_tax, defaults.hold_minutes, defaults.pickup_enabled) == (False, 15, False)
    assert not defaults.bank_transfer_enabled and not defaults.pickup_offered
    wanted = CheckoutSettings(
        prices_include_tax=True,
        hold_minutes=20,
        bank_account_holder=" Test Bakery ",
        bank_iban="de89 3704 0044 0532 0130 00",
        bank_bic="cobadeffxxx",
        pickup_enabled=False,
    )
    saved = await save_checkout_settings(db_session, wanted, actor=ACTOR)
    await db_session.commit()
    assert saved.bank_iban == "DE89370400440532013000" and saved.bank_bic == "COBADEFFXXX"
    assert await checkout_settings(db_session) == saved
    assert saved.bank_account_holder == "Test Bakery" and saved.bank_transfer_enabled


async def test_refusals(db_session) -> None:
    with pytest.raises(ProductError) as refused:
        await save_checkout_settings(
            db_session, CheckoutSettings(hold_minutes=4, bank_iban="DE89370400440532013001"), actor=ACTOR
        )
    assert refused.value.errors.keys() == {"hold_minutes", "bank_iban", "bank_account_holder"}
    assert CheckoutSettings(hold_minutes=121).problems().keys() == {"hold_minutes"}
    assert CheckoutSettings(hold_minutes=5, bank_bic="COBADEFF1").problems().keys() == {"bank_bic"}
    assert CheckoutSettings(hold_minutes=120, bank_account_holder="Me").problems().keys() == {"bank_iban"}


def test_pickup_needs_a_place_to_collect_from() -> None:
    """Pickup is offered only with the street, town and country given: customers go there, and tax
    is worked out there."""
    refused = CheckoutSettings(pickup_enabled=True).problems()
    assert refused == {
        "pickup_line1": "Give the street address where customers collect their orders.",
        "pickup_city": "Give the town or city where customers collect their orders.",
        "pickup_country": "Give the country where customers collect their orders.",
    }
    studio = {
        "name": "Studio",
        "line1": "12 rue des Potiers",
        "city": "Lyon",
        "postcode": "69001",
        "country": "FR",
    }
    assert CheckoutSettings(pickup_enabled=True, pickup_location={**studio, "country": "XX"}).problems() == {
        "pickup_country": "Choose a country from the list."
    }
    offered = CheckoutSettings(pickup_enabled=True, pickup_location=studio)
    assert not offered.problems() and offered.pickup_offered
    assert offered.pickup_place == "Studio, 12 rue des Potiers, 69001 Lyon"
    # Switched off, a half-given place is kept without complaint; nothing is offered.
    assert not CheckoutSettings(pickup_location={"city": "Lyon"}).problems()
    assert not CheckoutSettings(pickup_location=studio).pickup_offered


def test_iban_check_digits() -> None:
    for good in ("GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "NL91ABNA0417164300"):
        assert iban_is_valid(good), good
    for bad in ("GB82 WEST 1234 5698 7654 33", "DE8937040044053201300", "1234", "", "NL91ABNA041716430!"):
        assert not iban_is_valid(bad), bad
