"""The checkout settings page over HTTP: defaults, saving with an audit entry, inline errors for the
IBAN, BIC, hold time, half-given bank details and a pickup with no place, and who may open it."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_user, post_form, sign_in
from verso.domains.shop.models import ShopSettings
from verso.lib.audit import AuditLog

BASE = "/admin/shop/settings"
GOOD = {
    "prices_include_tax": "on",
    "hold_minutes": "30",
    "bank_account_holder": "Test Bakery SARL",
    "bank_iban": "fr76 3000 6000 0112 3456 7890 189",
    "bank_bic": "agrifrpp",
    "bank_name": "Crédit Agricole",
    "pickup_enabled": "on",
    "pickup_instructions": "Tue-Sat 9-18.",
    "pickup_name": "The bakery",
    "pickup_line1": " 12 rue des Lilas ",
    "pickup_city": "Lyon",
    "pickup_postcode": "69001",
    "pickup_country": "fr",
}


async def test_settings_page_saves_and_audits(admin_client, db_session) -> None:
    page = await admin_client.get(BASE)
    assert page.status_code == 200 and "<html" in page.text and "Prices include tax" in page.text
    assert 'value="15"' in page.text  # the default hold
    assert "Customers cannot pay yet" in page.text
    saved = await post_form(admin_client, BASE, GOOD, follow_redirects=False)
    assert saved.status_code == 303
    row = (await db_session.scalars(select(ShopSettings))).one()
    assert (row.prices_include_tax, row.hold_minutes, row.bank_iban, row.bank_bic) == (
        True,
        30,
        "FR7630006000011234567890189",
        "AGRIFRPP",
    )
    entry = (
        await db_session.scalars(select(AuditLog).where(AuditLog.action == "shop.settings.updated"))
    ).one()
    assert entry.changes["hold_minutes"] == [15, 30]
    assert row.pickup_enabled and row.pickup_location == {
        "name": "The bakery",
        "line1": "12 rue des Lilas",
        "line2": "",
        "city": "Lyon",
        "state": "",
        "postcode": "69001",
        "country": "FR",
    }
    again = await admin_client.get(BASE)
    assert "FR76 3000 6000 0112 3456 7890 189" in again.text and 'value="12 rue des Lilas"' in again.text
    assert "Customers can pay by bank transfer, pay on pickup." in again.text
    htmx = await post_form(admin_client, BASE, {**GOOD, "pickup_enabled": ""}, htmx=True)
    assert htmx.headers["hx-redirect"] == BASE


async def test_settings_refused_inline(admin_client, db_session) -> None:
    await admin_client.get(BASE)
    bad = await post_form(
        admin_client,
        BASE,
        {**GOOD, "bank_iban": "FR76 3000 6000 0112 3456 7890 188", "bank_bic": "AGRI", "hold_minutes": "200"},
        htmx=True,
    )
    assert bad.status_code == 422 and "<html" not in bad.text
    assert "This IBAN is not valid" in bad.text
    assert "A BIC has 8 or 11 letters and digits" in bad.text
    assert "Enter a number of minutes from 5 to 120." in bad.text
    nowhere = await post_form(admin_client, BASE, {**GOOD, "pickup_line1": "", "pickup_city": ""}, htmx=True)
    assert nowhere.status_code == 422 and "Give the street address where customers collect" in nowhere.text
    assert (
        "Give the town or city where customers collect" in nowhere.text
        and 'value="The bakery"' in nowhere.text
    )
    half = await post_form(admin_client, BASE, {**GOOD, "bank_iban": ""})
    assert half.status_code == 422 and "Give the IBAN with the account holder" in half.text
    assert await db_session.scalar(select(ShopSettings.id)) is None


async def test_settings_need_the_settings_permission(client, admin) -> None:
    await make_user("sales@example.com", ["commercial"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "cust@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 403
    assert (await post_form(client, BASE, GOOD)).status_code == 403
