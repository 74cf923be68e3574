"""Password reset: /password/forgot and /password/reset/{token}."""

from __future__ import annotations

from datetime import timedelta

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.identity.accounts.helpers import NEW_PASSWORD, emails, last_link
from verso.domains.identity.accounts import policy
from verso.domains.identity.models import UserSession
from verso.lib import clock
from verso.lib.audit import AuditLog

SENT = "If an account exists for that address, we sent a link."


async def _forgot(client, email: str):
    await client.get("/password/forgot")
    return await post_form(client, "/password/forgot", {"email": email}, follow_redirects=False)


async def test_same_answer_whether_or_not_the_account_exists(client, admin) -> None:
    await make_user("reset@example.com", ["user"])
    answers = []
    for email in ("Reset@Example.com", "nobody@example.com"):
        response = await _forgot(client, email)
        assert response.status_code == 303
        answers.append(response.headers["location"])
        page = await client.get(response.headers["location"])
        assert SENT in page.text
    assert answers[0] == answers[1] == "/password/forgot?sent=true"
    assert len(await emails("reset@example.com", "reset_password")) == 1
    assert await emails("nobody@example.com") == []
    htmx = await post_form(client, "/password/forgot", {"email": "nobody@example.com"}, htmx=True)
    assert htmx.status_code < 300 and htmx.headers["hx-redirect"] == "/password/forgot?sent=true"


async def test_forgot_form_refuses_a_malformed_address(client, admin) -> None:
    await client.get("/password/forgot")
    response = await post_form(client, "/password/forgot", {"email": "nope"}, htmx=True)
    assert response.status_code == 422 and "Enter a valid email address." in response.text
    assert 'value="nope"' in response.text and "<html" not in response.text


async def test_at_most_three_requests_an_hour_per_address(client, admin) -> None:
    await make_user("busy@example.com", ["user"])
    start = clock.utcnow()
    clock.freeze(start)
    for _ in range(5):
        assert (await _forgot(client, "busy@example.com")).headers["location"] == "/password/forgot?sent=true"
    assert len(await emails("busy@example.com", "reset_password")) == 3
    clock.freeze(start + timedelta(minutes=61))
    await _forgot(client, "busy@example.com")
    assert len(await emails("busy@example.com", "reset_password")) == 4


async def test_reset_sets_the_password_once_and_ends_other_sessions(client, app, admin, db_session) -> None:
    user = await make_user("reset@example.com", ["user"])
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await sign_in(other, "reset@example.com", PASSWORD)
        assert (await other.get("/account/profile")).status_code == 200
        await _forgot(client, "reset@example.com")
        link = await last_link("reset@example.com", "reset_password")
        page = await client.get(link)
        assert page.status_code == 200 and 'name="password"' in page.text
        weak = await post_form(client, link, {"password": "qwerty123456", "confirm": "qwerty123456"})
        assert weak.status_code == 422 and policy.COMMON in weak.text
        reused = await post_form(client, link, {"password": PASSWORD, "confirm": PASSWORD}, htmx=True)
        assert reused.status_code == 422 and policy.reused_message() in reused.text
        assert PASSWORD not in reused.text
        done = await post_form(
            client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/login"
        # the other browser was signed out
        assert (await other.get("/account/profile", follow_redirects=False)).status_code == 303
    remaining = (await db_session.scalars(select(UserSession).where(UserSession.user_id == user.id))).all()
    assert remaining == []
    assert (await client.get(link)).status_code == 400  # single use
    again = await post_form(
        client, link, {"password": "yet another passphrase", "confirm": "yet another passphrase"}
    )
    assert again.status_code == 400
    await sign_in(client, "reset@example.com", NEW_PASSWORD)
    actions = (await db_session.scalars(select(AuditLog.action))).all()
    assert "password.reset" in actions and "password.reset_requested" in actions


async def test_reset_link_expires_after_an_hour(client, admin) -> None:
    await make_user("slow@example.com", ["user"])
    start = clock.utcnow()
    clock.freeze(start)
    await _forgot(client, "slow@example.com")
    link = await last_link("slow@example.com", "reset_password")
    clock.freeze(start + timedelta(minutes=59))
    assert (await client.get(link)).status_code == 200
    clock.freeze(start + timedelta(minutes=61))
    page = await client.get(link)
    assert page.status_code == 400 and "Ask for a new link" in page.text
    response = await post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    clock.freeze(None)
    await sign_in(client, "slow@example.com", PASSWORD)  # unchanged


async def test_reset_while_signed_in_keeps_this_session(client, app, admin) -> None:
    await make_user("here@example.com", ["user"])
    await sign_in(client, "here@example.com", PASSWORD)
    await _forgot(client, "here@example.com")
    link = await last_link("here@example.com", "reset_password")
    done = await post_form(
        client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=False
    )
    assert done.headers["location"] == "/account"
    assert (await client.get("/account/profile")).status_code == 200
