"""First-run setup: the only way in until an admin exists, and it works exactly once."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import post_form
from verso.domains.identity.models import User
from verso.domains.ops.models import BusinessSettings

GOOD = {
    "business_name": "Juniper Ceramics",
    "timezone": "Europe/Lisbon",
    "currency": "EUR",
    "first_name": "Ana",
    "last_name": "Silva",
    "email": "Ana@Juniper.example",
    "password": "a long enough passphrase",
    "password_confirm": "a long enough passphrase",
}


async def test_admin_and_login_lead_to_setup_until_an_admin_exists(client) -> None:
    for path in ("/admin", "/login", "/admin/settings"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/setup", path
    page = await client.get("/setup")
    assert page.status_code == 200 and 'name="business_name"' in page.text


async def test_setup_validates_every_field_and_keeps_the_input(client) -> None:
    await client.get("/setup")
    bad = {
        **GOOD,
        "timezone": "Mars/Olympus",
        "email": "not-an-email",
        "password": "short",
        "password_confirm": "different",
    }
    response = await post_form(client, "/setup", bad)
    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    assert "Must be at least 12 characters." in response.text
    assert 'value="Juniper Ceramics"' in response.text
    mismatch = await post_form(client, "/setup", {**GOOD, "password_confirm": "something else entirely"})
    assert "The two passwords do not match." in mismatch.text
    tz = await post_form(client, "/setup", {**GOOD, "timezone": "Mars/Olympus"})
    assert "Choose a time zone from the list." in tz.text


async def test_setup_creates_business_and_admin_then_answers_404(client, db_session) -> None:
    await client.get("/setup")
    response = await post_form(client, "/setup", GOOD, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    dashboard = await client.get("/admin")
    assert dashboard.status_code == 200 and "Welcome to Verso, Ana Silva." in dashboard.text
    business = await db_session.get(BusinessSettings, 1)
    assert (business.name, business.timezone, business.currency) == (
        "Juniper Ceramics",
        "Europe/Lisbon",
        "EUR",
    )
    admin = (await db_session.scalars(select(User))).one()
    assert admin.email == "ana@juniper.example" and admin.role_names == ["admin"]
    assert admin.password_hash.startswith("$argon2id$")
    assert (await client.get("/setup")).status_code == 404
    again = await post_form(client, "/setup", {**GOOD, "email": "intruder@example.com"})
    assert again.status_code == 404
    assert len((await db_session.scalars(select(User))).all()) == 1
