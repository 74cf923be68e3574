"""API keys through the pages: shown once, hashed at rest, scopes bounded by the creator, revoke."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from tests.api.conftest import SECRET, bearer, create_key
from tests.factories import PASSWORD, make_user, post_form, sign_in
from verso.domains.api.models import ApiKey
from verso.lib import clock
from verso.lib.audit import AuditLog


async def _keys(session_maker) -> list[ApiKey]:
    async with session_maker() as db:
        return list((await db.scalars(select(ApiKey).order_by(ApiKey.created_at))).unique())


async def _audit(session_maker, action: str) -> list[AuditLog]:
    async with session_maker() as db:
        return list(await db.scalars(select(AuditLog).where(AuditLog.action == action)))


async def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(admin_client, session_maker) -> None:
    page = await admin_client.get("/account/api-keys")
    assert page.status_code == 200 and "Create a key" in page.text
    response = await post_form(admin_client, "/account/api-keys", {"name": "Books", "scopes": ["read:users"]})
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    secret = SECRET.findall(response.text)[0]
    assert "shown only once" in response.text

    again = await admin_client.get("/account/api-keys")
    assert secret not in again.text and not SECRET.search(again.text.replace(secret[:12] + "…", ""))
    assert f"{secret[:12]}…" in again.text and "Books" in again.text  # the visible prefix
    admin_list = await admin_client.get("/admin/api-keys")
    assert secret not in admin_list.text and secret[:12] in admin_list.text

    [key] = await _keys(session_maker)
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.prefix == secret[:12] and key.prefix.startswith("vso_") and len(key.prefix) == 12
    assert key.scopes == ["read:users"] and key.expires_at is None and key.last_used_at is None
    [entry] = await _audit(session_maker, "api_key.created")
    assert entry.target_id == str(key.id) and entry.changes["scopes"] == [None, ["read:users"]]
    assert secret not in await _whole_database(session_maker)
    assert secret[4:] not in await _whole_database(session_maker)


async def _whole_database(session_maker) -> str:
    """Every row of every table, as text: a secret must appear nowhere."""
    from verso.lib.db import metadata

    rows: list[str] = []
    async with session_maker() as db:
        for table in metadata.sorted_tables:
            rows.extend(str(row) for row in (await db.execute(select(table))).all())
    return " ".join(rows)


async def test_the_form_refuses_bad_input_with_422(admin_client, session_maker) -> None:
    cases = [
        ({"name": "", "scopes": ["read:users"]}, "This field is required"),
        ({"name": "No scopes"}, "Choose at least one scope"),
        ({"name": "Odd", "scopes": ["read:everything"]}, "Unknown scope: read:everything"),
        (
            {"name": "Past", "scopes": ["read:users"], "expires_on": "2020-01-01"},
            "Choose a date in the future",
        ),
    ]
    for data, message in cases:
        response = await post_form(admin_client, "/account/api-keys", data)
        assert response.status_code == 422, data
        assert message in response.text and not SECRET.search(response.text)
    fragment = await post_form(admin_client, "/account/api-keys", {"name": "x"}, htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.text and 'id="api-keys"' in fragment.text
    assert await _keys(session_maker) == []


async def test_htmx_creation_answers_the_fragment_with_the_secret(admin_client) -> None:
    await admin_client.get("/account/api-keys")
    response = await post_form(
        admin_client, "/account/api-keys", {"name": "Htmx", "scopes": ["read:leads"]}, htmx=True
    )
    assert response.status_code == 201 and "<html" not in response.text
    assert SECRET.search(response.text) and 'id="api-keys"' in response.text


async def test_a_key_never_exceeds_its_creator(client, admin, session_maker) -> None:
    await make_user("sales@example.com", ["commercial"])  # admin.access, identity.users.read, orders.read
    await sign_in(client, "sales@example.com", PASSWORD)
    page = await client.get("/account/api-keys")
    assert "read:users" in page.text and "read:orders" in page.text
    assert "admin:webhooks" not in page.text and "write:products" not in page.text
    for scope in ("admin:webhooks", "write:products", "write:leads"):
        response = await post_form(
            client, "/account/api-keys", {"name": "Too much", "scopes": ["read:users", scope]}
        )
        assert response.status_code == 422
        assert f"You cannot grant a scope you do not hold: {scope}" in response.text
    assert await _keys(session_maker) == []
    secret = await create_key(client, "Fine", ("read:users",))
    assert (await client.get("/api/v1/users", headers=bearer(secret))).status_code == 200


async def test_staff_without_the_permission_cannot_grant_read_users(client, admin, session_maker) -> None:
    await make_user("staff@example.com", ["employee"])  # admin.access and the appointment permissions
    await sign_in(client, "staff@example.com", PASSWORD)
    page = await client.get("/account/api-keys")
    assert page.status_code == 200 and "read:appointments" in page.text and "read:users" not in page.text
    response = await post_form(client, "/account/api-keys", {"name": "k", "scopes": ["read:users"]})
    assert response.status_code == 422 and "do not hold: read:users" in response.text
    assert await _keys(session_maker) == []


async def test_a_customer_creates_keys_for_their_own_records_only(client, admin, session_maker) -> None:
    await make_user("chloe@example.com", ["user"])
    await sign_in(client, "chloe@example.com", PASSWORD)
    page = await client.get("/account/api-keys")
    assert page.status_code == 200 and "You have no API keys" in page.text and "Create a key" in page.text
    for own in ("read:orders", "write:orders", "read:appointments", "write:appointments"):
        assert f'value="{own}"' in page.text
    assert 'value="read:users"' not in page.text and 'value="read:products"' not in page.text
    response = await post_form(client, "/account/api-keys", {"name": "k", "scopes": ["read:users"]})
    assert response.status_code == 422 and "do not hold: read:users" in response.text
    assert await _keys(session_maker) == []
    secret = await create_key(client, "My shop app", ("read:orders", "write:orders"))
    cart = await client.get("/api/v1/cart", headers=bearer(secret))
    assert cart.status_code == 200 and cart.json()["lines"] == []
    orders = await client.get("/api/v1/orders", headers=bearer(secret))
    assert orders.status_code == 200 and orders.json()["items"] == []  # only their own
    changed = await client.patch(
        "/api/v1/orders/0190a7a0-0000-7000-8000-000000000000", headers=bearer(secret), json={"status": "paid"}
    )
    assert changed.status_code == 403  # changing orders stays staff's
    assert (await client.get("/admin/api-keys")).status_code == 403


async def test_anonymous_visitors_are_sent_to_sign_in(client, admin) -> None:
    response = await client.get("/account/api-keys", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_revoking_a_key_stops_it_and_is_audited(admin_client, session_maker) -> None:
    secret = await create_key(admin_client, "Old")
    [key] = await _keys(session_maker)
    response = await post_form(admin_client, f"/account/api-keys/{key.id}/revoke", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account/api-keys"
    [key] = await _keys(session_maker)
    assert key.revoked_at is not None and key.status == "revoked"
    [entry] = await _audit(session_maker, "api_key.revoked")
    assert entry.target_id == str(key.id)
    page = await admin_client.get("/account/api-keys")
    assert "Revoked" in page.text and f"/account/api-keys/{key.id}/revoke" not in page.text
    again = await post_form(admin_client, f"/account/api-keys/{key.id}/revoke", follow_redirects=False)
    assert again.status_code == 303 and len(await _audit(session_maker, "api_key.revoked")) == 1
    assert (await admin_client.get("/api/v1/me", headers=bearer(secret))).status_code == 401


async def test_nobody_revokes_another_persons_key_by_its_id(client, admin, session_maker) -> None:
    from tests.factories import ADMIN_PASSWORD

    await sign_in(client, admin.email, ADMIN_PASSWORD)
    secret = await create_key(client, "The owner's")
    [key] = await _keys(session_maker)
    await post_form(client, "/logout")
    await make_user("sales@example.com", ["commercial"])
    await sign_in(client, "sales@example.com", PASSWORD)
    for url in (f"/account/api-keys/{key.id}/revoke", f"/admin/api-keys/{key.id}/revoke"):
        assert (await post_form(client, url)).status_code == 404, url
    listing = await client.get("/admin/api-keys")
    assert listing.status_code == 200 and key.prefix not in listing.text  # staff see only their own
    missing = "01900000-0000-7000-8000-000000000000"
    assert (await post_form(client, f"/account/api-keys/{missing}/revoke")).status_code == 404
    [key] = await _keys(session_maker)
    assert key.revoked_at is None
    assert (await client.get("/api/v1/me", headers=bearer(secret))).status_code == 200


async def test_an_admin_sees_and_revokes_every_key(client, admin, session_maker) -> None:
    from tests.factories import ADMIN_PASSWORD

    await make_user("sales@example.com", ["commercial"])
    await sign_in(client, "sales@example.com", PASSWORD)
    await create_key(client, "Sales sync")
    await post_form(client, "/logout")
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    await create_key(client, "Owner tool", ("read:leads",))
    listing = await client.get("/admin/api-keys")
    assert (
        "Sales sync" in listing.text and "Owner tool" in listing.text and "sales@example.com" in listing.text
    )
    searched = await client.get("/admin/api-keys?q=sales@", headers={"HX-Request": "true"})
    assert (
        "<html" not in searched.text and "Sales sync" in searched.text and "Owner tool" not in searched.text
    )
    by_scope = await client.get("/admin/api-keys?scope=read:leads")
    assert "Owner tool" in by_scope.text and "Sales sync" not in by_scope.text
    sales_key = next(k for k in await _keys(session_maker) if k.name == "Sales sync")
    # the account page acts on one's own keys only, even for an admin
    assert (await post_form(client, f"/account/api-keys/{sales_key.id}/revoke")).status_code == 404
    response = await post_form(client, f"/admin/api-keys/{sales_key.id}/revoke", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/api-keys"
    revoked = await client.get("/admin/api-keys?status=revoked")
    assert "Sales sync" in revoked.text and "Owner tool" not in revoked.text
    active = await client.get("/admin/api-keys?status=active&sort=name&direction=asc")
    assert "Owner tool" in active.text and "Sales sync" not in active.text


async def test_expired_keys_show_as_expired(admin_client, session_maker) -> None:
    tomorrow = (clock.utcnow() + timedelta(days=1)).date().isoformat()
    await create_key(admin_client, "Short", expires_on=tomorrow)
    [key] = await _keys(session_maker)
    assert key.expires_at == datetime.combine(date.fromisoformat(tomorrow) + timedelta(days=1), time(), UTC)
    await _expire(session_maker)
    listing = await admin_client.get("/admin/api-keys?status=expired")
    assert "Short" in listing.text and "Expired" in listing.text


async def _expire(session_maker) -> None:
    async with session_maker() as db:
        await db.execute(update(ApiKey).values(expires_at=clock.utcnow() - timedelta(minutes=1)))
        await db.commit()
