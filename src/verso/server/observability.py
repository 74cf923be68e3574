"""Request ids, JSON logs, Prometheus metrics, trusted-proxy client IPs and security headers.

One outermost ASGI middleware does all of it, so every response (errors included) carries the
request id and the security headers, and every request is counted and timed by route.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from verso.lib.metrics import count_request
from verso.server.security import security_headers
from verso.settings import Settings

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("verso.access")


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the request id and any ``extra=`` fields."""

    _skip = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if rid := request_id_var.get():
            payload["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in self._skip and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("granian.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _client_from_forwarded(scope: dict[str, Any], trusted: frozenset[str]) -> None:
    """Believe ``X-Forwarded-For`` only from a trusted proxy: take the nearest untrusted hop."""
    client = scope.get("client")
    if not trusted or not client or client[0] not in trusted:
        return
    for key, value in scope.get("headers", ()):
        if key == b"x-forwarded-for":
            hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
            for hop in reversed(hops):
                if hop not in trusted:
                    scope["client"] = (hop, 0)
                    return


class ObservabilityMiddleware:
    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.trusted = settings.trusted_proxy_set
        self.headers = security_headers(settings)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        _client_from_forwarded(scope, self.trusted)
        started = time.perf_counter()
        status = 500
        static = scope["path"].startswith("/static/")

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(h for h in self.headers if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or ("/static/{path}" if static else "unmatched")
            count_request(scope["method"], route, status, elapsed)
            if not static:
                client = scope.get("client")
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "client_ip": client[0] if client else None,
                    },
                )
            request_id_var.reset(token)
