"""Who is asking and what they may do: session cookies, the permission guard, CSRF.

Every route handler declares ``permission=`` (see ``domains.identity.permissions``); the app refuses
to start if one does not, and the guard below enforces it on every request. A route may also name a
customer action with ``verified_action=`` (declared by its module, see ``lib.modules``): when the
business reserves that action for verified accounts, a signed-in person whose email address is not
verified yet is refused with :class:`VerificationRequired`.
"""

from __future__ import annotations

from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from verso.domains.identity.cookies import SESSION_COOKIE
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.domains.identity.services import CurrentUser
from verso.domains.identity.session_cache import signed_in
from verso.lib.cookies import cookie_value
from verso.lib.db import session_factory
from verso.lib.modules import action_label, is_enabled
from verso.settings import Settings

CSRF_COOKIE = "verso_csrf"
CSRF_HEADER = "x-csrftoken"


class MFAEnrolmentRequired(Exception):
    """Raised for someone whose role requires two-step verification they have not set up yet."""


class SetupRequired(Exception):
    """Raised for staff pages and sign-in until the first admin exists; answered by a redirect."""


class VerificationRequired(PermissionDeniedException):
    """A 403 for an action the business reserves for verified accounts, asked by someone whose email
    address is not verified yet; the error page offers to resend the verification email."""

    def __init__(self, action: str) -> None:
        label = (action_label(action) or "do this").lower()
        super().__init__(f"Verify your email address to {label}.")
        self.action = action


def needs_verification(user: CurrentUser | None, action: str | None) -> bool:
    """Whether ``user`` must verify their email address before ``action``: signed in, not verified,
    and the business reserves the action. Templates ask the same (``must_verify``) so a page shows
    "verify your email" instead of a form the server would refuse."""
    if not action or user is None or getattr(user, "email_verified", True):
        return False
    from verso.domains.ops.services import business_cache

    return action in business_cache.current().verified_actions


class AuthMiddleware(ASGIMiddleware):
    """Resolve the session cookie to a :class:`CurrentUser` (or ``None``) in ``scope["user"]``."""

    @staticmethod
    def should_bypass_for_scope(scope: Scope) -> bool:
        return scope["path"].startswith("/static/")  # static files never need the person

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        token = cookie_value(scope, SESSION_COOKIE)
        if token:
            scope["user"] = await signed_in(token)
        await next_app(scope, receive, send)


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser | None:
    return connection.scope.get("user")


def route_permission(handler: BaseRouteHandler) -> str | None:
    """The permission a handler declares; Litestar's own handlers (OPTIONS, OpenAPI) are public."""
    permission = handler.opt.get("permission")
    if permission is None and getattr(handler.fn, "__module__", "").startswith("litestar."):
        return PUBLIC
    return permission


async def permission_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Enforce the handler's declared permission; staff pages wait for the first-run setup; the
    routes of a module turned off in the settings answer 404."""
    module = handler.opt.get("module")
    if module is not None:
        from verso.domains.ops.services import business_cache

        # Guards run before the before_request hook: refresh here so the first request after a
        # start (an empty cache) sees the real modules, not none.
        business = await business_cache.refresh_if_stale()
        if not is_enabled(module, business.enabled_modules):
            raise NotFoundException()
    if handler.opt.get("setup_gate"):
        from verso.domains.ops.services import setup_state

        if not setup_state.done:
            async with session_factory()() as db:
                if not await setup_state.is_done(db):
                    raise SetupRequired
    needed = route_permission(handler)
    if needed == PUBLIC:
        return await _require_verified(connection, handler)
    if needed is None:
        raise PermissionDeniedException("This page declares no permission.")
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("Sign in to continue.")
    if user.must_enrol_mfa and not handler.opt.get("mfa_enrolment") and connection.url.path != "/logout":
        raise MFAEnrolmentRequired
    if needed != AUTHENTICATED and not user.has_permission(needed):
        raise PermissionDeniedException("You do not have access to this page.")
    await _require_verified(connection, handler)


async def _require_verified(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse the handler's ``verified_action`` to an unverified person when the business reserves it."""
    action = handler.opt.get("verified_action")
    user = current_user(connection)
    if action is None or user is None or user.email_verified:
        return
    from verso.domains.ops.services import business_cache

    await business_cache.refresh_if_stale()  # guards run before the hook that refreshes it
    if needs_verification(user, action):
        raise VerificationRequired(action)


def csrf_config(settings: Settings) -> CSRFConfig:
    """Double-submit CSRF for every state-changing HTML request; the JSON API uses bearer keys."""
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.https,
        cookie_samesite="lax",
        cookie_httponly=True,  # htmx gets the token from the page, never from the cookie
        header_name=CSRF_HEADER,
        exclude=["/api/", "/webhooks/"],
    )


def content_security_policy() -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-src 'self'",
            "frame-ancestors 'self'",
            "form-action 'self'",
            "base-uri 'self'",
            "object-src 'none'",
        )
    )


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"geolocation=(), microphone=(), camera=(), payment=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.https:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers
