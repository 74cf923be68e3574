"""Postal addresses as envelope lines: the town in each country's order, empty parts left out, the
country named when names are given (the address pages and the PDF invoice share this)."""

from __future__ import annotations

from types import SimpleNamespace

from verso.lib.countries import address_lines, country_names


def test_the_postcode_comes_first_in_france_and_after_the_state_in_the_united_states() -> None:
    paris = {"name": "Ann", "line1": "1 rue de la Paix", "line2": "", "city": "Paris", "postcode": "75002",
             "state": "", "country": "FR", "phone": "+33 1 23 45 67 89"}  # fmt: skip
    assert address_lines(paris) == ["Ann", "1 rue de la Paix", "75002 Paris", "FR"]
    springfield = {"line1": "742 Evergreen Terrace", "city": "Springfield", "state": "IL",
                   "postcode": "62701", "country": "US"}  # fmt: skip
    assert address_lines(springfield, country_names("en")) == [
        "742 Evergreen Terrace",
        "Springfield, IL 62701",
        "United States",
    ]


def test_a_saved_address_object_reads_the_same_and_blank_parts_are_left_out() -> None:
    saved = SimpleNamespace(
        name=" Bo ", line1="2 High St", line2=None, city="", state="", postcode="SW1A 1AA", country="GB"
    )
    assert address_lines(saved) == ["Bo", "2 High St", "SW1A 1AA", "GB"]
    assert address_lines({}) == []
