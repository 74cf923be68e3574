"""Inviting staff (``/admin/users/invite``) and accepting an invitation (``/invite/{token}``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import select

from verso.domains.identity import invitations
from verso.domains.identity.cookies import session_cookie
from verso.domains.identity.deps import actor, client_ip
from verso.domains.identity.forms import AcceptInviteForm, InviteForm
from verso.domains.identity.models import Role
from verso.domains.identity.permissions import PUBLIC
from verso.domains.identity.services import IdentityError, SessionService
from verso.domains.ops.services import business_cache
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, parse_form
from verso.lib.htmx import redirect, render

WRITE = "identity.users.write"


async def _invite_page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status_code: int = 200
) -> Any:
    roles = (await db_session.scalars(select(Role).where(Role.name != "user").order_by(Role.name))).all()
    return render(
        request, "identity/users/invite.html", {"form": form, "roles": roles}, status_code=status_code
    )


@get("/admin/users/invite", permission=WRITE, setup_gate=True)
async def invite_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _invite_page(request, db_session, FormState(values={"roles": ["employee"]}))


@post("/admin/users/invite", permission=WRITE, setup_gate=True)
async def invite_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), InviteForm)
    if data is not None:
        try:
            await invitations.invite(
                db_session,
                email=data.email,
                first_name=data.first_name,
                last_name=data.last_name,
                roles=data.roles,
                actor=actor(request),
                business_name=business_cache.current().name,
            )
            await db_session.commit()
            return redirect(request, "/admin/users", message=f"Invitation sent to {data.email}.")
        except IdentityError as exc:
            await db_session.rollback()
            form.add_error(NON_FIELD, str(exc))
    return await _invite_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)


def _gone(request: Request[Any, Any, Any]) -> Any:
    return render(
        request, "identity/invite_accept.html", {"invitation": None, "form": FormState()}, status_code=410
    )


@get("/invite/{token:str}", permission=PUBLIC)
async def accept_page(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    invitation = await invitations.open_invitation(db_session, token)
    if invitation is None:
        return _gone(request)
    return render(
        request,
        "identity/invite_accept.html",
        {"invitation": invitation, "form": FormState(), "token": token},
    )


@post("/invite/{token:str}", permission=PUBLIC)
async def accept_submit(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    invitation = await invitations.open_invitation(db_session, token)
    if invitation is None:
        return _gone(request)
    data, form = parse_form(await request.form(), AcceptInviteForm)
    if data is not None:
        try:
            user = await invitations.accept(db_session, invitation, data.password, ip=client_ip(request))
            session_token = await SessionService(session=db_session).start(
                user, ip=client_ip(request), user_agent=request.headers.get("user-agent")
            )
            await db_session.commit()
            response = redirect(request, "/admin", message=f"Welcome, {user.display_name}.")
            response.set_cookie(session_cookie(session_token))
            return response
        except IdentityError as exc:
            await db_session.rollback()
            form.add_error("password", str(exc))
            invitation = await invitations.open_invitation(db_session, token)
    return render(
        request,
        "identity/invite_accept.html",
        {"invitation": invitation, "form": form, "token": token},
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


routes = [invite_page, invite_submit, accept_page, accept_submit]
