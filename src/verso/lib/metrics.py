"""Prometheus metrics for this process, in one registry that ``/metrics`` renders."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

registry = CollectorRegistry(auto_describe=True)
HTTP_REQUESTS = Counter(
    "verso_http_requests_total",
    "HTTP requests by route and status",
    ["method", "route", "status"],
    registry=registry,
)
HTTP_LATENCY = Histogram(
    "verso_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=registry,
)
JOBS_BY_STATUS = Gauge("verso_jobs", "Jobs in the queue by status", ["status"], registry=registry)
JOB_LAG = Gauge("verso_job_queue_lag_seconds", "Age of the oldest due job still waiting", registry=registry)
JOB_FAILURES = Gauge("verso_job_failures", "Jobs failed or dead-lettered", ["kind"], registry=registry)


@lru_cache(maxsize=4096)
def _request_series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The counter and histogram children of one kind of request: ``labels()`` takes a lock and
    builds a key on every call, which showed in the profile of every request."""
    return HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route)


def count_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request (``route`` is the path template, so the series stay few)."""
    requests, latency = _request_series(method, route, status)
    requests.inc()
    latency.observe(seconds)


def metrics_text() -> bytes:
    return generate_latest(registry)
