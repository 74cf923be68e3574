"""``/health`` for load balancers and ``/metrics`` for Prometheus."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import health_checks
from verso.lib import jobs
from verso.lib.db import DbSession
from verso.lib.metrics import JOB_FAILURES, JOB_LAG, JOBS_BY_STATUS, metrics_text
from verso.settings import get_settings

NO_STORE = {"Cache-Control": "no-store"}
LOOPBACK = {"127.0.0.1", "::1", "testclient"}


@get("/health", permission=PUBLIC, include_in_schema=False)
async def health(db_session: DbSession) -> Response[dict[str, Any]]:
    checks = await health_checks(db_session)
    healthy = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {name: {"ok": check.ok, **check.detail} for name, check in checks.items()},
    }
    return Response(content=body, status_code=200 if healthy else 503, headers=NO_STORE)


def _may_scrape(request: Request[Any, Any, Any]) -> bool:
    token = get_settings().metrics_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    host = request.client.host if request.client else ""
    return host in LOOPBACK


@get("/metrics", permission=PUBLIC, include_in_schema=False)
async def metrics(request: Request[Any, Any, Any], db_session: DbSession) -> Response[bytes]:
    """Prometheus text format; open on loopback, or to holders of ``VERSO_METRICS_TOKEN``."""
    if not _may_scrape(request):
        raise PermissionDeniedException("Metrics need the metrics token.")
    stats = await jobs.queue_stats(db_session)
    for status in jobs.STATUSES:
        JOBS_BY_STATUS.labels(status).set(stats.counts.get(status, 0))
    JOB_LAG.set(stats.oldest_due_lag_seconds)
    JOB_FAILURES.labels("failed").set(stats.failures_total)
    JOB_FAILURES.labels("dead_letter").set(stats.dead_total)
    return Response(
        content=metrics_text(), media_type="text/plain; version=0.0.4; charset=utf-8", headers=NO_STORE
    )


routes = [health, metrics]
