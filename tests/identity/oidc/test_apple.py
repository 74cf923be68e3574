"""Sign in with Apple against the fake provider in Apple mode: form_post answers, a client secret JWT
signed with the developer's EC key, the name from the posted ``user`` JSON."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc.jwk import ECKey
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.identity.oidc.provider import APPLE_KEY_ID, APPLE_TEAM_ID, CLIENT_ID
from tests.identity.oidc.test_flow import actions, to_provider
from verso.domains.identity.models import User
from verso.domains.identity.oidc import crypto, protocol
from verso.domains.identity.oidc.crypto import FlowState, encrypt_secret, flow_cookie
from verso.domains.identity.oidc.models import OIDCIdentity
from verso.lib.audit import AuditLog


async def at_apple(authorize_url: str) -> tuple[str, dict[str, str]]:
    """The person approves at Apple; return the callback path and the fields its page POSTs there."""
    async with httpx.AsyncClient() as http:
        page = await http.get(authorize_url, follow_redirects=False)
    assert page.status_code == 200 and "document.forms[0].submit()" in page.text
    action = urlsplit(html.unescape(re.search(r'action="([^"]+)"', page.text)[1]))
    assert action.netloc == "testserver.local"
    fields = re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)
    return action.path, {html.unescape(k): html.unescape(v) for k, v in fields}


async def apple_flow(client, start: str = "/login/oidc/apple", *, post: bool = False):
    """The whole round trip; the callback is POSTed as the provider's page does: without a CSRF token."""
    path, fields = await at_apple(await to_provider(client, start, post=post))
    return await client.post(path, data=fields, follow_redirects=False)


async def test_first_sign_in_creates_an_account_named_from_the_posted_user(
    client, apple_provider, fake_apple, db_session
) -> None:
    start = await client.get("/login/oidc/apple?next=/account/profile", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["response_mode"] == ["form_post"] and query["scope"] == ["openid email name"]
    assert "samesite=lax" in start.headers["set-cookie"].lower()  # http: see crypto.flow_cookie
    path, fields = await at_apple(start.headers["location"])
    assert "Robin" in fields["user"]
    done = await client.post(path, data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account/profile", done.text
    user = (await db_session.scalars(select(User).where(User.email == "pat@example.com"))).one()
    assert (user.first_name, user.last_name) == ("Robin", "Apfel")
    assert user.email_verified and user.password_hash is None  # email_verified came as "true"
    # the client secret went in the form (client_secret_post) as a fresh ES256 JWT, with PKCE
    request = fake_apple.token_requests[0]
    assert request["client_id"] == CLIENT_ID and request["client_secret"].count(".") == 2
    assert request["code_verifier"]
    # Apple posts the name once: the next sign-in has no ``user`` and opens the same account
    await post_form(client, "/logout")
    _path, again = await at_apple(await to_provider(client, "/login/oidc/apple"))
    assert "user" not in again
    back = await client.post(path, data=again, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/account"
    assert len((await db_session.scalars(select(User).where(User.email == "pat@example.com"))).all()) == 1


async def test_a_wrong_or_missing_key_is_refused(client, apple_provider, fake_apple, db_session) -> None:
    other = ECKey.generate_key("P-256", private=True)
    apple_provider.client_secret_encrypted = encrypt_secret(other.as_pem(private=True).decode())
    await db_session.commit()
    refused = await apple_flow(client)
    assert refused.status_code == 400 and "did not work" in refused.text
    assert len(fake_apple.token_requests) == 1  # Apple (the fake) checked the JWT and said no
    apple_provider.client_secret_encrypted = ""
    await db_session.commit()
    assert (await apple_flow(client)).status_code == 400
    assert len(fake_apple.token_requests) == 1  # nothing to sign with: Apple is not even asked
    rows = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "auth.oidc_failed"))).all()
    assert [row.changes["reason"][1] for row in rows] == ["token_refused", "bad_client_key"]
    assert not client.cookies.get("verso_session")
    assert (await db_session.scalars(select(User).where(User.email == "pat@example.com"))).first() is None


async def test_the_posted_callback_needs_the_flow_cookie_and_only_it_skips_csrf(
    client, apple_provider, db_session
) -> None:
    path, fields = await at_apple(await to_provider(client, "/login/oidc/apple"))
    client.cookies.delete("verso_oidc", path="/login/oidc")
    assert (await client.post(path, data=fields, follow_redirects=False)).status_code == 400
    assert "auth.oidc_failed" in await actions(db_session)
    await make_user("sam@example.com", ["user"])
    await sign_in(client, "sam@example.com", PASSWORD)
    no_token = await client.post("/account/sign-in-methods/apple/link", follow_redirects=False)
    assert no_token.status_code == 403  # the exemption is the callback's alone


async def test_linking_apple_when_the_session_cookie_stays_behind(client, apple_provider, db_session) -> None:
    """Over https Apple's cross-site POST carries no Lax session cookie: the flow cookie says who links."""
    await make_user("sam@example.com", ["user"])
    await sign_in(client, "sam@example.com", PASSWORD)
    path, fields = await at_apple(await to_provider(client, "/account/sign-in-methods/apple/link", post=True))
    session = client.cookies.get("verso_session")
    client.cookies.delete("verso_session")
    assert not client.cookies.get("verso_session")
    linked = await client.post(path, data=fields, follow_redirects=False)
    assert linked.status_code == 303 and linked.headers["location"] == "/account/sign-in-methods"
    sam = (await db_session.scalars(select(User).where(User.email == "sam@example.com"))).one()
    identity = (await db_session.scalars(select(OIDCIdentity))).one()
    assert (identity.user_id, identity.provider) == (sam.id, "apple")
    assert sam.first_name != "Robin"  # linking names nobody
    client.cookies.set("verso_session", session)
    page = await client.get("/account/sign-in-methods")
    assert page.status_code == 200 and "pat@example.com" in page.text and "Link Apple" not in page.text


def test_the_flow_cookie_is_samesite_none_for_apple_over_https(monkeypatch) -> None:
    flow = FlowState("apple", "state", "nonce", "verifier")
    monkeypatch.setattr(crypto, "get_settings", lambda: SimpleNamespace(https=True))
    apple, other = flow_cookie(flow, form_post=True), flow_cookie(flow)
    assert (apple.samesite, apple.secure, other.samesite, other.secure) == ("none", True, "lax", True)
    monkeypatch.setattr(crypto, "get_settings", lambda: SimpleNamespace(https=False))
    assert (flow_cookie(flow, form_post=True).samesite, flow_cookie(flow).secure) == ("lax", False)


def test_the_client_secret_jwt_and_the_posted_name(apple_key) -> None:
    from joserfc import jwt

    pem = apple_key.as_pem(private=True).decode()
    secret = protocol.apple_client_secret(pem, team_id=APPLE_TEAM_ID, key_id=APPLE_KEY_ID, client_id="svc")
    token = jwt.decode(secret, ECKey.import_key(apple_key.as_pem(private=False)), algorithms=["ES256"])
    assert token.header["kid"] == APPLE_KEY_ID and token.header["alg"] == "ES256"
    claims = token.claims
    assert (claims["iss"], claims["sub"]) == (APPLE_TEAM_ID, "svc")
    assert claims["aud"] == "https://appleid.apple.com"
    assert 0 < claims["exp"] - claims["iat"] <= 15_777_000
    one_line = pem.replace("\n", "")  # what a password field keeps of a pasted .p8 file
    assert protocol.apple_private_key(one_line).as_dict() == apple_key.as_dict()
    posted = '{"name": {"firstName": " Robin ", "lastName": ""}}'
    assert protocol.posted_names(posted) == {"given_name": "Robin"}
    for raw in (None, "", "not json", "[1]", '{"name": "Robin"}', "x" * 3000):
        assert protocol.posted_names(raw) == {}
