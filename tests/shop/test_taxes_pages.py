"""Staff tax screens over HTTP: the table (page and htmx fragment), the form with its percentage and
place checks, editing and deleting, and who may see and change them."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_user, post_form, sign_in
from verso.domains.shop.models import TaxRate
from verso.lib.audit import AuditLog

BASE = "/admin/shop/taxes"


async def test_create_tax_rates_table_and_fragment(admin_client, db_session) -> None:
    await admin_client.get(f"{BASE}/new")
    for name, rate, kind, extra in (
        ("French VAT", "20", "vat", {"countries": "FR"}),
        (
            "NY sales tax",
            "8,88",
            "sales",
            {"countries": "US", "states": "ny", "priority": "2", "compound": "on"},
        ),
    ):
        created = await post_form(
            admin_client,
            BASE,
            {
                "name": name,
                "rate": rate,
                "kind": kind,
                "is_active": "on",
                "applies_to_shipping": "on",
                **extra,
            },
            follow_redirects=False,
        )
        assert created.status_code == 303, created.text
    rates = {r.name: r for r in (await db_session.scalars(select(TaxRate))).all()}
    assert rates["French VAT"].rate == 2000 and rates["French VAT"].countries == ["FR"]
    ny = rates["NY sales tax"]
    assert (ny.rate, ny.kind, ny.states, ny.priority, ny.compound) == (888, "sales", ["NY"], 2, True)
    page = await admin_client.get(BASE)
    assert page.status_code == 200 and "<html" in page.text
    assert "French VAT" in page.text and "20%" in page.text and "8.88%" in page.text
    assert "US · states: NY" in page.text
    fragment = await admin_client.get(f"{BASE}?kind=sales", headers={"HX-Request": "true"})
    assert (
        fragment.status_code == 200 and "<html" not in fragment.text and 'id="taxes-table"' in fragment.text
    )
    assert "NY sales tax" in fragment.text and "French VAT" not in fragment.text
    edit = await admin_client.get(f"{BASE}/{ny.id}")
    assert 'value="8.88"' in edit.text
    assert await db_session.scalar(select(AuditLog.id).where(AuditLog.action == "shop.tax_rate.created"))


async def test_tax_form_refuses_precision_and_places_inline(admin_client, db_session) -> None:
    await admin_client.get(f"{BASE}/new")
    bad = await post_form(
        admin_client,
        BASE,
        {"name": "NYC", "rate": "8.875", "countries": "US, ZZ", "postcodes": "10000-09999"},
    )
    assert bad.status_code == 422
    assert "Use at most 2 decimal places." in bad.text
    assert "Unknown country code: ZZ." in bad.text
    assert "a range goes from the lower to the higher number" in bad.text
    nameless = await post_form(admin_client, BASE, {"name": "", "rate": "8.875"}, htmx=True)
    assert nameless.status_code == 422 and "<html" not in nameless.text
    assert "This field is required." in nameless.text and "Use at most 2 decimal places." in nameless.text
    assert await db_session.scalar(select(TaxRate.id)) is None


async def test_edit_delete_and_permissions(client, admin, db_session) -> None:
    from tests.factories import ADMIN_PASSWORD

    await sign_in(client, admin.email, ADMIN_PASSWORD)
    await post_form(client, BASE, {"name": "VAT", "rate": "20", "is_active": "on"})
    rate = (await db_session.scalars(select(TaxRate))).one()
    rate_id = rate.id
    updated = await post_form(
        client, f"{BASE}/{rate_id}", {"name": "VAT", "rate": "5.5"}, follow_redirects=False
    )
    assert updated.status_code == 303
    db_session.expire_all()
    rate = await db_session.get(TaxRate, rate_id)
    assert (rate.rate, rate.is_active, rate.applies_to_shipping) == (550, False, False)
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 200
    assert (await client.get(f"{BASE}/{rate_id}")).status_code == 403
    assert (await post_form(client, f"{BASE}/{rate_id}/delete")).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    assert (await client.get(BASE)).status_code == 403
    assert (await post_form(client, BASE, {"name": "X", "rate": "1"})).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    deleted = await post_form(client, f"{BASE}/{rate_id}/delete", follow_redirects=False)
    assert deleted.status_code == 303 and await db_session.scalar(select(TaxRate.id)) is None
