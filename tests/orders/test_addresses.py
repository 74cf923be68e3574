"""The address book over HTTP (/account/addresses: list, add, edit, delete, the one default, 422s
with inline errors, the htmx fragments), ownership (another person's address answers 404 and stays
as it was), and the shared validation checkout reuses."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from verso.domains.orders.models import SavedAddress
from verso.domains.orders.services import _addresses
from verso.domains.orders.services._addresses import (
    ADDRESS_KEYS,
    AddressError,
    AddressInput,
    address_dict,
    save_address,
    saved_addresses,
    validate_address,
)
from verso.lib.countries import country_options

HOME = {
    "label": "Home",
    "name": "Ann Example",
    "line1": "12 Rue des Lilas",
    "line2": "3rd floor",
    "city": "Lyon",
    "state": "",
    "postcode": "69001",
    "country": "fr",
    "phone": "+33 4 00 00 00 00",
}
WORK = {"label": "Work", "name": "Ann Example", "line1": "1 Main Street", "city": "Boston",
        "state": "MA", "postcode": "02110", "country": "US"}  # fmt: skip


async def _customer(client, email: str = "ann@example.com"):
    user = await make_user(email, ["user"], email_verified=True)
    await sign_in(client, email, PASSWORD)
    return user


async def _rows(db_session, customer_id) -> list[SavedAddress]:
    db_session.expire_all()
    return await saved_addresses(db_session, customer_id)


async def test_anonymous_visitors_are_sent_to_sign_in(client, admin) -> None:
    response = await client.get("/account/addresses", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_add_an_address_and_see_it_listed(client, admin, db_session) -> None:
    user = await _customer(client)
    empty = await client.get("/account/addresses")
    assert empty.status_code == 200 and "No saved addresses" in empty.text
    assert 'aria-current="page">Addresses' in empty.text  # the account layout's link
    form = await client.get("/account/addresses/new")
    assert '<option value="FR">France</option>' in form.text and 'name="_csrf_token"' in form.text
    saved = await post_form(client, "/account/addresses", HOME, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/account/addresses"
    [row] = await _rows(db_session, user.id)
    assert (row.label, row.country, row.line2, row.is_default) == ("Home", "FR", "3rd floor", True)
    page = unescape((await client.get("/account/addresses")).text)
    assert "Address saved." in page and "12 Rue des Lilas" in page and "69001 Lyon" in page
    assert "France" in page and "Default" in page


async def test_invalid_input_comes_back_with_422_and_inline_errors(client, admin, db_session) -> None:
    user = await _customer(client)
    bad = {**HOME, "name": "", "country": "XX", "phone": "call me"}
    response = await post_form(client, "/account/addresses", bad)
    assert response.status_code == 422 and "<html" in response.text
    text = unescape(response.text)
    assert 'id="f-name-error"' in text and "This field is required." in text
    assert "Choose a country from the list." in text
    assert "Enter a phone number with digits, spaces and + - ( ) only." in text
    assert 'value="12 Rue des Lilas"' in text  # nothing typed is lost
    fragment = await post_form(client, "/account/addresses", {**HOME, "city": ""}, htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section class="account-section" id="address-form"')
    assert await _rows(db_session, user.id) == []


async def test_exactly_one_default(client, admin, db_session) -> None:
    user = await _customer(client)
    await post_form(client, "/account/addresses", HOME)
    await post_form(client, "/account/addresses", {**WORK, "make_default": "on"})
    rows = await _rows(db_session, user.id)
    assert [(r.label, r.is_default) for r in rows] == [("Work", True), ("Home", False)]
    home = rows[1]
    # htmx: the list comes back alone, with a toast.
    swapped = await post_form(client, f"/account/addresses/{home.id}/default", htmx=True)
    assert swapped.status_code == 200 and "<html" not in swapped.text
    assert (
        swapped.text.startswith('<div id="addresses">')
        and "Default address changed." in swapped.headers["hx-trigger"]
    )
    rows = await _rows(db_session, user.id)
    assert [(r.label, r.is_default) for r in rows] == [("Home", True), ("Work", False)]
    # Deleting the default hands the role to the address that remains.
    deleted = await post_form(client, f"/account/addresses/{home.id}/delete", follow_redirects=False)
    assert deleted.status_code == 303
    assert [(r.label, r.is_default) for r in await _rows(db_session, user.id)] == [("Work", True)]


async def test_edit_an_address(client, admin, db_session) -> None:
    user = await _customer(client)
    await post_form(client, "/account/addresses", HOME)
    [row] = await _rows(db_session, user.id)
    page = await client.get(f"/account/addresses/{row.id}")
    assert page.status_code == 200 and 'value="12 Rue des Lilas"' in page.text
    assert '<option value="FR" selected>' in page.text
    changed = await post_form(client, f"/account/addresses/{row.id}", {**HOME, "line1": "14 Rue des Lilas"},
                              follow_redirects=False)  # fmt: skip
    assert changed.status_code == 303
    [row] = await _rows(db_session, user.id)
    assert row.line1 == "14 Rue des Lilas" and row.is_default
    refused = await post_form(client, f"/account/addresses/{row.id}", {**HOME, "line1": ""})
    assert refused.status_code == 422 and "Edit address" in refused.text


async def test_another_customers_address_answers_404(client, admin, db_session) -> None:
    other = await make_user("bob@example.com", ["user"], email_verified=True)
    theirs = await save_address(db_session, other.id, validate_address(WORK)[0])
    await db_session.commit()
    await _customer(client)
    assert (await client.get(f"/account/addresses/{theirs.id}")).status_code == 404
    for suffix in ("", "/delete", "/default"):
        response = await post_form(client, f"/account/addresses/{theirs.id}{suffix}", HOME)
        assert response.status_code == 404, suffix
    [row] = await _rows(db_session, other.id)
    assert (row.line1, row.is_default) == ("1 Main Street", True)
    assert "1 Main Street" not in (await client.get("/account/addresses")).text


def test_validation_is_shared_and_normalises() -> None:
    values, form = validate_address({**HOME, "name": "  Ann Example  "})
    assert form.valid and values == AddressInput(
        name="Ann Example", line1="12 Rue des Lilas", line2="3rd floor", city="Lyon", country="FR",
        postcode="69001", phone="+33 4 00 00 00 00", label="Home",
    )  # fmt: skip
    assert address_dict(values) == {
        "name": "Ann Example", "line1": "12 Rue des Lilas", "line2": "3rd floor", "city": "Lyon",
        "state": "", "postcode": "69001", "country": "FR", "phone": "+33 4 00 00 00 00",
    }  # fmt: skip
    assert tuple(address_dict(values)) == ADDRESS_KEYS
    missing, form = validate_address({})
    assert missing is None and set(form.errors) == {"name", "line1", "city", "country"}
    for code in ("EU", "ZZ", "FRA"):
        assert validate_address({**HOME, "country": code})[0] is None, code


def test_country_names_follow_the_locale() -> None:
    french = dict(country_options("fr"))
    assert french["DE"] == "Allemagne" and dict(country_options("en"))["DE"] == "Germany"
    assert "EU" not in french and len(french) >= 249
    assert dict(country_options("not-a-locale"))["DE"] == "Germany"


async def test_the_address_book_has_a_limit(db_session, monkeypatch: pytest.MonkeyPatch) -> None:
    user = await make_user("ann@example.com", ["user"])
    monkeypatch.setattr(_addresses, "MAX_SAVED_ADDRESSES", 2)
    values = validate_address(HOME)[0]
    for _ in range(2):
        await save_address(db_session, user.id, values)
    with pytest.raises(AddressError, match="up to 2 addresses"):
        await save_address(db_session, user.id, values)
    count = select(func.count()).select_from(SavedAddress).where(SavedAddress.is_default.is_(True))
    assert await db_session.scalar(count) == 1
