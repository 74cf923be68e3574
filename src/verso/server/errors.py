"""Errors answered for who is asking: a page in the layout, a toast for htmx, problem+json for the API.

No stack trace ever reaches a person: 5xx details are logged with the request id, which the
response shows so support can find the log line.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_500_INTERNAL_SERVER_ERROR

from verso.lib.htmx import VARY, Page, is_htmx, render
from verso.server.observability import request_id_var
from verso.server.security import MFAEnrolmentRequired, SetupRequired, VerificationRequired

log = logging.getLogger("verso.errors")
PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Access denied",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Service unavailable",
}


def _field_errors(exc: Exception) -> list[dict[str, Any]]:
    extra = getattr(exc, "extra", None)
    if not isinstance(extra, list):
        return []
    errors = []
    for item in extra:
        if isinstance(item, dict):
            error = {"field": item.get("key") or item.get("field"), "message": item.get("message", "")}
            if "code" in item:  # a stable refusal code (e.g. scheduling's "taken") integrators branch on
                error["code"] = item["code"]
            errors.append(error)
    return errors


def _classify(exc: Exception) -> tuple[int, str]:
    """(status, detail). The detail is the exception's own words when it has some; a bare HTTP
    phrase ("Not Found") counts as none, and then the page's per-status hint says it better."""
    if not isinstance(exc, HTTPException):
        return HTTP_500_INTERNAL_SERVER_ERROR, ""
    status = exc.status_code
    detail = exc.detail or ""
    if isinstance(exc, ValidationException):
        detail = "Some of the input is not valid."
    elif status >= 500 or detail in (HTTPStatus(status).phrase, TITLES.get(status)):
        detail = ""
    return status, detail


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if rid := request_id_var.get():
        body["request_id"] = rid
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _layout_for(request: Request) -> str:
    user = request.scope.get("user")
    if request.url.path.startswith("/admin") and user is not None and user.is_staff:
        return "layouts/admin.html"
    return "layouts/public.html"


def _toast_fragment(request: Request, status: int, detail: str) -> Response[Any]:
    """An htmx error: keep the page as it is and show a toast (out-of-band swap)."""
    return render(
        request,
        "errors/toast.html",
        {"message": detail or TITLES.get(status, "Something went wrong"), "level": "error"},
        block="toast",
        status_code=status,
        headers={"HX-Reswap": "none"},
    )


def handle_exception(request: Request, exc: Exception) -> Response[Any]:
    """The single exception handler registered for every exception type."""
    if isinstance(exc, SetupRequired):
        return _redirect(request, "/setup")
    if isinstance(exc, MFAEnrolmentRequired):
        return _redirect(request, "/account/security")
    status, detail = _classify(exc)
    if status >= 500:
        log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    path = request.url.path
    if path.startswith("/api/"):
        headers = getattr(exc, "headers", None) or None
        return problem(status, detail, errors=_field_errors(exc), headers=headers)
    if isinstance(exc, NotAuthorizedException):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _redirect(request, f"/login?next={quote(target, safe='/')}")
    if is_htmx(request):
        return _toast_fragment(request, status, detail)
    if isinstance(exc, VerificationRequired):
        return _verification_page(request, detail)
    context = {
        "status_code": status,
        "title": TITLES.get(status, "Error"),
        "detail": detail,
        "layout": _layout_for(request),
        "request_id": request_id_var.get(),
    }
    return Page(template_name="errors/error.html", context=context, status_code=status, headers=VARY)


def _verification_page(request: Request, detail: str) -> Response[Any]:
    """403 for an action reserved for verified accounts: say so and offer the email again. The resend
    button returns to the page the person was on (a refused form post returns to its page)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc and referer.path.startswith("/")
        back = (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else ""
        back = back or "/account/email"
    # verify_pending=False: the page itself offers the email, so the layout's banner stays away
    context = {"detail": detail, "back": back, "title": TITLES[403], "verify_pending": False}
    return Page(template_name="identity/verify_required.html", context=context, status_code=403, headers=VARY)


def _redirect(request: Request, url: str) -> Response[Any]:
    if is_htmx(request):
        return Response(content=None, status_code=200, headers={"HX-Redirect": url})
    return Redirect(path=url, status_code=HTTP_303_SEE_OTHER)
