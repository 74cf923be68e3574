"""Passkeys over HTTP with a software authenticator: register, sign in without a password, the
second factor at /mfa, and every refusal (wrong, expired or reused challenge, unknown or another
person's credential, a cloned authenticator, another person's passkey in a URL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url

from tests.factories import ADMIN_PASSWORD, PASSWORD, make_user, post_form, post_json, sign_in
from tests.identity.passkeys.authenticator import SoftAuthenticator
from verso.domains.identity.passkeys.models import Passkey, WebAuthnChallenge
from verso.lib import clock
from verso.lib.audit import AuditLog

BASE = "/account/security/passkeys"


async def register(client, authenticator: SoftAuthenticator, name: str = "My laptop"):
    options = await post_json(client, f"{BASE}/options")
    assert options.status_code == 200, options.text
    assert client.cookies.get("verso_webauthn")
    body = options.json()
    assert body["rp"]["id"] == "testserver.local" and body["rp"]["name"] == "Test Bakery"
    assert body["authenticatorSelection"]["residentKey"] == "required"
    return await post_json(client, f"{BASE}/verify", {"credential": authenticator.create(body), "name": name})


async def login_options(client) -> dict:
    await client.get("/login")
    response = await post_json(client, "/login/passkey/options")
    assert response.status_code == 200, response.text
    return response.json()


async def actions(db_session) -> list[str]:
    return list((await db_session.scalars(select(AuditLog.action))).all())


async def test_register_then_sign_in_without_a_password(admin_client, admin, db_session) -> None:
    key = SoftAuthenticator()
    done = await register(admin_client, key)
    assert done.status_code == 200 and done.json() == {"redirect": BASE}
    page = await admin_client.get(BASE)
    assert page.status_code == 200 and "My laptop" in page.text and "js/passkeys.js" in page.text
    await post_form(admin_client, "/logout")
    assert (await admin_client.get("/admin", follow_redirects=False)).status_code == 303

    options = await login_options(admin_client)
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    ok = await post_json(admin_client, "/login/passkey/verify", {"credential": key.get(options), "next": ""})
    assert ok.status_code == 200 and ok.json() == {"redirect": "/admin"}
    assert (await admin_client.get("/admin")).status_code == 200  # signed in, no /mfa step
    passkey = (await db_session.scalars(select(Passkey))).one()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert passkey.transports == ["internal"]
    log = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "auth.login"))).all()
    assert log[-1].changes == {"method": [None, "passkey"]}
    assert "passkey.added" in await actions(db_session)
    assert (await db_session.scalars(select(WebAuthnChallenge))).all() == []  # spent


async def test_several_passkeys_and_no_duplicate(admin_client, db_session) -> None:
    first, second = SoftAuthenticator(), SoftAuthenticator()
    assert (await register(admin_client, first, "Phone")).status_code == 200
    assert (await register(admin_client, second, "Key")).status_code == 200
    again = await register(admin_client, first, "Phone again")
    assert again.status_code == 400 and "already registered" in again.json()["error"]
    names = (await db_session.scalars(select(Passkey.name).order_by(Passkey.created_at))).all()
    assert names == ["Phone", "Key"]


async def test_a_challenge_works_once_and_only_for_itself(admin_client) -> None:
    key = SoftAuthenticator()
    options = (await post_json(admin_client, f"{BASE}/options")).json()
    credential = key.create(options)
    wrong = dict(credential)
    other = SoftAuthenticator().create({**options, "challenge": "AAAAAAAAAAAAAAAAAAAAAA"})
    bad = await post_json(admin_client, f"{BASE}/verify", {"credential": other, "name": "x"})
    assert bad.status_code == 400 and "could not be verified" in bad.json()["error"]
    # that attempt spent the challenge: the right answer now comes too late
    late = await post_json(admin_client, f"{BASE}/verify", {"credential": wrong, "name": "x"})
    assert late.status_code == 400 and "expired" in late.json()["error"]


async def test_an_expired_challenge_is_refused(admin_client, admin) -> None:
    key = SoftAuthenticator()
    assert (await register(admin_client, key)).status_code == 200
    await post_form(admin_client, "/logout")
    options = await login_options(admin_client)
    clock.freeze(clock.utcnow() + timedelta(minutes=6))
    late = await post_json(admin_client, "/login/passkey/verify", {"credential": key.get(options)})
    assert late.status_code == 400 and "expired" in late.json()["error"]
    assert (await admin_client.get("/admin", follow_redirects=False)).status_code == 303


async def test_no_cookie_or_a_registration_challenge_cannot_sign_in(admin_client) -> None:
    key = SoftAuthenticator()
    assert (await register(admin_client, key)).status_code == 200
    reg_options = (await post_json(admin_client, f"{BASE}/options")).json()  # a "register" challenge
    await post_form(admin_client, "/logout")
    forged = key.get({"rpId": "testserver.local", "challenge": reg_options["challenge"]})
    refused = await post_json(admin_client, "/login/passkey/verify", {"credential": forged})
    assert refused.status_code == 400
    admin_client.cookies.delete("verso_webauthn")
    none = await post_json(admin_client, "/login/passkey/verify", {"credential": forged})
    assert none.status_code == 400 and "expired" in none.json()["error"]


async def test_an_unknown_credential_is_refused(client, admin, db_session) -> None:
    options = await login_options(client)
    stranger = SoftAuthenticator(user_handle=b"\x00" * 16)
    refused = await post_json(client, "/login/passkey/verify", {"credential": stranger.get(options)})
    assert refused.status_code == 400 and "not registered" in refused.json()["error"]
    assert "auth.login_failed" in await actions(db_session)
    garbage = await post_json(client, "/login/passkey/verify", {"credential": "nope"})
    assert garbage.status_code == 400


async def test_a_cloned_authenticator_is_refused(admin_client) -> None:
    key = SoftAuthenticator()
    assert (await register(admin_client, key)).status_code == 200
    await post_form(admin_client, "/logout")
    options = await login_options(admin_client)
    assert (
        await post_json(admin_client, "/login/passkey/verify", {"credential": key.get(options, sign_count=5)})
    ).status_code == 200
    await post_form(admin_client, "/logout")
    options = await login_options(admin_client)
    replayed = await post_json(
        admin_client, "/login/passkey/verify", {"credential": key.get(options, sign_count=5)}
    )
    assert replayed.status_code == 400


async def test_csrf_is_required(admin_client) -> None:
    response = await admin_client.post(f"{BASE}/options", json={})
    assert response.status_code == 403


async def test_rename_and_remove_are_audited(admin_client, db_session) -> None:
    assert (await register(admin_client, SoftAuthenticator(), "Old")).status_code == 200
    passkey = (await db_session.scalars(select(Passkey))).one()
    form = await admin_client.get(f"{BASE}/{passkey.id}/rename")
    assert form.status_code == 200 and 'value="Old"' in form.text
    empty = await post_form(admin_client, f"{BASE}/{passkey.id}/rename", {"name": "  "})
    assert empty.status_code == 422
    renamed = await post_form(
        admin_client, f"{BASE}/{passkey.id}/rename", {"name": "New"}, follow_redirects=False
    )
    assert renamed.status_code == 303
    page = await admin_client.get(BASE)
    assert "New" in page.text and "data-confirm=" in page.text
    removed = await post_form(admin_client, f"{BASE}/{passkey.id}/delete", follow_redirects=False)
    assert removed.status_code == 303
    db_session.expire_all()
    assert (await db_session.scalars(select(Passkey))).all() == []
    assert {"passkey.added", "passkey.renamed", "passkey.removed"} <= set(await actions(db_session))


async def test_another_persons_passkey_is_not_found(admin_client, client, db_session) -> None:
    assert (await register(admin_client, SoftAuthenticator())).status_code == 200
    passkey = (await db_session.scalars(select(Passkey))).one()
    await post_form(admin_client, "/logout")
    await make_user("cara@example.com", ["user"])
    await sign_in(admin_client, "cara@example.com", PASSWORD)
    assert (await admin_client.get(f"{BASE}/{passkey.id}/rename")).status_code == 404
    assert (await post_form(admin_client, f"{BASE}/{passkey.id}/rename", {"name": "mine"})).status_code == 404
    assert (await post_form(admin_client, f"{BASE}/{passkey.id}/delete")).status_code == 404
    db_session.expire_all()
    assert (await db_session.scalars(select(Passkey))).one().name == "My laptop"


async def test_anonymous_cannot_register(client) -> None:
    await client.get("/login")
    response = await post_json(client, f"{BASE}/options", follow_redirects=False)
    assert response.status_code in (303, 401)


async def test_passkey_as_the_second_factor(admin_client, admin, db_session) -> None:
    from verso.domains.identity import mfa
    from verso.domains.identity.models import TOTPDevice

    key = SoftAuthenticator()
    assert (await register(admin_client, key)).status_code == 200
    db_session.add(
        TOTPDevice(
            user_id=admin.id,
            secret_encrypted=mfa._fernet().encrypt(b"JBSWY3DPEHPK3PXP").decode(),
            confirmed_at=clock.utcnow(),
        )
    )
    await db_session.commit()
    await post_form(admin_client, "/logout")
    await admin_client.get("/login")
    step = await post_form(
        admin_client, "/login", {"login": admin.email, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert step.headers["location"] == "/mfa"
    # another person's passkey does not answer for this account
    options = (await post_json(admin_client, "/mfa/passkey/options")).json()
    assert [c["id"] for c in options["allowCredentials"]] == [bytes_to_base64url(key.credential_id)]
    stranger = SoftAuthenticator()
    refused = await post_json(admin_client, "/mfa/passkey/verify", {"credential": stranger.get(options)})
    assert refused.status_code == 400
    options = (await post_json(admin_client, "/mfa/passkey/options")).json()
    ok = await post_json(admin_client, "/mfa/passkey/verify", {"credential": key.get(options)})
    assert ok.status_code == 200 and ok.json() == {"redirect": "/admin"}
    assert (await admin_client.get("/admin")).status_code == 200
    log = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "auth.login"))).all()
    assert log[-1].changes == {"second_factor": [None, "passkey"]}
    assert "auth.mfa_failed" in await actions(db_session)


async def test_mfa_passkey_needs_the_mfa_step(client, admin) -> None:
    await client.get("/login")
    response = await post_json(client, "/mfa/passkey/options")
    assert response.status_code == 400 and response.json()["redirect"] == "/login"
