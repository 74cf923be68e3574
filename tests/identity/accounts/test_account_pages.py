"""The /account/... self-service pages: profile and avatar, email change, password change, closing."""

from __future__ import annotations

import hashlib

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.identity.accounts.helpers import NEW_PASSWORD, emails, last_link, user_by_email
from verso.domains.identity.accounts import policy
from verso.domains.identity.accounts.models import AccountToken, PasswordHistory, UserProfile
from verso.domains.identity.models import UserSession
from verso.lib.audit import AuditLog

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PROFILE = {
    "first_name": "Ann",
    "last_name": "Lee",
    "phone": "+33 1 23 45 67 89",
    "timezone": "Europe/Paris",
    "locale": "fr",
    "bio": "Bakes on Sundays.",
}
PAGES = ("/account/profile", "/account/email", "/account/password", "/account/close")


async def _customer(client, email: str = "ann@example.com"):
    user = await make_user(email, ["user"])
    await sign_in(client, email, PASSWORD)
    return user


async def _actions(db_session) -> list[str]:
    return list((await db_session.scalars(select(AuditLog.action))).all())


async def test_pages_need_a_signed_in_person(client, admin) -> None:
    for path in (*PAGES, "/media/avatar/" + "0" * 64):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


async def test_pages_render_whole_and_as_fragments_with_the_section_nav(client, admin) -> None:
    await _customer(client)
    for path in PAGES:
        page = await client.get(path)
        assert page.status_code == 200 and "<html" in page.text, path
        for link in PAGES:
            assert f'href="{link}"' in page.text
        fragment = await client.get(path, headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and 'class="account-section"' in fragment.text


async def test_profile_is_saved_and_audited(client, admin, db_session) -> None:
    user = await _customer(client)
    response = await post_form(client, "/account/profile", PROFILE, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account/profile"
    page = await client.get("/account/profile")
    assert 'value="+33 1 23 45 67 89"' in page.text and "Bakes on Sundays." in page.text
    assert '<option value="Europe/Paris" selected>' in page.text
    saved = await user_by_email("ann@example.com")
    assert (saved.first_name, saved.timezone, saved.locale) == ("Ann", "Europe/Paris", "fr")
    entry = await db_session.scalar(select(AuditLog).where(AuditLog.action == "account.profile_updated"))
    assert entry.target_id == str(user.id) and entry.changes["phone"] == ["***", "***"]


async def test_profile_refusals_are_inline(client, admin) -> None:
    await _customer(client)
    await client.get("/account/profile")
    for field, value, message in [
        ("timezone", "Mars/Olympus", "Choose a time zone from the list."),
        ("locale", "xx", "Choose a language from the list."),
        ("phone", "call me", "Enter a phone number"),
    ]:
        response = await post_form(client, "/account/profile", {**PROFILE, field: value}, htmx=True)
        assert response.status_code == 422 and "<html" not in response.text
        assert message in response.text and f'id="f-{field}"' in response.text
        assert "Bakes on Sundays." in response.text  # kept


async def test_avatar_is_checked_by_content_and_served_with_etag(client, admin, db_session) -> None:
    await _customer(client)
    await client.get("/account/profile")
    fake = await post_form(
        client, "/account/profile", PROFILE, files={"avatar": ("a.png", b"GIF89a...", "image/png")}
    )
    assert fake.status_code == 422 and "must be a PNG, JPEG or WebP image" in fake.text
    big = PNG + b"\x00" * 1_000_001
    huge = await post_form(client, "/account/profile", PROFILE, files={"avatar": ("a.png", big, "image/png")})
    assert huge.status_code == 422 and "1 MB or smaller" in huge.text
    ok = await post_form(
        client, "/account/profile", PROFILE, files={"avatar": ("a.bin", PNG, "application/x")}
    )
    assert ok.status_code == 200
    digest = hashlib.sha256(PNG).hexdigest()
    assert f'src="/media/avatar/{digest}"' in ok.text
    image = await client.get(f"/media/avatar/{digest}")
    assert image.status_code == 200 and image.content == PNG and image.headers["content-type"] == "image/png"
    assert image.headers["etag"] == f'"{digest}"' and "max-age=31536000" in image.headers["cache-control"]
    cached = await client.get(f"/media/avatar/{digest}", headers={"If-None-Match": f'"{digest}"'})
    assert cached.status_code == 304
    assert (await client.get("/media/avatar/" + "0" * 64)).status_code == 404
    removed = await post_form(client, "/account/profile", {**PROFILE, "remove_avatar": "on"})
    assert f"/media/avatar/{digest}" not in removed.text
    assert (await client.get(f"/media/avatar/{digest}")).status_code == 404


async def test_one_person_never_sees_another_ones_profile(client, app, admin) -> None:
    await _customer(client)
    await post_form(client, "/account/profile", PROFILE)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await _customer(other, "ben@example.com")
        for path in PAGES:
            page = await other.get(path)
            assert "ann@example.com" not in page.text and "Bakes on Sundays." not in page.text, path
            assert "+33 1 23 45 67 89" not in page.text


async def test_email_change_takes_effect_when_the_new_address_is_verified(client, admin, db_session) -> None:
    await _customer(client)
    await make_user("taken@example.com", ["user"])
    await client.get("/account/email")
    refusals = [
        ({"email": "new@example.com", "password": "wrong password here"}, "Your password is not correct."),
        ({"email": "ann@example.com", "password": PASSWORD}, "This is already your email address."),
        ({"email": "taken@example.com", "password": PASSWORD}, "Another account uses this address."),
        ({"email": "nonsense", "password": PASSWORD}, "Enter a valid email address."),
    ]
    for data, message in refusals:
        response = await post_form(client, "/account/email", data, htmx=True)
        assert response.status_code == 422 and message in response.text, message
        assert PASSWORD not in response.text
    response = await post_form(
        client, "/account/email", {"email": "New@Example.com", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    assert (await user_by_email("ann@example.com")) is not None  # nothing changed yet
    link = await last_link("new@example.com", "change_email")
    page = await client.get(link)
    assert page.status_code == 200 and "Email address changed" in page.text
    assert await user_by_email("ann@example.com") is None
    changed = await user_by_email("new@example.com")
    assert changed is not None and changed.email_verified
    notice = await emails("ann@example.com", "email_changed")
    assert len(notice) == 1 and "new@example.com" in notice[0].text_body
    assert (await client.get(link)).status_code == 400
    assert "account.email_changed" in await _actions(db_session)
    await post_form(client, "/logout")
    await sign_in(client, "new@example.com", PASSWORD)


async def test_password_change_needs_the_current_one_and_follows_the_policy(
    client, app, admin, db_session
) -> None:
    user = await _customer(client)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await sign_in(other, "ann@example.com", PASSWORD)
        await client.get("/account/password")
        cases = [
            (
                {"current_password": "wrong one here", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                "Your current password is not correct.",
            ),
            (
                {"current_password": PASSWORD, "password": "short", "confirm": "short"},
                "Use at least 12 characters.",
            ),
            (
                {"current_password": PASSWORD, "password": "1qaz2wsx3edc", "confirm": "1qaz2wsx3edc"},
                policy.COMMON,
            ),
            (
                {"current_password": PASSWORD, "password": PASSWORD, "confirm": PASSWORD},
                policy.reused_message(),
            ),
            (
                {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": "different"},
                "The two passwords do not match.",
            ),
        ]
        for data, message in cases:
            response = await post_form(client, "/account/password", data, htmx=True)
            assert response.status_code == 422 and message in response.text, message
            assert PASSWORD not in response.text and NEW_PASSWORD not in response.text
        done = await post_form(
            client,
            "/account/password",
            {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert (await client.get("/account/password")).status_code == 200  # this session stays
        assert (await other.get("/account/password", follow_redirects=False)).status_code == 303
    sessions = (await db_session.scalars(select(UserSession).where(UserSession.user_id == user.id))).all()
    assert len(sessions) == 1
    history = (
        await db_session.scalars(select(PasswordHistory).where(PasswordHistory.user_id == user.id))
    ).all()
    assert len(history) == 2  # make_user kept no history: the old hash is recorded with the new one
    assert "password.changed" in await _actions(db_session)
    back = await post_form(
        client,
        "/account/password",
        {"current_password": NEW_PASSWORD, "password": PASSWORD, "confirm": PASSWORD},
    )
    assert back.status_code == 422 and policy.reused_message() in back.text


async def test_closing_an_account_anonymises_it_and_signs_out_everywhere(
    client, app, admin, db_session
) -> None:
    user = await _customer(client)
    await post_form(client, "/account/profile", PROFILE, files={"avatar": ("a.png", PNG, "image/png")})
    await client.get("/account/close")
    unticked = await post_form(client, "/account/close", {"password": PASSWORD}, htmx=True)
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    wrong = await post_form(client, "/account/close", {"password": "not my password", "confirm": "on"})
    assert wrong.status_code == 422 and "Your password is not correct." in wrong.text
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other:
        await sign_in(other, "ann@example.com", PASSWORD)
        done = await post_form(
            client, "/account/close", {"password": PASSWORD, "confirm": "on"}, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert "verso_session=" in done.headers["set-cookie"]
        assert (await other.get("/account/profile", follow_redirects=False)).status_code == 303
    assert (await client.get("/account/profile", follow_redirects=False)).status_code == 303
    closed = await user_by_email(f"deleted-{user.id}@invalid")
    assert closed is not None and not closed.is_active
    assert (closed.first_name, closed.last_name, closed.username, closed.password_hash) == (
        "",
        "",
        None,
        None,
    )
    profile = await db_session.scalar(select(UserProfile).where(UserProfile.user_id == user.id))
    assert (profile.phone, profile.bio, profile.avatar_digest) == ("", "", None)
    assert (await db_session.scalars(select(UserSession).where(UserSession.user_id == user.id))).all() == []
    open_tokens = select(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    assert (await db_session.scalars(open_tokens)).all() == []
    assert "account.closed" in await _actions(db_session)
    await client.get("/login")
    refused = await post_form(client, "/login", {"login": "ann@example.com", "password": PASSWORD})
    assert refused.status_code == 422
