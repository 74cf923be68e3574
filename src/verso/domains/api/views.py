"""API key pages: the person's own keys under /account, every key for staff under /admin."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import String, cast

from verso.domains.api.forms import KeyForm
from verso.domains.api.models import ApiKey
from verso.domains.api.scopes import MANAGE_KEYS, SCOPES, grantable
from verso.domains.api.services import (
    ApiKeyError,
    ApiKeyNotFound,
    ApiKeyService,
    owner_email,
    status_clause,
)
from verso.domains.identity.deps import actor, require_user
from verso.domains.identity.permissions import AUTHENTICATED, STAFF
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

ACCOUNT_URL = "/account/api-keys"
ADMIN_URL = "/admin/api-keys"
NO_STORE = {"Cache-Control": "no-store"}  # the page that shows a secret is never cached
# api.keys.manage is not in the permission catalogue yet: staff see their own keys here and
# holders of MANAGE_KEYS (admins, for now) see and revoke every key (the service decides).
ADMIN_PERMISSION = STAFF
PAGE = {"include_in_schema": False}  # HTML pages stay out of the API's OpenAPI document


async def _account_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    *,
    form: FormState | None = None,
    created: ApiKey | None = None,
    secret: str | None = None,
    status_code: int = 200,
) -> Any:
    user = require_user(request)
    context = {
        "keys": await ApiKeyService(session=db_session).keys_of(user.id),
        "form": form or FormState(),
        "scopes": grantable(user.permissions),
        "all_scopes": SCOPES,
        "created": created,
        "secret": secret,
    }
    headers = NO_STORE if secret else None
    return render(
        request, "api/keys/account.html", context, block="keys", status_code=status_code, headers=headers
    )


@get(ACCOUNT_URL, permission=AUTHENTICATED, **PAGE)
async def account_keys(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _account_page(request, db_session)


@post(ACCOUNT_URL, permission=AUTHENTICATED, **PAGE)
async def account_key_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), KeyForm)
    if data is not None:
        try:
            key, secret = await ApiKeyService(session=db_session).create_key(
                require_user(request),
                name=data.name,
                scopes=data.scopes,
                expires_at=data.expires_at(),
                actor=actor(request),
            )
        except ApiKeyError as exc:
            await db_session.rollback()
            form.add_error(exc.field, str(exc))
        else:
            await db_session.commit()
            return await _account_page(request, db_session, created=key, secret=secret, status_code=201)
    return await _account_page(request, db_session, form=form, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


async def _revoke(
    request: Request[Any, Any, Any], db_session: DbSession, key_id: UUID, *, own_only: bool
) -> ApiKey:
    try:
        key = await ApiKeyService(session=db_session).revoke(
            key_id, require_user(request), actor=actor(request), own_only=own_only
        )
    except ApiKeyNotFound as exc:
        raise NotFoundException() from exc
    await db_session.commit()
    return key


@post(f"{ACCOUNT_URL}/{{key_id:uuid}}/revoke", permission=AUTHENTICATED, **PAGE)
async def account_key_revoke(
    request: Request[Any, Any, Any], db_session: DbSession, key_id: FromPath[UUID]
) -> Any:
    key = await _revoke(request, db_session, key_id, own_only=True)
    return redirect(request, ACCOUNT_URL, message=f"The key “{key.name}” is revoked.")


COLUMNS = [
    Column("name", "Name", sortable=True),
    Column("prefix", "Key"),
    Column("owner", "Owner", sortable=True),
    Column("scopes", "Scopes"),
    Column("status", "Status"),
    Column("last_used_at", "Last used", sortable=True),
    Column("expires_at", "Expires", sortable=True),
    Column("created_at", "Created", sortable=True),
    Column("actions", "Actions"),
]
STATUS_FILTER = Filter(
    "status",
    "Status",
    [("", "Any status"), ("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")],
)
SCOPE_FILTER = Filter("scope", "Scope", [("", "Any scope"), *[(name, name) for name in SCOPES]])


def _has_scope(scope: str) -> Any:
    # JSON arrays compare differently on each engine; the scope names are plain tokens, so a
    # match on the quoted name inside the stored list is exact on SQLite and PostgreSQL alike.
    return cast(ApiKey.scopes, String).like(f'%"{scope}"%')


@get(
    ADMIN_URL,
    permission=ADMIN_PERMISSION,
    setup_gate=True,
    include_in_schema=False,
    nav=NavEntry("People", "API keys", order=20, icon="key"),
)
async def admin_keys(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    filters = [STATUS_FILTER, SCOPE_FILTER]
    query = TableQuery.from_params(
        request.query_params,
        sortable=["name", "owner", "last_used_at", "expires_at", "created_at"],
        default_sort="created_at",
        default_direction="desc",
        filters=filters,
    )
    viewer = require_user(request)
    page = await paginate(
        db_session,
        ApiKeyService(session=db_session).listing(viewer),
        query,
        base_url=request.url.path,
        filters=filters,
        sort_columns={
            "name": ApiKey.name,
            "owner": owner_email(),
            "last_used_at": ApiKey.last_used_at,
            "expires_at": ApiKey.expires_at,
            "created_at": ApiKey.created_at,
        },
        search_columns=[ApiKey.name, ApiKey.prefix, owner_email()],
        filter_columns={"status": status_clause, "scope": _has_scope},
    )
    context = {"page": page, "columns": COLUMNS, "sees_all": viewer.has_permission(MANAGE_KEYS)}
    return render(request, "api/keys/admin.html", context, block="table")


@post(f"{ADMIN_URL}/{{key_id:uuid}}/revoke", permission=ADMIN_PERMISSION, setup_gate=True, **PAGE)
async def admin_key_revoke(
    request: Request[Any, Any, Any], db_session: DbSession, key_id: FromPath[UUID]
) -> Any:
    key = await _revoke(request, db_session, key_id, own_only=False)
    return redirect(request, ADMIN_URL, message=f"The key “{key.name}” is revoked.")


routes = [account_keys, account_key_create, account_key_revoke, admin_keys, admin_key_revoke]
