"""Bearer-key authentication for /api/v1: a guard per handler, with the scope it needs.

API handlers declare ``permission=PUBLIC`` (the global guard lets them through: no session is
involved) and ``guards=[require_scope("read:users")]`` (or ``require_key()``), which does the rest:
401 without a valid key, 403 when the key lacks the scope.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from verso.domains.api.scopes import SCOPES
from verso.domains.api.services import ApiAuthError, ApiKeyService, ApiPrincipal, looks_like_key
from verso.lib.audit import Actor
from verso.lib.db import session_factory

REALM = 'Bearer realm="Verso API"'
STATE_KEY = "api_principal"


def _unauthorized(detail: str, error: str | None = None) -> NotAuthorizedException:
    challenge = f'{REALM}, error="{error}"' if error else REALM
    return NotAuthorizedException(detail=detail, headers={"WWW-Authenticate": challenge})


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    header = connection.headers.get("authorization")
    if not header or not header.strip():
        raise _unauthorized("Send an API key in the Authorization header: Bearer <key>.")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not looks_like_key(token):
        raise _unauthorized(
            "The Authorization header must be 'Bearer <key>' with a Verso API key.", "invalid_request"
        )
    return token


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiPrincipal:
    token = bearer_token(connection)
    ip = connection.client.host if connection.client else None
    async with session_factory()() as db:
        try:
            principal = await ApiKeyService(session=db).authenticate(token, ip=ip)
        except ApiAuthError as exc:
            raise _unauthorized(str(exc), "invalid_token") from exc
    connection.scope.setdefault("state", {})[STATE_KEY] = principal
    return principal


def require_scope(scope: str | None) -> Guard:
    """A guard: a valid key, carrying ``scope`` (``None``: any valid key), whose owner still holds
    the permission behind the scope."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown API scope {scope!r}")

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        principal = await authenticate(connection)
        if scope is None:
            return
        if scope not in principal.scopes:
            raise PermissionDeniedException(
                detail=f"This key lacks the scope {scope}.",
                headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            )
        if not principal.may(scope):
            raise PermissionDeniedException(
                detail=f"The key's owner no longer holds the permission the scope {scope} needs."
            )

    return guard


def require_key() -> Guard:
    return require_scope(None)


def api_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> ApiPrincipal:
    principal = connection.scope.get("state", {}).get(STATE_KEY)
    if not isinstance(principal, ApiPrincipal):  # the handler forgot its guard
        raise RuntimeError("api_principal used on a route without require_scope()")
    return principal


def api_actor(request: Request[Any, Any, Any]) -> Actor:
    """Who a JSON API change is audited as: the key's owner, named with the key's prefix."""
    principal = api_principal(request)
    return Actor(
        id=str(principal.user_id),
        label=f"{principal.email} (API key {principal.prefix})",
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
