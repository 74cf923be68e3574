"""Encryption for the stored client secrets and the short-lived flow cookie.

The same construction as ``identity/mfa.py`` (Fernet, key derived from the app secret), with a
different derivation label per purpose so no two uses share a key.

The flow cookie: between ``/login/oidc/{slug}`` and its callback, ``state``, ``nonce`` and the PKCE
verifier live in an HttpOnly cookie, Fernet-encrypted (so authenticated and unreadable) and valid ten
minutes (Fernet tokens carry their creation time). A cookie, not a table: nothing to clean up, nothing
shared between processes, and it binds the flow to the browser that started it (a callback URL sent to
someone else fails the state check in their browser).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from litestar.datastructures import Cookie

from verso.lib.crypto import fernet
from verso.settings import get_settings

FLOW_COOKIE = "verso_oidc"
FLOW_PATH = "/login/oidc"
FLOW_TTL_SECONDS = 600


def _fernet(purpose: str) -> Any:
    return fernet(purpose)


def encrypt_secret(value: str) -> str:
    return _fernet("oidc-client-secret").encrypt(value.encode()).decode() if value else ""


def decrypt_secret(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet("oidc-client-secret").decrypt(value.encode()).decode()
    except _invalid_token():  # the app secret changed: the admin enters the client secret again
        return ""


@dataclass(frozen=True, slots=True)
class FlowState:
    slug: str
    state: str
    nonce: str
    verifier: str
    next: str = ""
    link_user: str = ""  # set when a signed-in person links a provider from their account


def flow_cookie(flow: FlowState | None, *, form_post: bool = False) -> Cookie:
    """The flow cookie (``None``: its removal). Which SameSite lets it come back with the answer:

    - Most providers send the browser back with a top-level GET redirect: Lax cookies go with it.
    - Apple (``form_post``) answers with a cross-site form POST: Lax cookies stay behind, so the
      cookie is SameSite=None. Browsers accept None only on a Secure cookie, that is over https.
    - Over http it stays Lax: Apple never redirects to http, and the only http issuers allowed are on
      loopback (``protocol.is_allowed_issuer``), the same site as a Verso on 127.0.0.1 (a site ignores
      the port), whose form POST does carry Lax cookies. A None cookie without Secure would be dropped.
    """
    value = _fernet("oidc-flow").encrypt(json.dumps(asdict(flow)).encode()).decode() if flow else ""
    https = get_settings().https
    return Cookie(
        key=FLOW_COOKIE,
        value=value,
        path=FLOW_PATH,
        httponly=True,
        samesite="none" if form_post and https else "lax",
        secure=https,
        max_age=FLOW_TTL_SECONDS if flow else 0,
    )


def read_flow(raw: str | None) -> FlowState | None:
    if not raw or len(raw) > 4000:
        return None
    try:
        data: dict[str, Any] = json.loads(_fernet("oidc-flow").decrypt(raw.encode(), ttl=FLOW_TTL_SECONDS))
        return FlowState(**data)
    except (_invalid_token(), ValueError, TypeError):
        return None


def _invalid_token() -> type[Exception]:
    from cryptography.fernet import InvalidToken

    return InvalidToken
