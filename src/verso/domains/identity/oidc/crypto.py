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


def flow_cookie(flow: FlowState | None) -> Cookie:
    value = _fernet("oidc-flow").encrypt(json.dumps(asdict(flow)).encode()).decode() if flow else ""
    return Cookie(
        key=FLOW_COOKIE,
        value=value,
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to the callback
        secure=get_settings().https,
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
