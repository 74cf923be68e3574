"""The OpenID Connect protocol: discovery, authorization request with PKCE, code exchange, ID token checks.

Discovery documents and JWKS are cached in memory for a few minutes (both are public and the same in
every process, so a per-process cache is enough); an ID token signed with a key id the cache does not
know triggers one fresh JWKS fetch (key rotation). ID token signatures are verified with joserfc,
imported on first use (it pulls in cryptography, which start-up should not pay for).

Apple departs from the common flow in three ways handled here: its client secret is a short-lived JWT
signed with the developer's EC key, it answers with ``response_mode=form_post`` (a cross-site POST, with
the person's name in a ``user`` field on the first sign-in only), and it sends ``email_verified`` as a
string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from verso.lib import clock

if TYPE_CHECKING:
    from joserfc.jwk import ECKey, KeySet

TIMEOUT_SECONDS, CONNECT_SECONDS = 10.0, 5.0
CACHE_SECONDS = 300
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
MICROSOFT_TENANT = "{tenantid}"
APPLE_AUDIENCE = "https://appleid.apple.com"
APPLE_SECRET_SECONDS = 300  # Apple allows up to six months; one exchange needs a few seconds
PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)

_cache: dict[str, tuple[float, Any]] = {}


class OIDCError(Exception):
    """A failed step of the flow. ``reason`` is short and stable (audit log); the message is for people."""

    def __init__(
        self, reason: str, message: str = "The sign-in provider's answer could not be trusted."
    ) -> None:
        super().__init__(message)
        self.reason = reason


def _client() -> Any:
    """An HTTP client for the provider. httpx loads on first use: importing it pulls in its CLI's
    dependencies (rich, pygments), which the served app should not carry until someone signs in."""
    import httpx

    return httpx.AsyncClient(
        timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_SECONDS), follow_redirects=False
    )


def reset_cache() -> None:
    _cache.clear()


def is_allowed_issuer(url: str) -> bool:
    """https, or http on the loopback interface only (a provider on the same machine, tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


async def _get_json(url: str, *, fresh: bool = False) -> Any:
    now = time.monotonic()
    cached = _cache.get(url)
    if cached and cached[0] > now and not fresh:
        return cached[1]
    if not is_allowed_issuer(url):
        raise OIDCError("insecure_url", "The sign-in provider is misconfigured.")
    import httpx

    try:
        async with _client() as http:
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OIDCError(
            "provider_unreachable", "The sign-in provider did not answer. Try again later."
        ) from exc
    _cache[url] = (now + CACHE_SECONDS, data)
    return data


async def discover(issuer: str) -> dict[str, Any]:
    doc = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(doc, dict) or any(not isinstance(doc.get(k), str) for k in required):
        raise OIDCError("bad_discovery", "The sign-in provider is misconfigured.")
    return doc


@dataclass(frozen=True, slots=True)
class FlowSecrets:
    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> FlowSecrets:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    doc: dict[str, Any],
    *,
    client_id: str,
    redirect_uri: str,
    scopes: str,
    flow: FlowSecrets,
    form_post: bool = False,
) -> str:
    """The provider's sign-in page for this flow; ``form_post`` asks for the answer as a form POST
    (Apple requires it as soon as the scopes ask for the name or email)."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": flow.challenge,
        "code_challenge_method": "S256",
    }
    if form_post:
        params["response_mode"] = "form_post"
    endpoint = doc["authorization_endpoint"]
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


def states_match(expected: str, received: str | None) -> bool:
    return bool(received) and hmac.compare_digest(expected.encode(), (received or "").encode())


async def exchange_code(
    doc: dict[str, Any], *, code: str, client_id: str, client_secret: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    """The token endpoint's answer for ``code`` (client_secret_basic unless only _post is offered)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    import httpx

    auth: httpx.BasicAuth | None = None
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods or not client_secret:
        auth = httpx.BasicAuth(client_id, client_secret) if client_secret else None
        if auth is None:
            form["client_id"] = client_id
    else:
        form |= {"client_id": client_id, "client_secret": client_secret}
    if not is_allowed_issuer(doc["token_endpoint"]):
        raise OIDCError("insecure_url", "The sign-in provider is misconfigured.")
    try:
        async with _client() as http:
            response = await http.post(
                doc["token_endpoint"], data=form, auth=auth, headers={"Accept": "application/json"}
            )
            data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OIDCError("token_unreachable", "The sign-in provider did not answer. Try again later.") from exc
    if response.status_code != 200 or not isinstance(data, dict) or not isinstance(data.get("id_token"), str):
        raise OIDCError("token_refused", "The sign-in provider refused the sign-in. Try again.")
    return data


async def _keys(jwks_uri: str, kid: str | None) -> KeySet:
    data = await _get_json(jwks_uri)
    keyset = _import(data)
    if kid is not None and all(key.kid != kid for key in keyset.keys):
        keyset = _import(await _get_json(jwks_uri, fresh=True))  # the provider rotated its keys
    return keyset


def _import(data: Any) -> KeySet:
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    try:
        return KeySet.import_key_set(data)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OIDCError("bad_jwks") from exc


def _issuer_for(doc: dict[str, Any], claims: dict[str, Any]) -> str:
    """Microsoft's multi-tenant endpoints publish ``.../{tenantid}/v2.0``: the token's ``tid`` fills it."""
    issuer = doc["issuer"]
    if MICROSOFT_TENANT in issuer and isinstance(claims.get("tid"), str):
        return issuer.replace(MICROSOFT_TENANT, claims["tid"])
    return issuer


async def verify_id_token(
    doc: dict[str, Any], id_token: str, *, client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce`` hold."""
    from joserfc import jws, jwt
    from joserfc.errors import JoseError

    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError) as exc:
        raise OIDCError("malformed_token") from exc
    if header.get("alg") not in ALGORITHMS:
        raise OIDCError("bad_algorithm")
    keyset = await _keys(doc["jwks_uri"], header.get("kid"))
    try:
        claims = jwt.decode(id_token, keyset, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError) as exc:
        raise OIDCError("bad_signature") from exc
    now = clock.utcnow().timestamp()
    if not isinstance(claims.get("iss"), str) or claims["iss"] != _issuer_for(doc, claims):
        raise OIDCError("wrong_issuer")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if client_id not in audiences or (len(audiences) > 1 and claims.get("azp") != client_id):
        raise OIDCError("wrong_audience")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or exp + LEEWAY_SECONDS < now:
        raise OIDCError("expired", "The sign-in took too long. Try again.")
    if isinstance(iat, int | float) and iat - LEEWAY_SECONDS > now:
        raise OIDCError("issued_in_future")
    if not states_match(nonce, claims.get("nonce")):
        raise OIDCError("wrong_nonce")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise OIDCError("no_subject")
    return claims


def email_claims(claims: dict[str, Any]) -> tuple[str, bool]:
    """(email, verified): Apple sends ``email_verified`` as the string ``"true"``."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    verified = verified is True or (isinstance(verified, str) and verified.lower() == "true")
    return (email.strip().lower() if isinstance(email, str) else ""), verified


def apple_private_key(pem: str) -> ECKey:
    """The developer's Sign in with Apple key (the .p8 file); ValueError unless an EC P-256 private key.

    Line breaks do not matter: a password field drops them on paste, so the base64 body is re-wrapped.
    """
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey

    match = PEM.search(pem)
    if match is None:
        raise ValueError("not a PEM block")
    body = re.sub(r"\s+", "", match[2])
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    try:
        key = ECKey.import_key(f"-----BEGIN {match[1]}-----\n{lines}\n-----END {match[1]}-----\n")
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError("not an EC key") from exc
    if not key.is_private or key.curve_name != "P-256":
        raise ValueError("not an EC P-256 private key")
    return key


def apple_client_secret(pem: str, *, team_id: str, key_id: str, client_id: str) -> str:
    """Apple's client secret: a JWT (ES256, ``kid`` = key id) from the team for the services id.

    Made afresh at each code exchange and valid minutes, so no long-lived secret leaves the server.
    """
    from joserfc import jwt

    try:
        key = apple_private_key(pem)
    except ValueError as exc:  # unreadable since the app secret changed: the admin pastes the key again
        raise OIDCError("bad_client_key", "The sign-in provider is misconfigured.") from exc
    now = int(clock.utcnow().timestamp())
    claims = {
        "iss": team_id,
        "sub": client_id,
        "aud": APPLE_AUDIENCE,
        "iat": now,
        "exp": now + APPLE_SECRET_SECONDS,
    }
    return jwt.encode({"alg": "ES256", "kid": key_id}, claims, key)


def posted_names(raw: str | None) -> dict[str, str]:
    """``given_name``/``family_name`` from the ``user`` JSON Apple posts on the first sign-in only.

    It comes through the browser unsigned: good enough to name a new account, never used for the email.
    """
    try:
        user = json.loads(raw) if raw and len(raw) <= 2000 else None
    except ValueError:
        return {}
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, dict):
        return {}
    pairs = (("given_name", name.get("firstName")), ("family_name", name.get("lastName")))
    return {claim: value.strip() for claim, value in pairs if isinstance(value, str) and value.strip()}
