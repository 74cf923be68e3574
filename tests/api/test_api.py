"""The JSON API: bearer keys (every 401 and 403), /me, /users pagination, last use, OpenAPI, docs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from tests.api.conftest import bearer, create_key
from tests.factories import post_form
from verso.domains.api.models import ApiKey
from verso.domains.identity.models import Role, User
from verso.lib import clock

PROBLEM = "application/problem+json"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    return body


async def _key(session_maker) -> ApiKey:
    async with session_maker() as db:
        return (await db.scalars(select(ApiKey))).one()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token vso_" + "a" * 40,
        "Bearer not-a-verso-key",
        "Bearer vso_short",
        "Bearer vso_" + "a" * 40 + " extra",
    ],
)
async def test_missing_or_malformed_header_is_401(client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await client.get("/api/v1/me", headers=headers)
    body = _problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization" in body["detail"]


async def test_unknown_revoked_and_expired_keys_are_401(admin_client, session_maker) -> None:
    unknown = await admin_client.get("/api/v1/me", headers=bearer("vso_" + "x" * 40))
    assert _problem(unknown, 401)["detail"] == "The API key is not valid."
    assert 'error="invalid_token"' in unknown.headers["www-authenticate"]

    secret = await create_key(admin_client, "Gone")
    async with session_maker() as db:
        key = (await db.scalars(select(ApiKey).where(ApiKey.name == "Gone"))).one()
    await post_form(admin_client, f"/account/api-keys/{key.id}/revoke")
    revoked = await admin_client.get("/api/v1/me", headers=bearer(secret))
    assert _problem(revoked, 401)["detail"] == "The API key has been revoked."

    tomorrow = (clock.utcnow() + timedelta(days=1)).date().isoformat()
    secret = await create_key(admin_client, "Soon", expires_on=tomorrow)
    assert (await admin_client.get("/api/v1/me", headers=bearer(secret))).status_code == 200
    # the key works through the chosen day and stops at the next midnight (UTC)
    clock.freeze(datetime.combine(date.fromisoformat(tomorrow), time(23, 59), UTC))
    assert (await admin_client.get("/api/v1/me", headers=bearer(secret))).status_code == 200
    clock.freeze(datetime.combine(date.fromisoformat(tomorrow) + timedelta(days=1), time(), UTC))
    expired = await admin_client.get("/api/v1/me", headers=bearer(secret))
    assert _problem(expired, 401)["detail"] == "The API key has expired."


async def test_the_session_cookie_does_not_open_the_api(admin_client) -> None:
    response = await admin_client.get("/api/v1/me")  # signed in, but no key
    _problem(response, 401)


async def test_a_missing_scope_is_403_naming_it(admin_client) -> None:
    secret = await create_key(admin_client, "Leads only", ("read:leads",))
    response = await admin_client.get("/api/v1/users", headers=bearer(secret))
    assert _problem(response, 403)["detail"] == "This key lacks the scope read:users."
    assert (await admin_client.get("/api/v1/me", headers=bearer(secret))).status_code == 200


async def test_a_key_loses_what_its_owner_loses(admin_client, admin, session_maker) -> None:
    secret = await create_key(admin_client, "Users", ("read:users",))
    assert (await admin_client.get("/api/v1/users", headers=bearer(secret))).status_code == 200
    async with session_maker() as db:
        await db.execute(update(Role).where(Role.name == "admin").values(permissions=["admin.access"]))
        await db.commit()
    refused = await admin_client.get("/api/v1/users", headers=bearer(secret))
    assert "no longer holds" in _problem(refused, 403)["detail"]
    async with session_maker() as db:
        await db.execute(update(User).where(User.id == admin.id).values(is_active=False))
        await db.commit()
    inactive = await admin_client.get("/api/v1/me", headers=bearer(secret))
    assert "inactive" in _problem(inactive, 401)["detail"]


async def test_me_describes_the_key_and_its_owner(admin_client, admin, admin_key) -> None:
    response = await admin_client.get("/api/v1/me", headers=bearer(admin_key))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["user"]["id"] == str(admin.id) and body["user"]["email"] == admin.email
    assert body["user"]["first_name"] == "Olive" and body["user"]["last_name"] == "Owner"
    assert body["user"]["roles"] == ["admin"] and "password_hash" not in body["user"]
    assert body["scopes"] == ["read:leads", "read:users"] == body["key"]["scopes"]
    assert body["key"]["prefix"] == admin_key[:12] and body["key"]["name"] == "Admin key"
    assert admin_key not in response.text


async def _add_users(session_maker, count: int) -> None:
    async with session_maker() as db:
        db.add_all(User(email=f"person{i:02d}@example.com", first_name=f"P{i:02d}") for i in range(count))
        await db.commit()


async def test_users_are_paginated(admin_client, admin_key, session_maker) -> None:
    await _add_users(session_maker, 24)  # 25 with the admin
    first = (await admin_client.get("/api/v1/users", headers=bearer(admin_key))).json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 20, 25, 2)
    assert len(first["items"]) == 20 and first["items"][0]["email"] == "owner@example.com"
    assert set(first["items"][0]) == {
        "id",
        "email",
        "first_name",
        "last_name",
        "roles",
        "is_active",
        "created_at",
    }
    seen = []
    for number in (1, 2, 3):
        body = (
            await admin_client.get(f"/api/v1/users?page={number}&per_page=10", headers=bearer(admin_key))
        ).json()
        assert body["pages"] == 3 and body["total"] == 25 and body["page"] == number
        seen += [item["email"] for item in body["items"]]
    assert len(seen) == 25 == len(set(seen))  # every account exactly once, in a stable order
    past = (await admin_client.get("/api/v1/users?page=9&per_page=100", headers=bearer(admin_key))).json()
    assert past["items"] == [] and past["total"] == 25 and past["pages"] == 1


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=abc", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("page=99999999999999999999", "page"),
    ],
)
async def test_bad_pagination_is_a_problem_naming_the_parameter(admin_client, admin_key, query, name) -> None:
    response = await admin_client.get(f"/api/v1/users?{query}", headers=bearer(admin_key))
    body = _problem(response, 400)
    assert [error["field"] for error in body["errors"]] == [name]


async def test_last_use_is_recorded_at_most_once_a_minute(admin_client, admin_key, session_maker) -> None:
    start = clock.utcnow().replace(microsecond=0)
    clock.freeze(start)
    assert (await admin_client.get("/api/v1/me", headers=bearer(admin_key))).status_code == 200
    key = await _key(session_maker)
    assert key.last_used_at == start and key.last_used_ip == "testclient"
    clock.freeze(start + timedelta(seconds=30))
    await admin_client.get("/api/v1/me", headers=bearer(admin_key))
    assert (await _key(session_maker)).last_used_at == start  # no write within the minute
    clock.freeze(start + timedelta(seconds=61))
    await admin_client.get("/api/v1/me", headers=bearer(admin_key))
    assert (await _key(session_maker)).last_used_at == start + timedelta(seconds=61)
    clock.freeze(None)
    page = await admin_client.get("/account/api-keys")
    assert "from testclient" in page.text


async def test_the_openapi_document_lists_the_api(client) -> None:
    document = (await client.get("/api/openapi.json")).json()
    me = document["paths"]["/api/v1/me"]["get"]
    users = document["paths"]["/api/v1/users"]["get"]
    assert {"401"} <= set(me["responses"]) and {"400", "401", "403"} <= set(users["responses"])
    assert "application/problem+json" in users["responses"]["403"]["content"]
    assert me["security"] == [{"bearerAuth": []}]
    params = {p["name"]: p for p in users["parameters"]}
    assert params["per_page"]["schema"]["maximum"] == 100 and params["per_page"]["schema"]["minimum"] == 1
    schemas = document["components"]["schemas"]
    assert {"email", "roles"} <= set(
        next(v for k, v in schemas.items() if k.endswith("ApiUser"))["properties"]
    )
    assert {"items", "page", "per_page", "total", "pages"} <= set(
        next(v for k, v in schemas.items() if k.endswith("UserPage"))["properties"]
    )
    assert not any(path.startswith(("/account/api-keys", "/admin/api-keys")) for path in document["paths"])
    assert "/api/docs" not in document["paths"]


async def test_the_docs_page_uses_no_cdn_and_no_inline_script(client) -> None:
    response = await client.get("/api/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert 'data-spec-url="/api/openapi.json"' in html and "swagger-ui-bundle.js" in html
    assert "/static/js/api-docs.js" in html and "<script>" not in html and "https://" not in html
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    for asset in (
        "vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js",
        "vendor/swagger-ui-dist-5.35.0/swagger-ui.css",
        "vendor/swagger-ui-dist-5.35.0/LICENSE",
        "js/api-docs.js",
    ):
        assert (await client.get(f"/static/{asset}")).status_code == 200, asset
