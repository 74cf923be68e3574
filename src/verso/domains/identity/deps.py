"""Request-level helpers for identity: who is acting, from where."""

from __future__ import annotations

from typing import Any

from litestar import Request

from verso.domains.identity.models import User
from verso.domains.identity.services import CurrentUser
from verso.lib.audit import Actor


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def actor(request: Request[Any, Any, Any], user: User | None = None) -> Actor:
    """The audit actor for this request: ``user`` if given, else the signed-in person or anonymous."""
    ip, agent = client_ip(request), request.headers.get("user-agent")
    if user is not None:
        return Actor(id=str(user.id), label=user.email, ip=ip, user_agent=agent)
    current: CurrentUser | None = request.scope.get("user")
    if current is None:
        return Actor(label="anonymous", ip=ip, user_agent=agent)
    return current.actor(ip=ip, user_agent=agent)


def require_user(request: Request[Any, Any, Any]) -> CurrentUser:
    user: CurrentUser | None = request.scope.get("user")
    if user is None:  # the guard has already refused anonymous requests to such routes
        raise RuntimeError("require_user used on a public route")
    return user
