"""Countries by ISO 3166-1 alpha-2 code, named in a locale, from babel's CLDR data: one list for the
address book, checkout, shipping zones and tax rates. Babel loads on first use, not at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# Territories CLDR names that are not countries: groupings, reserved and private-use codes (Kosovo's XK
# stays: carriers and Stripe use it).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code an address, zone or tax rate may use."""
    from babel import Locale

    return frozenset(
        code
        for code in Locale.parse("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


@lru_cache(maxsize=16)
def country_names(locale: str = "en") -> dict[str, str]:
    """Country names by code in ``locale``, English where babel does not know the locale."""
    from babel import Locale, UnknownLocaleError

    try:
        territories = Locale.parse(locale.replace("-", "_")).territories
    except (UnknownLocaleError, ValueError):
        territories = Locale.parse("en").territories
    english = Locale.parse("en").territories
    return {code: territories.get(code) or english.get(code, code) for code in sorted(country_codes())}


def country_options(locale: str) -> list[tuple[str, str]]:
    """``(code, name)`` for a country select, sorted by name as the person reads it."""
    return sorted(country_names(locale).items(), key=lambda pair: pair[1].casefold())


# Where the town comes before the postcode on an envelope ("Springfield, IL 62701").
_CITY_FIRST = frozenset(
    {"US", "CA", "AU", "NZ", "GB", "IE", "IN", "ZA", "SG", "HK", "PH", "BR", "MX", "JP", "KR", "CN"}
)


def address_lines(address: Any, countries: Mapping[str, str] | None = None) -> list[str]:
    """A postal address as an envelope's lines: name, street, town (in the country's order) and
    country (named from ``countries``, else its code), empty parts left out; the phone is not one.
    ``address``: a dict with the keys of an order's address, or an object with those attributes."""

    def part(key: str) -> str:
        value = address.get(key) if isinstance(address, Mapping) else getattr(address, key, None)
        return str(value or "").strip()

    code, city, state, postcode = part("country"), part("city"), part("state"), part("postcode")
    if code in _CITY_FIRST:
        places = [f"{', '.join(p for p in (city, state) if p)} {postcode}".strip()]
    else:
        places = [" ".join(p for p in (postcode, city) if p), state]
    lines = [part("name"), part("line1"), part("line2"), *places, (countries or {}).get(code, code)]
    return [line for line in lines if line]
