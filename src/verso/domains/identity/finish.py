"""How every successful sign-in ends (password, /mfa, passkey, OpenID Connect): one place, so the
session id always rotates and every sign-in is audited the same way."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.cookies import SESSION_COOKIE, session_cookie
from verso.domains.identity.deps import actor, client_ip
from verso.domains.identity.forms import safe_next
from verso.domains.identity.models import User
from verso.domains.identity.permissions import STAFF, grants
from verso.domains.identity.services import SessionService
from verso.lib.audit import audit
from verso.lib.htmx import redirect


async def open_session(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    user: User,
    changes: dict[str, Any] | None = None,
) -> str:
    """End the browser's old session, start a new one, audit ``auth.login`` and commit; the token."""
    sessions = SessionService(session=db_session)
    if old := request.cookies.get(SESSION_COOKIE):
        await sessions.end(old)
    token = await sessions.start(user, ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    audit(
        db_session,
        actor(request, user),
        "auth.login",
        target_type="user",
        target_id=user.id,
        target_label=user.email,
        changes=changes or {},
    )
    await db_session.commit()
    return token


def signed_in(
    request: Request[Any, Any, Any],
    user: User,
    token: str,
    next_url: str,
    *,
    message: str | None = None,
    level: str = "success",
) -> Response[Any]:
    """Send the person on (the page they asked for, else their home) with the session cookie."""
    landing = "/admin" if grants(user.permissions, STAFF) else "/account"
    response = redirect(request, safe_next(next_url, landing), message=message, level=level)
    response.set_cookie(session_cookie(token))
    return response
