"""The OpenID Connect flow end to end against the fake provider on 127.0.0.1."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc.jwk import RSAKey
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from verso.domains.identity.models import User, UserSession
from verso.domains.identity.oidc.models import OIDCIdentity, OIDCProvider
from verso.lib.audit import AuditLog


async def to_provider(client, start: str = "/login/oidc/test", *, post: bool = False) -> str:
    """Start the flow in Verso; return the provider's authorization URL.

    A POST start (linking) answers with a hand-off page rather than a 303 (see ``views._to_provider``).
    """
    if post:
        response = await post_form(client, start, follow_redirects=False)
        assert response.status_code == 200 and 'http-equiv="refresh"' in response.text, response.text
        location = html.unescape(re.search(r'href="([^"]+)" role="button">Continue', response.text)[1])
    else:
        response = await client.get(start, follow_redirects=False)
        assert response.status_code == 303, response.text
        location = response.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    return location


async def at_provider(authorize_url: str) -> str:
    """The person approves at the provider; return the callback path (with code and state)."""
    async with httpx.AsyncClient() as http:
        answer = await http.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["location"])
    assert back.netloc == "testserver.local"
    return f"{back.path}?{back.query}"


async def full_flow(client, start: str = "/login/oidc/test", *, post: bool = False):
    callback = await at_provider(await to_provider(client, start, post=post))
    return await client.get(callback, follow_redirects=False)


async def actions(db_session) -> list[str]:
    return list((await db_session.scalars(select(AuditLog.action))).all())


async def test_first_sign_in_creates_a_customer_account(
    client, oidc_provider, fake_provider, db_session
) -> None:
    fake_provider.user |= {"given_name": "Pat", "family_name": "Lee"}
    done = await full_flow(client, "/login/oidc/test?next=/account/profile")
    assert done.status_code == 303 and done.headers["location"] == "/account/profile"
    assert client.cookies.get("verso_session")
    user = (await db_session.scalars(select(User).where(User.email == "pat@example.com"))).one()
    assert user.password_hash is None and user.email_verified and user.first_name == "Pat"
    assert user.role_names == ["user"]
    identity = (await db_session.scalars(select(OIDCIdentity))).one()
    assert (identity.provider, identity.subject, identity.user_id) == ("test", "subject-1", user.id)
    assert (await client.get("/account")).status_code == 200
    # the PKCE verifier went to the token endpoint; the client secret was sent with basic auth
    assert fake_provider.token_requests[0]["code_verifier"]
    assert "client_secret" not in fake_provider.token_requests[0]
    assert {"user.created", "oidc.linked", "auth.login"} <= set(await actions(db_session))


async def test_a_linked_identity_signs_in(client, oidc_provider, db_session) -> None:
    await full_flow(client)
    await post_form(client, "/logout")
    assert not client.cookies.get("verso_session")
    again = await full_flow(client)
    assert again.status_code == 303 and again.headers["location"] == "/account"
    assert len((await db_session.scalars(select(User).where(User.email == "pat@example.com"))).all()) == 1
    assert len((await db_session.scalars(select(UserSession))).all()) == 1


async def test_state_mismatch_is_refused(client, oidc_provider, db_session) -> None:
    callback = await at_provider(await to_provider(client))
    forged = callback.replace("state=", "state=x")
    refused = await client.get(forged, follow_redirects=False)
    assert refused.status_code == 400 and "did not work" in refused.text
    assert not client.cookies.get("verso_session")
    assert "auth.oidc_failed" in await actions(db_session)
    # a callback without the browser's flow cookie (sent to someone else) is refused too
    callback = await at_provider(await to_provider(client))
    client.cookies.clear()
    assert (await client.get(callback, follow_redirects=False)).status_code == 400


async def refused(client, db_session, reason: str) -> None:
    response = await full_flow(client)
    assert response.status_code == 400, response.text
    assert not client.cookies.get("verso_session")
    rows = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "auth.oidc_failed"))).all()
    assert rows[-1].changes["reason"] == [None, reason]
    assert (await db_session.scalars(select(User).where(User.email == "pat@example.com"))).first() is None


async def test_a_forged_signature_is_refused(client, oidc_provider, fake_provider, db_session) -> None:
    fake_provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    await refused(client, db_session, "bad_signature")


async def test_a_token_for_another_client_is_refused(
    client, oidc_provider, fake_provider, db_session
) -> None:
    fake_provider.overrides = {"aud": "someone-else"}
    await refused(client, db_session, "wrong_audience")


async def test_an_expired_token_is_refused(client, oidc_provider, fake_provider, db_session) -> None:
    fake_provider.overrides = {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}
    await refused(client, db_session, "expired")


async def test_a_nonce_mismatch_is_refused(client, oidc_provider, fake_provider, db_session) -> None:
    fake_provider.overrides = {"nonce": "replayed"}
    await refused(client, db_session, "wrong_nonce")


async def test_another_issuer_is_refused(client, oidc_provider, fake_provider, db_session) -> None:
    fake_provider.overrides = {"iss": "https://evil.example"}
    await refused(client, db_session, "wrong_issuer")


async def test_an_existing_email_is_not_linked_silently(client, oidc_provider, db_session) -> None:
    await make_user("pat@example.com", ["user"])
    page = await full_flow(client)
    assert page.status_code == 409 and "Sign in with your password first" in page.text
    assert not client.cookies.get("verso_session")
    assert (await db_session.scalars(select(OIDCIdentity))).first() is None
    # the way forward: sign in with the password, then link from the account page
    await sign_in(client, "pat@example.com", PASSWORD)
    linked = await full_flow(client, "/account/sign-in-methods/test/link", post=True)
    assert linked.status_code == 303 and linked.headers["location"] == "/account/sign-in-methods"
    assert (await db_session.scalars(select(OIDCIdentity))).one().provider == "test"
    await post_form(client, "/logout")
    assert (await full_flow(client)).headers["location"] == "/account"


async def test_link_and_unlink_from_the_account_page(client, oidc_provider, db_session) -> None:
    await make_user("sam@example.com", ["user"])
    await sign_in(client, "sam@example.com", PASSWORD)
    page = await client.get("/account/sign-in-methods")
    assert page.status_code == 200 and "Link TestID" in page.text
    await full_flow(client, "/account/sign-in-methods/test/link", post=True)
    identity = (await db_session.scalars(select(OIDCIdentity))).one()
    page = await client.get("/account/sign-in-methods")
    assert "pat@example.com" in page.text and "Link TestID" not in page.text
    # the same provider account cannot be linked twice
    again = await full_flow(client, "/account/sign-in-methods/test/link", post=True)
    assert again.headers["location"] == "/account/sign-in-methods"
    done = await post_form(client, f"/account/sign-in-methods/{identity.id}/unlink", follow_redirects=False)
    assert done.status_code == 303
    assert (await db_session.scalars(select(OIDCIdentity))).first() is None
    assert {"oidc.linked", "oidc.unlinked"} <= set(await actions(db_session))


async def test_the_last_way_to_sign_in_cannot_be_unlinked(client, oidc_provider, db_session) -> None:
    await full_flow(client)  # an account without a password
    identity = (await db_session.scalars(select(OIDCIdentity))).one()
    page = await post_form(client, f"/account/sign-in-methods/{identity.id}/unlink")
    assert "Set a password first" in page.text
    assert (await db_session.scalars(select(OIDCIdentity))).one().id == identity.id


async def test_someone_elses_identity_cannot_be_unlinked(client, oidc_provider, db_session) -> None:
    await full_flow(client)
    identity = (await db_session.scalars(select(OIDCIdentity))).one()
    await post_form(client, "/logout")
    await make_user("sam@example.com", ["user"])
    await sign_in(client, "sam@example.com", PASSWORD)
    await post_form(client, f"/account/sign-in-methods/{identity.id}/unlink")
    assert (await db_session.scalars(select(OIDCIdentity))).one().id == identity.id


async def test_a_disabled_or_unknown_provider_is_not_found(client, oidc_provider, db_session) -> None:
    provider = (await db_session.scalars(select(OIDCProvider))).one()
    provider.enabled = False
    await db_session.commit()
    assert (await client.get("/login/oidc/test", follow_redirects=False)).status_code == 404
    assert (await client.get("/login/oidc/nope", follow_redirects=False)).status_code == 404


async def test_an_account_with_two_step_verification_gets_the_mfa_step(
    client, oidc_provider, db_session
) -> None:
    from verso.domains.identity.models import TOTPDevice
    from verso.lib import clock

    await full_flow(client)
    await post_form(client, "/logout")
    user = (await db_session.scalars(select(User).where(User.email == "pat@example.com"))).one()
    db_session.add(TOTPDevice(user_id=user.id, secret_encrypted="unused", confirmed_at=clock.utcnow()))
    await db_session.commit()
    step = await full_flow(client)
    assert step.status_code == 303 and step.headers["location"] == "/mfa"
    assert not client.cookies.get("verso_session") and client.cookies.get("verso_mfa")
