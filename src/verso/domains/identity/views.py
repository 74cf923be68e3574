"""Sign-in, sign-out, the customer portal overview and the staff list of accounts."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.cookies import SESSION_COOKIE, expired_session_cookie
from verso.domains.identity.deps import actor, client_ip, require_user
from verso.domains.identity.finish import open_session, signed_in
from verso.domains.identity.forms import LoginForm, safe_next
from verso.domains.identity.mfa_views import begin_mfa_if_needed
from verso.domains.identity.models import Role, User, user_role
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.domains.identity.services import SessionService, UserService
from verso.domains.identity.signin import BAD_LOGIN, sign_in
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry


@get("/login", permission=PUBLIC, setup_gate=True, name="login")
async def login_page(
    request: Request[Any, Any, Any], db_session: DbSession, next: FromQuery[str] = ""
) -> Any:
    if request.scope.get("user") is not None:
        return redirect(request, safe_next(next, "/account"))
    return await _login_form(request, db_session, FormState(values={"next": next}))


async def _login_form(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status_code: int = 200
) -> Any:
    from verso.domains.identity.oidc.services import login_buttons  # oidc's views import this module

    providers = await login_buttons(db_session)
    return render(
        request, "identity/login.html", {"form": form, "oidc_providers": providers}, status_code=status_code
    )


@post("/login", permission=PUBLIC, setup_gate=True)
async def login_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), LoginForm)
    if data is None:
        return render(
            request, "identity/login.html", {"form": form}, status_code=HTTP_422_UNPROCESSABLE_ENTITY
        )
    outcome = await sign_in(
        db_session,
        login=data.login,
        password=data.password,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if outcome.user is None:
        form.add_error(NON_FIELD, outcome.error or BAD_LOGIN)
        return await _login_form(request, db_session, form, outcome.status_code)
    user = outcome.user
    if second_step := await begin_mfa_if_needed(request, db_session, user, data.next):
        return second_step
    token = await open_session(request, db_session, user)
    return signed_in(request, user, token, data.next)


@post("/logout", permission=PUBLIC)
async def logout(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    if token := request.cookies.get(SESSION_COOKIE):
        await SessionService(session=db_session).end(token)
        if request.scope.get("user") is not None:
            audit(
                db_session,
                actor(request),
                "auth.logout",
                target_type="user",
                target_id=require_user(request).id,
            )
        await db_session.commit()
    response = redirect(request, "/")
    response.set_cookie(expired_session_cookie())
    return response


@get("/account", permission=AUTHENTICATED)
async def account_overview(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    user = await UserService(session=db_session).get(require_user(request).id)
    return render(request, "identity/account.html", {"user": user})


USER_COLUMNS = [
    Column("email", "Email", sortable=True),
    Column("name", "Name", sortable=True),
    Column("roles", "Roles"),
    Column("status", "Status"),
    Column("last_login_at", "Last sign-in", sortable=True),
    Column("created_at", "Created", sortable=True),
]


def _has_role(name: str) -> Any:
    return User.id.in_(select(user_role.c.user_id).join(Role).where(Role.name == name))


async def _user_filters(session: AsyncSession) -> list[Filter]:
    roles = (await session.scalars(select(Role.name).order_by(Role.name))).all()
    return [
        Filter("role", "Role", [("", "All roles"), *[(r, r.title()) for r in roles]]),
        Filter("status", "Status", [("", "Any status"), ("active", "Active"), ("inactive", "Inactive")]),
    ]


@get(
    "/admin/users",
    permission="identity.users.read",
    setup_gate=True,
    nav=NavEntry("People", "Users", order=10, icon="users"),
)
async def users_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    filters = await _user_filters(db_session)
    query = TableQuery.from_params(
        request.query_params,
        sortable=["email", "name", "last_login_at", "created_at"],
        default_sort="created_at",
        default_direction="desc",
        filters=filters,
    )
    page = await paginate(
        db_session,
        select(User),
        query,
        base_url=request.url.path,
        filters=filters,
        sort_columns={
            "email": User.email,
            "name": User.last_name,
            "last_login_at": User.last_login_at,
            "created_at": User.created_at,
        },
        search_columns=[User.email, User.first_name, User.last_name, User.username],
        filter_columns={"status": lambda value: User.is_active.is_(value == "active"), "role": _has_role},
    )
    return render(
        request, "identity/users/index.html", {"page": page, "columns": USER_COLUMNS}, block="table"
    )


routes = [login_page, login_submit, logout, account_overview, users_index]
