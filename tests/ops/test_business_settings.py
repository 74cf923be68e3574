"""Business settings: saved in one audited transaction, read everywhere through one cached service."""

from __future__ import annotations

import base64

from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user, post_form, sign_in
from verso.domains.ops.models import BusinessSettings
from verso.domains.ops.services import business_cache
from verso.lib.audit import AuditLog

FORM = {
    "name": "Bread & Co",
    "address": "1 Market St",
    "currency": "GBP",
    "timezone": "Europe/London",
    "locale": "en_GB",
    "contact_email": "hello@bread.example",
}
# A real 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


async def test_save_updates_everywhere_and_is_audited(admin_client, db_session) -> None:
    response = await post_form(admin_client, "/admin/settings", FORM, follow_redirects=False)
    assert response.status_code == 303
    page = await admin_client.get("/admin/settings")
    assert "Settings saved." in page.text and "Bread &amp; Co" in page.text
    assert business_cache.current().currency == "GBP"
    entry = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "settings.updated"))).one()
    assert entry.changes["name"] == ["Test Bakery", "Bread & Co"]
    assert entry.changes["timezone"] == ["Europe/Paris", "Europe/London"]
    assert "address" in entry.changes and "logo" not in entry.changes


async def test_invalid_input_is_named_and_kept(admin_client) -> None:
    response = await post_form(admin_client, "/admin/settings", {**FORM, "contact_email": "nope", "name": ""})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.text and "This field is required." in response.text
    assert "1 Market St</textarea>" in response.text
    # Rules across fields run once every field parses.
    response = await post_form(
        admin_client, "/admin/settings", {**FORM, "timezone": "Nowhere/Else", "currency": "XXX"}
    )
    assert response.status_code == 422
    assert "Choose a time zone from the list." in response.text
    assert "Choose a currency from the list." in response.text
    assert business_cache.current().name == "Test Bakery"


async def test_other_processes_see_changes_within_the_cache_window(admin_client, db_session) -> None:
    await admin_client.get("/admin")
    await db_session.execute(update(BusinessSettings).values(name="Changed elsewhere"))
    await db_session.commit()
    assert business_cache.current().name == "Test Bakery"  # still fresh in this process
    business_cache._loaded_at -= 60  # as if the cache window had passed
    page = await admin_client.get("/admin")
    assert "Changed elsewhere" in page.text


async def test_logo_is_checked_by_content_and_served_cacheably(admin_client) -> None:
    files = {"logo": ("logo.png", b"this is not an image at all", "image/png")}
    refused = await post_form(admin_client, "/admin/settings", FORM, files=files)
    assert refused.status_code == 422 and "The logo must be a PNG, JPEG or WebP image." in refused.text
    saved = await post_form(
        admin_client, "/admin/settings", FORM, files={"logo": ("x.bin", PNG, "application/x")}
    )
    assert saved.status_code == 200
    url = business_cache.current().logo_url
    assert url and url.startswith("/media/logo/")
    logo = await admin_client.get(url)
    assert logo.status_code == 200 and logo.content == PNG and logo.headers["content-type"] == "image/png"
    assert "immutable" in logo.headers["cache-control"]
    again = await admin_client.get(url, headers={"If-None-Match": logo.headers["etag"]})
    assert again.status_code == 304
    assert (await admin_client.get("/media/logo/" + "f" * 64)).status_code == 404
    removed = await post_form(admin_client, "/admin/settings", {**FORM, "remove_logo": "on"})
    assert removed.status_code == 200 and business_cache.current().logo_url is None


async def test_only_permitted_staff_change_settings(client, admin) -> None:
    await make_user("sales@example.com", ["commercial"])
    await sign_in(client, "sales@example.com", PASSWORD)
    assert (await post_form(client, "/admin/settings", FORM)).status_code == 403
