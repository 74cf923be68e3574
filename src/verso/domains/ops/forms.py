"""Form input for the first-run setup and the business settings page."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from verso.lib.clock import is_valid_zone, zone_choices

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CURRENCIES = [
    "EUR",
    "USD",
    "GBP",
    "CHF",
    "CAD",
    "AUD",
    "NZD",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "JPY",
    "INR",
    "BRL",
    "MXN",
    "ZAR",
    "SGD",
]
LOCALES = [
    ("en", "English (US): Nov 22, 2026"),
    ("en_GB", "English (UK): 22 Nov 2026"),
    ("fr", "French: 22 nov. 2026"),
    ("de", "German: 22.11.2026"),
    ("es", "Spanish: 22 nov 2026"),
    ("it", "Italian: 22 nov 2026"),
    ("nl", "Dutch: 22 nov 2026"),
    ("pt", "Portuguese: 22 de nov. de 2026"),
]
MIN_PASSWORD = 12


def zone_options() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in zone_choices()]


def currency_options() -> list[tuple[str, str]]:
    return [(code, code) for code in CURRENCIES]


Email = Annotated[str, Meta(pattern=EMAIL, max_length=254, extra={"error": "Enter a valid email address."})]
BusinessName = Annotated[str, Meta(min_length=1, max_length=120)]
Zone = Annotated[str, Meta(min_length=1, max_length=64, extra={"error": "Choose a time zone."})]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", extra={"error": "Choose a currency."})]


def _zone_and_currency(timezone: str, currency: str) -> dict[str, str]:
    errors = {}
    if not is_valid_zone(timezone):
        errors["timezone"] = "Choose a time zone from the list."
    if currency not in CURRENCIES:
        errors["currency"] = "Choose a currency from the list."
    return errors


class SetupForm(msgspec.Struct):
    business_name: BusinessName
    timezone: Zone
    currency: Currency
    first_name: Annotated[str, Meta(max_length=80)]
    last_name: Annotated[str, Meta(max_length=80)]
    email: Email
    password: Annotated[str, Meta(min_length=MIN_PASSWORD, max_length=1024)]
    password_confirm: str

    def check(self) -> dict[str, str]:
        errors = _zone_and_currency(self.timezone, self.currency)
        if self.password != self.password_confirm:
            errors["password_confirm"] = "The two passwords do not match."
        return errors


class SettingsForm(msgspec.Struct):
    name: BusinessName
    address: Annotated[str, Meta(max_length=500)]
    currency: Currency
    timezone: Zone
    locale: Annotated[str, Meta(min_length=1, max_length=16)]
    contact_email: Email
    enabled_modules: list[str]
    verified_actions: list[str] = []
    remove_logo: bool = False

    def check(self) -> dict[str, str]:
        errors = _zone_and_currency(self.timezone, self.currency)
        if self.locale not in {code for code, _ in LOCALES}:
            errors["locale"] = "Choose a language from the list."
        return errors


class TestEmailForm(msgspec.Struct):
    to: Email
