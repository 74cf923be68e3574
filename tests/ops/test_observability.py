"""JSON logs with request ids, the slow-query log, and X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import json
import logging

from sqlalchemy import text

from verso.server.observability import JsonFormatter, _client_from_forwarded, request_id_var


def test_json_log_line_carries_request_id_and_extras() -> None:
    record = logging.LogRecord("verso.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.order = "VRS-1"
    token = request_id_var.set("req-42")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello world" and line["level"] == "info" and line["logger"] == "verso.test"
    assert line["request_id"] == "req-42" and line["order"] == "VRS-1" and line["ts"].endswith("+00:00")


def _scope(client: str, forwarded: str | None) -> dict:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (client, 5000), "headers": headers}


def test_forwarded_for_ignored_without_a_trusted_proxy() -> None:
    scope = _scope("198.51.100.7", "203.0.113.1")
    _client_from_forwarded(scope, frozenset())
    assert scope["client"][0] == "198.51.100.7"


def test_forwarded_for_believed_from_a_trusted_proxy_only() -> None:
    trusted = frozenset({"10.0.0.2", "10.0.0.3"})
    scope = _scope("10.0.0.2", "203.0.113.9, 198.51.100.1, 10.0.0.3")
    _client_from_forwarded(scope, trusted)
    assert scope["client"][0] == "198.51.100.1"  # the nearest hop that is not one of our proxies
    spoofed = _scope("198.51.100.7", "127.0.0.1")
    _client_from_forwarded(spoofed, trusted)
    assert spoofed["client"][0] == "198.51.100.7"


async def test_slow_queries_are_logged(caplog) -> None:
    from verso.lib import db
    from verso.settings import get_settings

    engine = db.build_alchemy_config(
        get_settings().__class__(
            **{
                **{f: getattr(get_settings(), f) for f in get_settings().__dataclass_fields__},
                "slow_query_ms": 0,
            }
        )
    ).get_engine()
    try:
        with caplog.at_level(logging.WARNING, logger="verso.sql"):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 42"))
    finally:
        await engine.dispose()
    slow = [r for r in caplog.records if r.name == "verso.sql"]
    assert slow and "SELECT 42" in slow[0].statement and slow[0].duration_ms >= 0


async def test_access_log_line_per_request(client, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="verso.access"):
        response = await client.get("/health", headers={"X-Request-ID": "trace-me"})
    lines = [r for r in caplog.records if r.name == "verso.access"]
    assert lines and lines[-1].route == "/health" and lines[-1].status == response.status_code
