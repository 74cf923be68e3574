"""Reading a cookie straight from an ASGI scope, for middleware that runs before a Request exists."""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.types import Scope


def cookie_value(scope: Scope, name: str) -> str | None:
    """The value of cookie ``name``, or None (a malformed header counts as no cookie, not an error)."""
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                return None
            if name in jar:
                return jar[name].value
    return None
