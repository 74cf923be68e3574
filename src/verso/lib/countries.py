"""Countries by ISO 3166-1 alpha-2 code, named in a locale, from babel's CLDR data: one list for the
address book, checkout, shipping zones and tax rates. Babel loads on first use, not at start-up."""

from __future__ import annotations

from functools import lru_cache

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
