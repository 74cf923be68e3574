"""The JSON API (/api/v1) and its interactive reference (/api/docs)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from advanced_alchemy.filters import LimitOffset, OrderBy
from litestar import Request, get
from litestar.params import Parameter

from verso.domains.api.guards import api_principal, require_key, require_scope
from verso.domains.api.schemas import (
    BAD_REQUEST,
    FORBIDDEN,
    SECURITY,
    UNAUTHORIZED,
    ApiKeyInfo,
    ApiUser,
    Me,
    UserPage,
)
from verso.domains.identity.models import User
from verso.domains.identity.permissions import PUBLIC
from verso.domains.identity.services import UserService
from verso.lib.db import DbSession
from verso.lib.htmx import render

# include_in_schema=True: listed in /api/openapi.json even if HTML routes are left out by default
API = {"permission": PUBLIC, "security": SECURITY, "tags": ["API"], "include_in_schema": True}
MAX_PAGE = 1_000_000


def _user(user: User) -> ApiUser:
    return ApiUser(
        id=user.id,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        roles=user.role_names,
        is_active=user.is_active,
        created_at=user.created_at,
    )


@get(
    "/api/v1/me",
    guards=[require_key()],
    summary="The key in use and its owner",
    description="Any valid key. Returns the person the key acts for and the key's scopes.",
    responses={401: UNAUTHORIZED},
    **API,
)
async def me(request: Request[Any, Any, Any], db_session: DbSession) -> Me:
    principal = api_principal(request)
    owner = await UserService(session=db_session).get(principal.user_id)
    key = ApiKeyInfo(
        id=principal.key_id,
        name=principal.key_name,
        prefix=principal.prefix,
        scopes=list(principal.scopes),
        expires_at=principal.expires_at,
    )
    return Me(user=_user(owner), key=key, scopes=list(principal.scopes))


@get(
    "/api/v1/users",
    guards=[require_scope("read:users")],
    summary="List user accounts",
    description="Scope `read:users`; the key's owner must hold `identity.users.read`. Oldest first.",
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN},
    **API,
)
async def list_users(
    db_session: DbSession,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Parameter(ge=1, le=100, description="Items per page, 1 to 100.")] = 20,
) -> UserPage:
    users, total = await UserService(session=db_session).get_many_and_count(
        LimitOffset(limit=per_page, offset=(page - 1) * per_page),
        OrderBy(field_name="id", sort_order="asc"),  # UUIDv7: creation order, and unique
        count_with_window_function=False,  # a window count says 0 for a page past the end
    )
    return UserPage(
        items=[_user(user) for user in users],
        page=page,
        per_page=per_page,
        total=total,
        pages=max(1, math.ceil(total / per_page)),
    )


@get("/api/docs", permission=PUBLIC, include_in_schema=False)
async def api_docs(request: Request[Any, Any, Any]) -> Any:
    """Swagger UI, served from our static files under the strict CSP (no CDN, no inline script)."""
    return render(request, "api/docs.html", {"spec_url": "/api/openapi.json"})


routes = [me, list_users, api_docs]
