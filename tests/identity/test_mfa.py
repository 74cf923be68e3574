"""Two-step verification: enrolment, the /mfa step, replay, backup codes, limits, turning it off."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select

from tests.factories import ADMIN_PASSWORD, post_form
from verso.domains.identity.models import TOTPDevice
from verso.lib import clock
from verso.lib.audit import AuditLog


async def enrol(client) -> tuple[pyotp.TOTP, list[str]]:
    page = await post_form(client, "/account/security/totp/setup")
    assert page.status_code == 200 and 'aria-label="QR code for your authenticator app"' in page.text
    totp = pyotp.TOTP(re.search(r'<code class="secret">(\w+)</code>', page.text).group(1))
    wrong = await post_form(client, "/account/security/totp/confirm", {"code": "000000"})
    assert wrong.status_code == 422 and "That code is not correct." in wrong.text
    before = client.cookies["verso_session"]
    # The code for the app clock (frozen by some tests): a real-time code could be the one a test
    # uses next, 30 seconds later, and a code is accepted once.
    done = await post_form(client, "/account/security/totp/confirm", {"code": totp.at(clock.utcnow())})
    assert done.status_code == 200 and "they are shown only now" in done.text
    assert client.cookies["verso_session"] != before  # privilege change: new session id
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.text)
    assert len(codes) == 10
    return totp, codes


async def password_step(client, email: str):
    await client.get("/login")
    response = await post_form(
        client, "/login", {"login": email, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/mfa"
    return response


async def test_enrol_then_sign_in_with_a_code(admin_client, admin, db_session) -> None:
    clock.freeze(clock.utcnow())
    totp, _codes = await enrol(admin_client)
    device = (await db_session.scalars(select(TOTPDevice))).one()
    assert totp.secret not in device.secret_encrypted  # encrypted at rest
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    assert (await admin_client.get("/admin", follow_redirects=False)).status_code == 303  # not signed in yet
    assert (await admin_client.get("/mfa")).status_code == 200
    wrong = await post_form(admin_client, "/mfa", {"code": "123456"})
    assert wrong.status_code == 422 and "That code is not correct." in wrong.text
    clock.freeze(clock.utcnow() + timedelta(seconds=30))
    ok = await post_form(admin_client, "/mfa", {"code": totp.at(clock.utcnow())}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/admin"
    assert (await admin_client.get("/admin")).status_code == 200
    actions = (await db_session.scalars(select(AuditLog.action))).all()
    assert "mfa.enabled" in actions and "auth.mfa_failed" in actions


async def test_a_code_cannot_be_replayed(admin_client, admin) -> None:
    clock.freeze(clock.utcnow())
    totp, _ = await enrol(admin_client)
    clock.freeze(clock.utcnow() + timedelta(seconds=30))
    code = totp.at(clock.utcnow())
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    assert (await post_form(admin_client, "/mfa", {"code": code}, follow_redirects=False)).status_code == 303
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    assert (await post_form(admin_client, "/mfa", {"code": code})).status_code == 422


async def test_backup_codes_work_once(admin_client, admin) -> None:
    _totp, codes = await enrol(admin_client)
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    used = await post_form(admin_client, "/mfa", {"code": codes[0].upper()}, follow_redirects=False)
    assert used.status_code == 303
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    assert (await post_form(admin_client, "/mfa", {"code": codes[0]})).status_code == 422


async def test_five_wrong_codes_or_five_minutes_end_the_step(admin_client, admin) -> None:
    await enrol(admin_client)
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    for _ in range(4):
        assert (await post_form(admin_client, "/mfa", {"code": "999999"})).status_code == 422
    last = await post_form(admin_client, "/mfa", {"code": "999999"}, follow_redirects=False)
    assert last.status_code == 303 and last.headers["location"] == "/login"
    await password_step(admin_client, admin.email)
    clock.freeze(clock.utcnow() + timedelta(minutes=6))
    expired = await admin_client.get("/mfa", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/login"


async def test_turning_off_needs_the_password_or_a_code(admin_client, db_session) -> None:
    await enrol(admin_client)
    refused = await post_form(admin_client, "/account/security/totp/disable", {"proof": "not my password"})
    assert refused.status_code == 422 and "Enter your password or a current code" in refused.text
    done = await post_form(admin_client, "/account/security/totp/disable", {"proof": ADMIN_PASSWORD})
    assert "Two-step verification is off." in done.text
    assert (await db_session.scalars(select(TOTPDevice))).all() == []


async def test_a_trusted_browser_skips_the_step_for_thirty_days(admin_client, admin) -> None:
    clock.freeze(clock.utcnow())
    totp, _ = await enrol(admin_client)
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    clock.freeze(clock.utcnow() + timedelta(seconds=30))
    await post_form(admin_client, "/mfa", {"code": totp.at(clock.utcnow()), "trust": "on"})
    assert admin_client.cookies.get("verso_trusted")
    await post_form(admin_client, "/logout")
    again = await post_form(
        admin_client, "/login", {"login": admin.email, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert again.headers["location"] == "/admin"  # no /mfa step in this browser
    clock.freeze(clock.utcnow() + timedelta(days=31))
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)  # the trust expired


async def test_staff_can_reset_someones_mfa(app, admin_client, db_session) -> None:
    from litestar.testing import AsyncTestClient

    from tests.factories import PASSWORD, make_user, sign_in

    sam = await make_user("sam@example.com", ["employee"])
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as sams_browser:
        await sign_in(sams_browser, sam.email, PASSWORD)
        await enrol(sams_browser)
    page = await admin_client.get(f"/admin/users/{sam.id}")
    assert "Reset two-step verification" in page.text
    done = await post_form(admin_client, f"/admin/users/{sam.id}/mfa/reset")
    assert "Two-step verification was reset" in done.text
    assert (await db_session.scalars(select(TOTPDevice))).all() == []


async def test_a_role_can_require_mfa(app, admin_client, db_session) -> None:
    from litestar.testing import AsyncTestClient

    from tests.factories import PASSWORD, make_user, sign_in
    from verso.domains.identity.models import Role

    role = (await db_session.scalars(select(Role).where(Role.name == "commercial"))).one()
    saved = await post_form(
        admin_client,
        f"/admin/roles/{role.id}",
        {
            "name": "commercial",
            "description": role.description,
            "permissions": role.permissions,
            "require_mfa": "on",
        },
    )
    assert "Role commercial saved." in saved.text
    await make_user("sales@example.com", ["commercial"])
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as browser:
        await sign_in(browser, "sales@example.com", PASSWORD)
        forced = await browser.get("/admin/users", follow_redirects=False)
        assert forced.status_code == 303 and forced.headers["location"] == "/account/security"
        await enrol(browser)
        assert (await browser.get("/admin/users")).status_code == 200


async def test_an_emailed_code_is_the_fallback(admin_client, admin, db_session) -> None:
    from verso.lib.email import OutboxEmail

    await enrol(admin_client)
    await post_form(admin_client, "/logout")
    await password_step(admin_client, admin.email)
    sent = await post_form(admin_client, "/mfa/email")
    assert "We emailed you a code." in sent.text
    mail = (
        await db_session.scalars(select(OutboxEmail).where(OutboxEmail.template == "identity/mfa_code"))
    ).one()
    code = re.search(r"Your sign-in code is (\d{6})", mail.text_body).group(1)
    assert mail.to_address == admin.email
    assert (await post_form(admin_client, "/mfa", {"code": "000000"})).status_code == 422
    ok = await post_form(admin_client, "/mfa", {"code": code}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/admin"
    for _ in range(3):
        await post_form(admin_client, "/logout")
        await password_step(admin_client, admin.email)
    await post_form(admin_client, "/mfa/email")
    await post_form(admin_client, "/mfa/email")
    await post_form(admin_client, "/mfa/email")
    limited = await post_form(admin_client, "/mfa/email")
    assert "We already sent three codes." in limited.text
