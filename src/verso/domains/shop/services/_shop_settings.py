"""The shop's checkout settings: whether prices include tax, how long stock is held while a customer
pays, the offline ways to pay (bank transfer details) and pickup at the shop (where, and the
instructions; a customer who collects may pay then).

One row (``SHOP_SETTINGS_ID``), created on first save; until then the defaults apply. Kept per
catalogue version (saving bumps it), so a change shows on the next request in every process while
a checkout page reads only the version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import ShopSettings
from verso.domains.shop.models._shipping import SHOP_SETTINGS_ID
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import Reader, catalog_changed, per_version
from verso.lib.audit import Actor, audit, diff
from verso.lib.countries import country_codes
from verso.lib.payments import PaymentConfig
from verso.settings import get_settings

HOLD_MINUTES = (5, 120)
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
# The pickup location's parts (an order's address keys), each at most this long; the form names
# them ``pickup_<key>``.
LOCATION_LIMITS = {
    "name": 120,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "state": 100,
    "postcode": 20,
    "country": 2,
}
_LOCATION_NEEDS = {"line1": "the street address", "city": "the town or city", "country": "the country"}


def compact_code(text: str) -> str:
    """An IBAN or BIC as stored: no spaces, upper case."""
    return "".join(text.split()).upper()


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, the account; moving the first four characters to
    the end and reading letters as 10..35, the number leaves 1 when divided by 97."""
    compact = compact_code(iban)
    if not _IBAN.match(compact):
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


@dataclass(frozen=True, slots=True)
class CheckoutSettings:
    """What checkout needs from the shop's settings (the model's defaults until staff save them)."""

    prices_include_tax: bool = False
    hold_minutes: int = 15
    bank_account_holder: str = ""
    bank_iban: str = ""
    bank_bic: str = ""
    bank_name: str = ""
    pickup_enabled: bool = False
    pickup_instructions: str = ""
    pickup_location: dict[str, str] | None = None

    @property
    def bank_transfer_enabled(self) -> bool:
        return bool(self.bank_account_holder and self.bank_iban)

    @property
    def pickup_place(self) -> str:
        return place_line(self.pickup_location)

    @property
    def pickup_offered(self) -> bool:
        """Customers may choose to collect (and pay on pickup): switched on, and the place is known."""
        return self.pickup_enabled and bool(self.pickup_location)

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        low, high = HOLD_MINUTES
        if not low <= self.hold_minutes <= high:
            errors["hold_minutes"] = f"Enter a number of minutes from {low} to {high}."
        if self.bank_iban and not iban_is_valid(self.bank_iban):
            errors["bank_iban"] = (
                "This IBAN is not valid: check it for a typo (its check digits do not match)."
            )
        if self.bank_bic and not _BIC.match(compact_code(self.bank_bic)):
            errors["bank_bic"] = "A BIC has 8 or 11 letters and digits, like DEUTDEFF or DEUTDEFF500."
        if self.bank_iban and not self.bank_account_holder.strip():
            errors["bank_account_holder"] = "Give the account holder with the IBAN: customers need both."
        if self.bank_account_holder.strip() and not self.bank_iban:
            errors["bank_iban"] = "Give the IBAN with the account holder: customers need both."
        for name, limit in (("bank_account_holder", 120), ("bank_name", 120), ("pickup_instructions", 2000)):
            if len(getattr(self, name)) > limit:
                errors[name] = f"Must be at most {limit} characters."
        return errors | self._location_problems()

    def _location_problems(self) -> dict[str, str]:
        location, errors = self.pickup_location or {}, {}
        for key, limit in LOCATION_LIMITS.items():
            if len(location.get(key, "")) > limit:
                errors[f"pickup_{key}"] = f"Must be at most {limit} characters."
        country = location.get("country", "")
        if country and country not in country_codes():
            errors["pickup_country"] = "Choose a country from the list."
        if self.pickup_enabled:
            for key, what in _LOCATION_NEEDS.items():
                if not location.get(key):
                    errors.setdefault(f"pickup_{key}", f"Give {what} where customers collect their orders.")
        return errors


def ways_to_pay(shop: CheckoutSettings) -> list[str]:
    """How customers can pay today: by card (Stripe's keys, from the environment), by bank transfer,
    on pickup. Empty: checkout takes no order that costs anything."""
    app = get_settings()
    card = PaymentConfig(
        stripe_secret_key=app.stripe_secret_key, stripe_webhook_secret=app.stripe_webhook_secret
    )
    ways = [("card (Stripe)", card.stripe_configured), ("bank transfer", shop.bank_transfer_enabled)]
    return [name for name, offered in [*ways, ("pay on pickup", shop.pickup_offered)] if offered]


def place_line(place: Mapping[str, str] | None) -> str:
    """A place on one line (name, street, postcode and town), as a choice or a sentence names it."""
    where = place or {}
    town = " ".join(part for part in (where.get("postcode"), where.get("city")) if part)
    return ", ".join(
        part for part in (where.get("name"), where.get("line1"), where.get("line2"), town) if part
    )


def pickup_location_of(values: Mapping[str, str]) -> dict[str, str] | None:
    """The location from the form's ``pickup_<key>`` values, trimmed (country upper case); None
    when every part is empty."""
    location = {key: str(values.get(f"pickup_{key}") or "").strip() for key in LOCATION_LIMITS}
    location["country"] = location["country"].upper()
    return location if any(location.values()) else None


def pickup_form_values(location: dict[str, str] | None) -> dict[str, str]:
    """The location as the form's ``pickup_<key>`` values."""
    return {f"pickup_{key}": (location or {}).get(key, "") for key in LOCATION_LIMITS}


_FIELDS = tuple(CheckoutSettings.__dataclass_fields__)
_ROW = select(*(getattr(ShopSettings, name) for name in _FIELDS)).where(ShopSettings.id == SHOP_SETTINGS_ID)


async def _read_settings(read: Reader) -> CheckoutSettings:
    rows = await read(_ROW)
    return CheckoutSettings(**rows[0]._asdict()) if rows else CheckoutSettings()


async def checkout_settings(session: AsyncSession) -> CheckoutSettings:
    """The shop's checkout settings as committed, or the defaults when staff never saved them."""
    return await per_version(session, "checkout_settings", _read_settings)


async def save_checkout_settings(
    session: AsyncSession, data: CheckoutSettings, *, actor: Actor
) -> CheckoutSettings:
    """Store ``data`` (IBAN and BIC compacted) and audit what changed; refused with
    :class:`ProductError` when a field is wrong. The storefront's pages are rebuilt, since whether
    prices include tax can show on them."""
    if errors := data.problems():
        raise ProductError(errors)
    before = await checkout_settings(session)
    row = await session.get(ShopSettings, SHOP_SETTINGS_ID)
    if row is None:
        row = ShopSettings(id=SHOP_SETTINGS_ID)
        session.add(row)
    cleaned = {
        **asdict(data),
        "bank_account_holder": data.bank_account_holder.strip(),
        "bank_iban": compact_code(data.bank_iban),
        "bank_bic": compact_code(data.bank_bic),
        "bank_name": data.bank_name.strip(),
        "pickup_instructions": data.pickup_instructions.strip(),
    }
    for name, value in cleaned.items():
        setattr(row, name, value)
    await session.flush()
    catalog_changed(session)
    audit(
        session,
        actor,
        "shop.settings.updated",
        target_type="shop_settings",
        target_id=SHOP_SETTINGS_ID,
        target_label="Checkout settings",
        changes=diff(asdict(before), cleaned),
    )
    return CheckoutSettings(**cleaned)
