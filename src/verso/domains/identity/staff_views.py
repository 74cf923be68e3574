"""Staff pages for accounts, roles and sign-in security; the person's own sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import select

from verso.domains.identity import mfa, staff
from verso.domains.identity.deps import actor, require_user
from verso.domains.identity.forms import BLOCK_DURATIONS, BlockForm, RoleForm, StaffForm
from verso.domains.identity.models import IPBlock, LoginAttempt, Role, User
from verso.domains.identity.permissions import AUTHENTICATED, CATALOGUE
from verso.domains.identity.services import IdentityError
from verso.lib import clock
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

ADMIN = {"setup_gate": True}


async def _user(db_session: DbSession, user_id: UUID) -> User:
    user = await db_session.get(User, user_id)
    if user is None:
        raise NotFoundException()
    return user


async def _user_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    user: User,
    form: FormState,
    status_code: int = 200,
) -> Any:
    roles = (await db_session.scalars(select(Role).order_by(Role.name))).all()
    staff_people = (
        await db_session.scalars(
            select(User).where(User.id != user.id, User.is_active.is_(True)).order_by(User.email).limit(500)
        )
    ).all()
    managers = [("", "No manager")] + [
        (str(p.id), p.display_name) for p in staff_people if p.role_names != ["user"]
    ]
    return render(
        request,
        "identity/users/detail.html",
        {
            "person": user,
            "form": form,
            "roles": roles,
            "managers": managers,
            "sessions": await staff.active_sessions(db_session, user.id),
            "mfa_on": await mfa.confirmed_device(db_session, user.id) is not None,
        },
        status_code=status_code,
    )


@get("/admin/users/{user_id:uuid}", permission="identity.users.read", **ADMIN)
async def user_detail(request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]) -> Any:
    user = await _user(db_session, user_id)
    values = {
        "roles": user.role_names,
        "is_active": user.is_active,
        "job_title": user.job_title,
        "department": user.department,
        "location": user.location,
        "manager_id": str(user.manager_id) if user.manager_id else "",
    }
    return await _user_page(request, db_session, user, FormState(values=values))


@post("/admin/users/{user_id:uuid}", permission="identity.users.write", **ADMIN)
async def user_update(request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]) -> Any:
    user = await _user(db_session, user_id)
    data, form = parse_form(await request.form(), StaffForm)
    if data is not None:
        try:
            manager = UUID(data.manager_id) if data.manager_id else None
            await staff.update_staff(
                db_session,
                user,
                staff.StaffChange(
                    roles=frozenset(data.roles),
                    is_active=data.is_active,
                    job_title=data.job_title,
                    department=data.department,
                    location=data.location,
                    manager_id=manager,
                ),
                actor=actor(request),
            )
            await db_session.commit()
            return redirect(request, f"/admin/users/{user.id}", message="Account saved.")
        except (IdentityError, ValueError) as exc:
            await db_session.rollback()
            form.add_error(
                NON_FIELD, str(exc) if isinstance(exc, IdentityError) else "Choose a manager from the list."
            )
        user = await _user(db_session, user_id)
    return await _user_page(request, db_session, user, form, HTTP_422_UNPROCESSABLE_ENTITY)


@post("/admin/users/{user_id:uuid}/sessions/end", permission="identity.users.write", **ADMIN)
async def user_sessions_end(
    request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
) -> Any:
    user = await _user(db_session, user_id)
    ended = await staff.end_sessions(db_session, user.id)
    audit(
        db_session,
        actor(request),
        "user.sessions_ended",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        changes={"sessions": [ended, 0]},
    )
    await db_session.commit()
    return redirect(request, f"/admin/users/{user.id}", message=f"Signed out of {ended} session(s).")


@post("/admin/users/{user_id:uuid}/mfa/reset", permission="identity.users.write", **ADMIN)
async def user_mfa_reset(
    request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
) -> Any:
    user = await _user(db_session, user_id)
    had = await mfa.reset_for(db_session, user, actor(request))
    await staff.end_sessions(db_session, user.id)
    await db_session.commit()
    message = (
        "Two-step verification was reset; they sign in with their password." if had else "It was not on."
    )
    return redirect(request, f"/admin/users/{user_id}", message=message)


@get(
    "/admin/roles",
    permission="identity.roles.write",
    nav=NavEntry("People", "Roles", order=15, icon="shield"),
    **ADMIN,
)
async def roles_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    roles = (await db_session.scalars(select(Role).order_by(Role.name))).all()
    return render(
        request,
        "identity/roles/index.html",
        {
            "roles": roles,
            "counts": await staff.role_member_counts(db_session),
            "catalogue": CATALOGUE,
        },
    )


async def _role(db_session: DbSession, role_id: UUID) -> Role:
    role = await db_session.get(Role, role_id)
    if role is None:
        raise NotFoundException()
    return role


def _role_page(
    request: Request[Any, Any, Any], role: Role | None, form: FormState, status_code: int = 200
) -> Any:
    return render(
        request,
        "identity/roles/edit.html",
        {"role": role, "form": form, "catalogue": CATALOGUE},
        status_code=status_code,
    )


@get("/admin/roles/new", permission="identity.roles.write", **ADMIN)
async def role_new(request: Request[Any, Any, Any]) -> Any:
    return _role_page(request, None, FormState(values={"permissions": []}))


@get("/admin/roles/{role_id:uuid}", permission="identity.roles.write", **ADMIN)
async def role_edit(request: Request[Any, Any, Any], db_session: DbSession, role_id: FromPath[UUID]) -> Any:
    role = await _role(db_session, role_id)
    values = {
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "require_mfa": role.require_mfa,
    }
    return _role_page(request, role, FormState(values=values))


async def _save_role(request: Request[Any, Any, Any], db_session: DbSession, role_id: UUID | None) -> Any:
    role = await _role(db_session, role_id) if role_id else None
    data, form = parse_form(await request.form(), RoleForm)
    if data is not None:
        try:
            saved = await staff.save_role(
                db_session,
                role,
                name=data.name,
                description=data.description,
                permissions=frozenset(data.permissions),
                actor=actor(request),
                require_mfa=data.require_mfa,
            )
            await db_session.commit()
            return redirect(request, "/admin/roles", message=f"Role {saved.name} saved.")
        except IdentityError as exc:
            await db_session.rollback()  # expires loaded rows: read the role again to show the form
            form.add_error(NON_FIELD, str(exc))
            role = await _role(db_session, role_id) if role_id else None
    return _role_page(request, role, form, HTTP_422_UNPROCESSABLE_ENTITY)


@post("/admin/roles", permission="identity.roles.write", **ADMIN)
async def role_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save_role(request, db_session, None)


@post("/admin/roles/{role_id:uuid}", permission="identity.roles.write", **ADMIN)
async def role_update(request: Request[Any, Any, Any], db_session: DbSession, role_id: FromPath[UUID]) -> Any:
    return await _save_role(request, db_session, role_id)


@post("/admin/roles/{role_id:uuid}/delete", permission="identity.roles.write", **ADMIN)
async def role_delete(request: Request[Any, Any, Any], db_session: DbSession, role_id: FromPath[UUID]) -> Any:
    role = await _role(db_session, role_id)
    try:
        await staff.delete_role(db_session, role, actor=actor(request))
    except IdentityError as exc:
        await db_session.rollback()
        return redirect(request, f"/admin/roles/{role_id}", message=str(exc), level="error")
    await db_session.commit()
    return redirect(request, "/admin/roles", message="Role deleted.")


ATTEMPT_COLUMNS = [
    Column("created_at", "When", sortable=True),
    Column("login", "Login", sortable=True),
    Column("ip_address", "IP", sortable=True),
    Column("result", "Result"),
]
RESULT_FILTER = Filter(
    "result",
    "Result",
    [
        ("", "Any result"),
        ("ok", "Signed in"),
        ("bad_password", "Wrong password"),
        ("unknown", "Unknown login"),
        ("locked", "Locked"),
        ("rate_limited", "Rate limited"),
        ("blocked_ip", "Blocked address"),
        ("inactive", "Inactive account"),
    ],
)


async def _security_page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status_code: int = 200
) -> Any:
    query = TableQuery.from_params(
        request.query_params,
        sortable=["created_at", "login", "ip_address"],
        default_sort="created_at",
        default_direction="desc",
        filters=[RESULT_FILTER],
    )
    page = await paginate(
        db_session,
        select(LoginAttempt),
        query,
        base_url="/admin/security",
        filters=[RESULT_FILTER],
        sort_columns={
            "created_at": LoginAttempt.created_at,
            "login": LoginAttempt.login,
            "ip_address": LoginAttempt.ip_address,
        },
        search_columns=[LoginAttempt.login, LoginAttempt.ip_address],
        filter_columns={"result": LoginAttempt.reason},
    )
    now = clock.utcnow()
    blocks = (await db_session.scalars(select(IPBlock).order_by(IPBlock.created_at.desc()))).all()
    active = [b for b in blocks if b.expires_at is None or clock.as_utc(b.expires_at) > now]
    return render(
        request,
        "identity/security/index.html",
        {
            "page": page,
            "columns": ATTEMPT_COLUMNS,
            "blocks": active,
            "form": form,
            "durations": [
                ("1h", "1 hour"),
                ("24h", "24 hours"),
                ("7d", "7 days"),
                ("30d", "30 days"),
                ("never", "Until removed"),
            ],
        },
        block="table",
        status_code=status_code,
    )


@get(
    "/admin/security",
    permission="identity.security.read",
    nav=NavEntry("Compliance", "Sign-in security", order=85, icon="key"),
    **ADMIN,
)
async def security_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _security_page(request, db_session, FormState(values={"duration": "24h"}))


@post("/admin/security/blocks", permission="identity.security.write", **ADMIN)
async def block_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), BlockForm)
    if data is not None:
        hours = BLOCK_DURATIONS[data.duration]
        expires = clock.utcnow() + timedelta(hours=hours) if hours else None
        try:
            block = await staff.block_ip(
                db_session, ip=data.ip, reason=data.reason, expires_at=expires, actor=actor(request)
            )
            await db_session.commit()
            return redirect(request, "/admin/security", message=f"{block.ip_address} is blocked.")
        except IdentityError as exc:
            await db_session.rollback()
            form.add_error("ip", str(exc))
    return await _security_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)


@post("/admin/security/blocks/{block_id:uuid}/delete", permission="identity.security.write", **ADMIN)
async def block_delete(
    request: Request[Any, Any, Any], db_session: DbSession, block_id: FromPath[UUID]
) -> Any:
    block = await db_session.get(IPBlock, block_id)
    if block is None:
        raise NotFoundException()
    await staff.unblock_ip(db_session, block, actor=actor(request))
    await db_session.commit()
    return redirect(request, "/admin/security", message=f"{block.ip_address} is no longer blocked.")


@get("/account/sessions", permission=AUTHENTICATED)
async def my_sessions(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    me = require_user(request)
    return render(
        request,
        "identity/sessions.html",
        {
            "sessions": await staff.active_sessions(db_session, me.id),
            "current": me.session_id,
        },
    )


@post("/account/sessions/others/end", permission=AUTHENTICATED)
async def my_other_sessions_end(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    me = require_user(request)
    ended = await staff.end_sessions(db_session, me.id, keep=me.session_id)
    audit(
        db_session,
        actor(request),
        "user.sessions_ended",
        target_type="user",
        target_id=me.id,
        target_label=me.email,
        changes={"sessions": [ended, 0]},
    )
    await db_session.commit()
    return redirect(request, "/account/sessions", message=f"Signed out of {ended} other session(s).")


@post("/account/sessions/{session_id:uuid}/end", permission=AUTHENTICATED)
async def my_session_end(
    request: Request[Any, Any, Any], db_session: DbSession, session_id: FromPath[UUID]
) -> Any:
    me = require_user(request)
    if not await staff.end_one_session(db_session, me.id, session_id):
        raise NotFoundException()
    await db_session.commit()
    target = "/" if session_id == me.session_id else "/account/sessions"
    return redirect(request, target, message="Session signed out.")


routes = [
    user_detail,
    user_update,
    user_sessions_end,
    roles_index,
    role_new,
    role_edit,
    role_create,
    role_update,
    role_delete,
    user_mfa_reset,
    security_index,
    block_create,
    block_delete,
    my_sessions,
    my_other_sessions_end,
    my_session_end,
]
