"""One-shot messages that survive a POST-then-303 redirect, for browsers without JavaScript.

The message rides in a short-lived, HMAC-signed cookie that the next full page reads and clears;
htmx requests get a toast through ``HX-Trigger`` instead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import Cookie

COOKIE = "verso_flash"
LEVELS = ("success", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class Flash:
    level: str
    message: str


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()[:32]


def encode(secret: str, flashes: list[Flash]) -> str:
    body = base64.urlsafe_b64encode(json.dumps([[f.level, f.message] for f in flashes]).encode())
    return f"{body.decode()}.{_sign(secret, body)}"


def decode(secret: str, value: str | None) -> list[Flash]:
    """The flashes in a cookie value; a tampered or malformed value yields none."""
    if not value or "." not in value:
        return []
    body, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _sign(secret, body.encode())):
        return []
    try:
        items: Any = json.loads(base64.urlsafe_b64decode(body.encode()))
        return [Flash(level if level in LEVELS else "info", str(msg)[:500]) for level, msg in items][:5]
    except (ValueError, TypeError):
        return []


def flash_cookie(secret: str, message: str, level: str = "success", *, secure: bool = False) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=encode(secret, [Flash(level, message)]),
        max_age=60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
