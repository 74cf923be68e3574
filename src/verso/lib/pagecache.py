"""Whole-page cache for anonymous visitors of public pages (the storefront's hot path).

A page is stored as the bytes the app sent, keyed by everything that can change them for someone
who is not signed in: path, query string, the htmx headers that choose page or fragment, the caller's
``vary()`` (e.g. the business settings) and a version the caller reads fresh on every request (e.g.
the catalogue version). A change anywhere bumps the version, so the next request, in any process,
renders again: the cache can only be stale for ``ttl`` seconds about things that change with the
clock alone (a collection's date window).

Only plain GETs without a session or a personal cookie (:func:`personal_cookie`: a flash message, a
guest cart) are served or stored, only 200 answers without
a ``Set-Cookie`` of their own are kept, and the visitor's CSRF token is written into the stored page
on the way out, so forms and htmx requests keep working. Attach it to a route with
``middleware=[cache.middleware]``. It runs after the app's authentication middleware (so it knows
whether someone is signed in) but before Litestar's CSRF middleware, so a hit does the CSRF
middleware's GET work itself: reuse the visitor's token cookie, or issue one.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.middleware import ASGIMiddleware
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from verso.lib import flash
from verso.lib.caches import on_reset
from verso.lib.cookies import cookie_value

PLACEHOLDER = b"\x00csrf\x00"
_TOKEN = re.compile(r"[0-9a-f]{128}")  # Litestar's CSRF tokens: 32 random bytes and an HMAC, in hex
_VARYING_HEADERS = (b"hx-request", b"hx-boosted", b"hx-history-restore-request")
_PERSONAL_COOKIES: set[bytes] = {flash.COOKIE.encode() + b"="}


def personal_cookie(name: str) -> None:
    """Declare a cookie that makes a visitor's pages their own (a flash message, a guest cart):
    a request carrying it is neither served from nor stored in the cache."""
    _PERSONAL_COOKIES.add(name.encode() + b"=")


def varying_headers(scope: Scope) -> tuple[tuple[bytes, bytes], ...]:
    """The request headers that choose between a page and a fragment of it (htmx's)."""
    return tuple(sorted((name, value) for name, value in scope["headers"] if name in _VARYING_HEADERS))


@dataclass(slots=True)
class _Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float


class PageCache:
    """An LRU of rendered pages bounded by ``max_bytes``; see the module docstring for the rules."""

    def __init__(
        self,
        version: Callable[[], Awaitable[Hashable]],
        vary: Callable[[], Awaitable[Hashable]] | None = None,
        *,
        max_bytes: int = 32 * 1024 * 1024,
        ttl: float = 60.0,
    ) -> None:
        self._version, self._vary = version, vary
        self._max_bytes, self._ttl = max_bytes, ttl
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._rendering: dict[Hashable, asyncio.Event] = {}
        self._size = 0
        self.hits = self.misses = 0
        self.middleware = _CacheMiddleware(self)
        on_reset(self.clear)

    def __deepcopy__(self, memo: dict[int, Any]) -> PageCache:
        """One cache per process: Litestar deep-copies route handlers (and their middleware) when it
        registers them, and a copy would be a second cache that ``clear()`` never reaches."""
        return self

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def _put(self, key: Hashable, entry: _Entry) -> None:
        if len(entry.body) > self._max_bytes // 8:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._size += len(entry.body)
        while self._size > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._size -= len(self._entries.pop(key).body)

    async def key_for(self, scope: Scope) -> Hashable | None:
        """The cache key of this request, or None when it must not be served from the cache."""
        if scope["method"] != "GET" or scope.get("user") is not None:
            return None
        for name, value in scope["headers"]:
            if name == b"cookie" and any(cookie in value for cookie in _PERSONAL_COOKIES):
                return None
        return (
            scope["path"],
            scope["query_string"],
            varying_headers(scope),
            await self._vary() if self._vary else None,
            await self._version(),
        )


def _csrf_cookie(config: CSRFConfig, token: str) -> bytes:
    cookie = Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )
    return cookie.to_header(header="").encode("latin-1")


class _CacheMiddleware(ASGIMiddleware):
    def __init__(self, cache: PageCache) -> None:
        self.cache = cache

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cache = self.cache
        key = await cache.key_for(scope)
        if key is None:
            await next_app(scope, receive, send)
            return
        csrf = scope["litestar_app"].csrf_config
        cookie = cookie_value(scope, csrf.cookie_name) if csrf else None
        if csrf is None or (cookie is not None and not _TOKEN.fullmatch(cookie)):
            await next_app(scope, receive, send)  # a forged cookie never gets into (or out of) the cache
            return
        entry = cache._get(key)
        if entry is None and key in cache._rendering:  # someone is rendering this page: wait for it
            await cache._rendering[key].wait()
            entry = cache._get(key)
        if entry is not None:
            cache.hits += 1
            # What Litestar's CSRF middleware does for a GET, which a hit skips: reuse the visitor's
            # token, or issue one in a new cookie.
            token = cookie or generate_csrf_token(csrf.secret)
            body = entry.body.replace(PLACEHOLDER, token.encode())
            headers = [*entry.headers, (b"content-length", str(len(body)).encode()), (b"x-cache", b"hit")]
            if cookie is None:
                headers.append((b"set-cookie", _csrf_cookie(csrf, token)))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        cache.misses += 1
        rendering = cache._rendering.setdefault(key, asyncio.Event())
        try:
            await self._render(scope, receive, send, next_app, key, csrf)
        finally:
            rendering.set()
            if cache._rendering.get(key) is rendering:
                del cache._rendering[key]

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, key: Hashable, csrf: CSRFConfig
    ) -> None:
        """Run the app, and keep what it answered when that is a shareable page."""
        cache = self.cache
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await next_app(scope, receive, capture)
        # The CSRF middleware runs inside this one: its cookie is the only Set-Cookie a page may carry
        # (a hit issues its own); any other means the page was personal.
        csrf_cookie = csrf.cookie_name.encode() + b"="
        headers = []
        for name, value in start.get("headers", ()):
            lowered = name.lower()
            if lowered == b"set-cookie" and not value.startswith(csrf_cookie):
                return
            if lowered not in (b"set-cookie", b"content-length"):
                headers.append((name, value))
        if start.get("status") != 200:
            return
        token = ScopeState.from_scope(scope).csrf_token
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            return
        body = b"".join(chunks).replace(token.encode(), PLACEHOLDER)
        cache._put(key, _Entry(headers, body, time.monotonic() + cache._ttl))
