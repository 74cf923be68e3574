"""The session cookie: HttpOnly, SameSite=Lax, Secure whenever Verso is served over https."""

from __future__ import annotations

from litestar.datastructures import Cookie

from verso.settings import get_settings

SESSION_COOKIE = "verso_session"


def session_cookie(token: str) -> Cookie:
    settings = get_settings()
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/",
        httponly=True,
        secure=settings.https,
        samesite="lax",
        max_age=settings.session_max_hours * 3600,
    )


def expired_session_cookie() -> Cookie:
    settings = get_settings()
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        path="/",
        httponly=True,
        secure=settings.https,
        samesite="lax",
        max_age=0,
    )
