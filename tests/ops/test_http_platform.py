"""The HTTP platform: security headers, CSRF, error pages as HTML / htmx / JSON, request ids, health."""

from __future__ import annotations

import json

from tests.factories import post_form


async def test_security_headers_on_pages_errors_and_static(client) -> None:
    for path in ("/login", "/no-such-page", "/static/css/app.css"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "geolocation=()" in response.headers["permissions-policy"]
        assert "strict-transport-security" not in response.headers  # http base URL: no HSTS


async def test_request_id_is_accepted_and_returned(client) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


async def test_post_without_csrf_token_is_refused(client, admin) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"login": admin.email, "password": "x"})
    assert response.status_code == 403
    assert "verso_session" not in response.cookies


async def test_post_with_wrong_csrf_token_is_refused(client, admin) -> None:
    await client.get("/login")
    response = await client.post(
        "/login", data={"login": admin.email, "password": "x"}, headers={"x-csrftoken": "forged"}
    )
    assert response.status_code == 403


async def test_404_is_a_page_inside_the_layout(client) -> None:
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<main" in response.text and "The page may have moved" in response.text
    assert "Traceback" not in response.text


async def test_404_for_htmx_is_a_toast_not_a_swap(client) -> None:
    response = await client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["hx-reswap"] == "none"
    assert "hx-swap-oob" in response.text and "<html" not in response.text


async def test_api_errors_are_problem_json(client) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Page not found" and "request_id" in body


async def test_unhandled_error_shows_no_stack_trace(app, client) -> None:
    from litestar import get

    @get("/boom", permission="public", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.register(boom)
    for headers, kind in (({}, "text/html"), ({"HX-Request": "true"}, "text/html")):
        response = await client.get("/boom", headers=headers)
        assert response.status_code == 500
        assert response.headers["content-type"].startswith(kind)
        assert "secret internals" not in response.text and "Traceback" not in response.text
        assert response.headers["x-request-id"]


async def test_staff_page_redirects_anonymous_to_login(client, admin) -> None:
    response = await client.get("/admin/jobs", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/jobs"
    htmx = await client.get("/admin/jobs", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 200 and htmx.headers["hx-redirect"].startswith("/login")


async def test_request_body_size_is_limited(client, admin) -> None:
    await client.get("/login")
    response = await post_form(client, "/login", {"login": "x" * 11_000_000, "password": "y"})
    assert response.status_code == 413


async def test_health_reports_each_check(client) -> None:
    response = await client.get("/health")
    body = response.json()
    assert set(body["checks"]) == {"database", "disk", "job_queue", "worker"}
    assert body["checks"]["database"]["ok"] is True
    # No worker has ever beaten in this test: unhealthy, 503.
    assert response.status_code == 503 and body["status"] == "unhealthy"
    assert body["checks"]["worker"]["ok"] is False


async def test_health_is_ok_with_a_live_worker(client, db_session) -> None:
    from verso.lib import jobs

    await jobs.Worker(worker_id="test-worker").heartbeat()
    response = await client.get("/health")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


async def test_metrics_in_prometheus_format(client) -> None:
    await client.get("/login")
    response = await client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'verso_http_requests_total{method="GET",route="/login",status="200"}' in text
    assert "verso_http_request_duration_seconds_bucket" in text
    assert 'verso_jobs{status="pending"}' in text and "verso_job_queue_lag_seconds" in text


async def test_metrics_refused_without_token_from_elsewhere(client, monkeypatch) -> None:
    import dataclasses

    from verso import settings as settings_module

    patched = dataclasses.replace(settings_module.get_settings(), metrics_token="s3cret")
    monkeypatch.setattr("verso.domains.ops.views._health.get_settings", lambda: patched)
    assert (await client.get("/metrics")).status_code == 403
    ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


async def test_toast_trigger_header_is_valid_json() -> None:
    from verso.lib.htmx import toast_header

    assert json.loads(toast_header("Saved")["HX-Trigger"]) == {
        "toast": {"message": "Saved", "level": "success"}
    }
