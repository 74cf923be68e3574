"""Minimal identity: password sign-in, server-side sessions, sign-out and role guards."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.factories import ADMIN_PASSWORD, PASSWORD, make_user, post_form, sign_in
from verso.domains.identity.models import UserSession
from verso.lib import clock
from verso.lib.audit import AuditLog


async def test_login_with_email_or_username_case_insensitive(client, admin) -> None:
    response = await sign_in(client, admin.email.upper(), ADMIN_PASSWORD)
    assert response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"]
    assert (
        "verso_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    )


async def test_wrong_password_is_refused_without_saying_which_part(client, admin, db_session) -> None:
    await client.get("/login")
    for login in (admin.email, "nobody@example.com"):
        response = await post_form(client, "/login", {"login": login, "password": "wrong password here"})
        assert response.status_code == 422
        assert "The email, username or password is not correct." in response.text
    actions = (await db_session.scalars(select(AuditLog.action))).all()
    assert actions.count("auth.login_failed") == 2


async def test_empty_fields_are_named(client, admin) -> None:
    await client.get("/login")
    response = await post_form(client, "/login", {"login": "", "password": ""})
    assert response.status_code == 422
    assert "Enter your email or username." in response.text and "Enter your password." in response.text


async def test_next_is_followed_only_within_the_site(client, admin) -> None:
    await client.get("/login")
    inside = await post_form(
        client,
        "/login",
        {"login": admin.email, "password": ADMIN_PASSWORD, "next": "/admin/jobs"},
        follow_redirects=False,
    )
    assert inside.headers["location"] == "/admin/jobs"
    await client.post("/logout", headers={"x-csrftoken": client.cookies["verso_csrf"]})
    outside = await post_form(
        client,
        "/login",
        {"login": admin.email, "password": ADMIN_PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert outside.headers["location"] == "/admin"


async def test_session_rotates_at_login_and_logout_ends_it(client, admin, db_session) -> None:
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    first = client.cookies["verso_session"]
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    second = client.cookies["verso_session"]
    assert first != second
    assert len((await db_session.scalars(select(UserSession))).all()) == 1  # the old one was ended
    await post_form(client, "/logout")
    assert (await db_session.scalars(select(UserSession))).all() == []
    assert (await client.get("/admin", follow_redirects=False)).status_code == 303


async def test_idle_session_expires(client, admin) -> None:
    await sign_in(client, admin.email, ADMIN_PASSWORD)
    assert (await client.get("/admin")).status_code == 200
    clock.freeze(clock.utcnow() + timedelta(hours=3))
    response = await client.get("/admin", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_customer_reaches_account_but_no_staff_page(client, admin) -> None:
    await make_user("customer@example.com", ["user"])
    response = await sign_in(client, "customer@example.com", PASSWORD)
    assert response.headers["location"] == "/account"
    assert (await client.get("/account")).status_code == 200
    for path in ("/admin", "/admin/jobs", "/admin/settings", "/admin/audit", "/admin/users"):
        assert (await client.get(path)).status_code == 403, path


async def test_role_guards_follow_permissions(client, admin) -> None:
    await make_user("sales@example.com", ["commercial"])
    await sign_in(client, "sales@example.com", PASSWORD)
    assert (await client.get("/admin")).status_code == 200
    assert (await client.get("/admin/users")).status_code == 200
    assert (await client.get("/admin/settings")).status_code == 403
    assert (await client.get("/admin/jobs")).status_code == 403


async def test_deactivated_user_is_signed_out(client, admin, db_session) -> None:
    user = await make_user("leaver@example.com", ["employee"])
    await sign_in(client, "leaver@example.com", PASSWORD)
    user.is_active = False
    await db_session.merge(user)
    await db_session.commit()
    assert (await client.get("/admin", follow_redirects=False)).status_code == 303
