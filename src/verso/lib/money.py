"""Money in integer minor units: parse what staff type, format what people read.

Amounts are always ``int`` minor units of one currency (cents for EUR, yen for JPY: babel knows each
currency's number of decimals). Nothing here uses floats. babel loads on first use.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache


class MoneyError(ValueError):
    """Text that is not an amount in this currency, with a message fit to show the person."""


@lru_cache(maxsize=64)
def is_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency babel knows (EUR, USD, JPY...)."""
    from babel.numbers import is_currency as known

    return known(code.upper())


def decimals(currency: str) -> int:
    """How many digits follow the decimal point in ``currency`` (2 for EUR, 0 for JPY)."""
    from babel.numbers import get_currency_precision

    return get_currency_precision(currency.upper())


def parse_money(text: str, currency: str) -> int:
    """``"12.50"`` -> ``1250`` (EUR). Accepts a comma as the decimal mark and spaces or underscores
    between digit groups; refuses more decimals than the currency has, and negatives."""
    cleaned = text.strip().replace(" ", "").replace("_", "").replace("\u00a0", "")
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError("Enter an amount such as 12.50.") from exc
    if not value.is_finite() or value < 0:
        raise MoneyError("Enter an amount of zero or more.")
    places = decimals(currency)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise MoneyError(f"Use at most {places} decimal places." if places else "Use whole amounts.")
    if minor > 2**31 - 1:
        raise MoneyError("That amount is too large.")
    return int(minor)


def to_decimal_text(minor: int | None, currency: str) -> str:
    """The amount as a plain number for a form field (``1250`` -> ``"12.50"``); ``""`` for none."""
    if minor is None:
        return ""
    return f"{Decimal(minor).scaleb(-decimals(currency)):.{decimals(currency)}f}"


@lru_cache(maxsize=4096)
def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """``1250, "EUR", "en"`` -> ``"€12.50"``; the locale decides symbol place and separators."""
    from babel.core import UnknownLocaleError
    from babel.numbers import format_currency

    amount = Decimal(minor).scaleb(-decimals(currency))
    try:
        return format_currency(amount, currency.upper(), locale=locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return format_currency(amount, currency.upper(), locale="en")
