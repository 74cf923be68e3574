"""Staff shipping screens over HTTP: the zone table (page and htmx fragment), the zone form with its
place checks, one rest-of-world zone, the rate form with bands, "Try an address", and permissions."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import make_user, post_form, sign_in
from verso.domains.shop.models import ShippingRate, ShippingZone
from verso.lib.audit import AuditLog

BASE = "/admin/shop/shipping"


async def _zone(client, **fields) -> ShippingZone:
    await client.get(f"{BASE}/new")
    response = await post_form(client, BASE, fields, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[-1]


async def test_zone_table_page_and_fragment(admin_client, db_session) -> None:
    await _zone(admin_client, name="France", countries="fr, be", postcodes="")
    await _zone(admin_client, name="World", rest_of_world="on")
    page = await admin_client.get(BASE)
    assert page.status_code == 200 and "<html" in page.text
    assert "France" in page.text and "FR, BE" in page.text and "Rest of world" in page.text
    assert "Try an address" in page.text
    fragment = await admin_client.get(f"{BASE}?q=fra", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'id="zones-table"' in fragment.text and "France" in fragment.text and "World" not in fragment.text


async def test_zone_form_refuses_bad_places_inline(admin_client, db_session) -> None:
    await admin_client.get(f"{BASE}/new")
    bad = await post_form(
        admin_client,
        BASE,
        {"name": "Paris", "countries": "FR, XX, Fra", "postcodes": "75*\n7600-7500\n*\n7a*b"},
    )
    assert bad.status_code == 422
    assert "Unknown country codes: XX, FRA." in bad.text
    assert "a range goes from the lower to the higher number" in bad.text
    assert "would match every postcode" in bad.text
    assert "is not a postcode" in bad.text
    assert await db_session.scalar(select(ShippingZone.id)) is None
    empty = await post_form(admin_client, BASE, {"name": "Nowhere"})
    assert empty.status_code == 422 and "Give at least one country, state or postcode" in empty.text


async def test_only_one_rest_of_world_zone(admin_client, db_session) -> None:
    await _zone(admin_client, name="World", rest_of_world="on")
    second = await post_form(admin_client, BASE, {"name": "Elsewhere", "rest_of_world": "on"})
    assert second.status_code == 422
    assert "Only one zone can be the rest of the world, and “World” already is" in second.text
    mixed = await post_form(admin_client, BASE, {"name": "Mixed", "rest_of_world": "on", "countries": "FR"})
    assert mixed.status_code == 422 and "leave its countries, states and postcodes empty" in mixed.text
    # Saving the rest-of-world zone itself again is fine.
    world = (await db_session.scalars(select(ShippingZone))).one()
    again = await post_form(
        admin_client, f"{BASE}/{world.id}", {"name": "Rest of the world", "rest_of_world": "on"}, htmx=True
    )
    assert again.headers["hx-redirect"] == f"{BASE}/{world.id}"


async def test_rate_form_with_bands_and_checks(admin_client, db_session) -> None:
    zone_id = await _zone(admin_client, name="France", countries="FR")
    await admin_client.get(f"{BASE}/{zone_id}/rates/new")
    added = await post_form(
        admin_client,
        f"{BASE}/{zone_id}/rates",
        {
            "name": "Parcel",
            "kind": "weight",
            "band_minimum": ["0"],
            "band_maximum": ["1000"],
            "band_price": ["2"],
            "action": "add_band",
        },
    )
    assert added.status_code == 200 and added.text.count('name="band_minimum"') == 2
    bad = await post_form(
        admin_client,
        f"{BASE}/{zone_id}/rates",
        {
            "name": "Parcel",
            "kind": "weight",
            "band_minimum": ["0", "500", "x"],
            "band_maximum": ["1000", "2000", ""],
            "band_price": ["2", "3", "1"],
            "days_min": "5",
            "days_max": "2",
            "maximum_charge": "1",
            "minimum_charge": "3",
        },
    )
    assert bad.status_code == 422
    assert "Enter grams as a whole number" in bad.text
    ok_bands = {
        "name": "Parcel",
        "kind": "weight",
        "price": "4.90",
        "price_per_kg": "1",
        "band_minimum": ["0", "500", ""],
        "band_maximum": ["1000", "2000", ""],
        "band_price": ["2", "3", ""],
        "days_min": "5",
        "days_max": "2",
        "maximum_charge": "1",
        "minimum_charge": "3",
        "is_active": "on",
    }
    checks = await post_form(admin_client, f"{BASE}/{zone_id}/rates", ok_bands)
    assert checks.status_code == 422
    assert "overlaps another" in checks.text
    assert "Must be at least the fewest days." in checks.text
    assert "Must be at least the minimum charge." in checks.text
    ok_bands.update(band_minimum=["0", "1000", ""], days_max="7", maximum_charge="20")
    saved = await post_form(admin_client, f"{BASE}/{zone_id}/rates", ok_bands, follow_redirects=False)
    assert saved.status_code == 303
    rate = (await db_session.scalars(select(ShippingRate))).one()
    assert (rate.kind, rate.price, rate.price_per_kg, rate.minimum_charge, rate.maximum_charge) == (
        "weight",
        490,
        100,
        300,
        2000,
    )
    assert rate.bands == [
        {"minimum": 0, "maximum": 1000, "price": 200},
        {"minimum": 1000, "maximum": 2000, "price": 300},
    ]
    edit = await admin_client.get(f"{BASE}/{zone_id}/rates/{rate.id}")
    assert edit.status_code == 200 and 'value="1000"' in edit.text and 'value="4.90"' in edit.text
    zone_page = await admin_client.get(f"{BASE}/{zone_id}")
    assert "Parcel" in zone_page.text and "2 bands" in zone_page.text
    assert await db_session.scalar(select(AuditLog.id).where(AuditLog.action == "shop.shipping_rate.created"))
    deleted = await post_form(
        admin_client, f"{BASE}/{zone_id}/rates/{rate.id}/delete", follow_redirects=False
    )
    assert deleted.status_code == 303 and await db_session.scalar(select(ShippingRate.id)) is None


async def test_try_an_address_page_and_fragment(admin_client, db_session) -> None:
    france = await _zone(admin_client, name="France", countries="FR")
    await _zone(admin_client, name="Paris", countries="FR", postcodes="75*")
    for zone_id, name, price in ((france, "Colissimo", "6"), (france, "Off", "1")):
        await post_form(
            admin_client,
            f"{BASE}/{zone_id}/rates",
            {
                "name": name,
                "kind": "flat",
                "price": price,
                "free_over": "100",
                "days_min": "2",
                "days_max": "4",
                "is_active": "" if name == "Off" else "on",
            },
        )
    page = await admin_client.get(f"{BASE}/try?country=fr&postcode=69001&value=50&weight=800")
    assert page.status_code == 200 and "<html" in page.text
    assert "<strong>France</strong> serves this address (matched by its country)" in page.text
    assert "Colissimo" in page.text and "€6.00" in page.text and "2\u20134 days" in page.text
    assert ">Off<" not in page.text  # inactive rates are not offered
    fragment = await admin_client.get(
        f"{BASE}/try?country=FR&postcode=75011&value=50", headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="trial"' in fragment.text
    assert "<strong>Paris</strong> serves this address (matched by its postcode)" in fragment.text
    assert "No active rate of this zone covers this parcel" in fragment.text
    nowhere = await admin_client.get(f"{BASE}/try?country=DE", headers={"HX-Request": "true"})
    assert "No zone serves this address" in nowhere.text
    bad = await admin_client.get(f"{BASE}/try?country=QQ&value=abc", headers={"HX-Request": "true"})
    assert "Enter a two-letter ISO country code" in bad.text and "Enter an amount such as 12.50." in bad.text


async def test_delete_zone_and_permissions(client, admin, db_session) -> None:
    from tests.factories import ADMIN_PASSWORD

    await sign_in(client, admin.email, ADMIN_PASSWORD)
    zone_id = await _zone(client, name="France", countries="FR")
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await make_user("sales@example.com", ["commercial"])
    await make_user("cust@example.com", ["user"])
    await sign_in(client, "sales@example.com", "another long passphrase")
    listing = await client.get(BASE)
    assert listing.status_code == 200 and "New zone" not in listing.text  # reads, cannot change
    assert (await client.get(f"{BASE}/{zone_id}")).status_code == 403
    assert (await post_form(client, f"{BASE}/{zone_id}/delete")).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, "cust@example.com", "another long passphrase")
    for url in (BASE, f"{BASE}/try?country=FR", f"{BASE}/new"):
        assert (await client.get(url)).status_code == 403
    assert (await post_form(client, BASE, {"name": "X", "countries": "FR"})).status_code == 403
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    client.cookies.clear()
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    deleted = await post_form(client, f"{BASE}/{zone_id}/delete", follow_redirects=False)
    assert deleted.status_code == 303 and await db_session.scalar(select(ShippingZone.id)) is None
