"""Passkey routes: manage them at ``/account/security/passkeys``, sign in with one at ``/login``
(no password, no /mfa step), or use one as the second factor at ``/mfa``.

The ceremony endpoints speak JSON to ``static/js/passkeys.js``: ``.../options`` answers the WebAuthn
options and sets the challenge handle cookie; ``.../verify`` takes ``{"credential": ..., ...}`` and
answers ``{"redirect": url}`` (200) or ``{"error": message}`` (400), with ``"redirect"`` too when the
person must start again.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from msgspec import Meta

from verso.domains.identity import mfa
from verso.domains.identity.cookies import session_cookie
from verso.domains.identity.deps import actor, client_ip, require_user
from verso.domains.identity.finish import open_session
from verso.domains.identity.forms import safe_next
from verso.domains.identity.mfa_views import challenge_cookie
from verso.domains.identity.models import User
from verso.domains.identity.passkeys.services import (
    CHALLENGE_TTL,
    PasskeyError,
    PasskeyService,
    RelyingParty,
    parse_json,
)
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC, STAFF, grants
from verso.domains.identity.protection import LoginProtection
from verso.domains.ops.services import business_cache
from verso.lib import clock
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.settings import get_settings

CEREMONY_COOKIE = "verso_webauthn"
MANAGE_URL = "/account/security/passkeys"


class NameForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100, extra={"error": "Give the passkey a name."})]


def _rp() -> RelyingParty:
    return RelyingParty.from_settings(business_cache.current().name)


def ceremony_cookie(handle: str, max_age: int) -> Cookie:
    return Cookie(
        key=CEREMONY_COOKIE,
        value=handle,
        path="/",
        httponly=True,
        samesite="strict",
        secure=get_settings().https,
        max_age=max_age,
    )


def _json(content: Any, status_code: int = 200, *, cookies: list[Cookie] | None = None) -> Response[Any]:
    body = content if isinstance(content, bytes) else msgspec.json.encode(content)
    return Response(
        content=body,
        media_type=MediaType.JSON,
        status_code=status_code,
        cookies=cookies or [],
        headers={"Cache-Control": "no-store"},
    )


def _options(options_json: str, handle: str) -> Response[Any]:
    return _json(options_json.encode(), cookies=[ceremony_cookie(handle, int(CHALLENGE_TTL.total_seconds()))])


def _refusal(message: str, *, redirect_to: str | None = None, status_code: int = 400) -> Response[Any]:
    content = {"error": message, **({"redirect": redirect_to} if redirect_to else {})}
    return _json(content, status_code, cookies=[ceremony_cookie("", 0)])


async def start_passkey_session(
    request: Request[Any, Any, Any], db_session: DbSession, user: User, *, second_factor: bool = False
) -> str:
    """Sign ``user`` in after a verified passkey: a fresh session (the old one ends), the attempt and
    ``auth.login`` recorded, committed. Returns the session cookie token."""
    user.last_login_at = clock.utcnow()
    await LoginProtection(db_session).record(
        login=user.email,
        user_id=user.id,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        success=True,
        reason="ok",
    )
    changes = {"second_factor": [None, "passkey"]} if second_factor else {"method": [None, "passkey"]}
    return await open_session(request, db_session, user, changes)


def _landing(user: User, next_url: str) -> str:
    return safe_next(next_url, "/admin" if grants(user.permissions, STAFF) else "/account")


# ---- the account page -----------------------------------------------------------------------------
async def _manage_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    *,
    form: FormState | None = None,
    editing: UUID | None = None,
    status_code: int = 200,
) -> Any:
    passkeys = await PasskeyService(session=db_session).for_user(require_user(request).id)
    return render(
        request,
        "identity/passkeys/manage.html",
        {"passkeys": passkeys, "form": form or FormState(), "editing": editing},
        status_code=status_code,
    )


@get(MANAGE_URL, permission=AUTHENTICATED, mfa_enrolment=True)
async def passkeys_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _manage_page(request, db_session)


@post(f"{MANAGE_URL}/options", permission=AUTHENTICATED, mfa_enrolment=True)
async def register_options(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    user = await db_session.get(User, require_user(request).id)
    try:
        options_json, handle = await PasskeyService(session=db_session).begin_registration(user, _rp())
    except PasskeyError as exc:
        return _refusal(str(exc))
    await db_session.commit()
    return _options(options_json, handle)


@post(f"{MANAGE_URL}/verify", permission=AUTHENTICATED, mfa_enrolment=True)
async def register_verify(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    user = await db_session.get(User, require_user(request).id)
    body = parse_json(await request.body())
    credential = body.get("credential")
    try:
        if not isinstance(credential, dict):
            raise PasskeyError("Your device sent no passkey. Try again.")
        passkey = await PasskeyService(session=db_session).finish_registration(
            user,
            _rp(),
            request.cookies.get(CEREMONY_COOKIE),
            credential,
            str(body.get("name") or ""),
            actor(request),
        )
    except PasskeyError as exc:
        await db_session.commit()  # the challenge is spent either way
        return _refusal(str(exc))
    await db_session.commit()
    response = redirect(request, MANAGE_URL, message=f"Passkey “{passkey.name}” added.")
    return _json({"redirect": MANAGE_URL}, cookies=[ceremony_cookie("", 0), *response.cookies])


async def _owned(db_session: DbSession, request: Request[Any, Any, Any], passkey_id: UUID) -> Any:
    passkey = await PasskeyService(session=db_session).owned(require_user(request).id, passkey_id)
    if passkey is None:
        raise NotFoundException("No such passkey.")
    return passkey


@get(f"{MANAGE_URL}/{{passkey_id:uuid}}/rename", permission=AUTHENTICATED, mfa_enrolment=True)
async def rename_page(
    request: Request[Any, Any, Any], db_session: DbSession, passkey_id: FromPath[UUID]
) -> Any:
    passkey = await _owned(db_session, request, passkey_id)
    return await _manage_page(
        request, db_session, form=FormState(values={"name": passkey.name}), editing=passkey.id
    )


@post(f"{MANAGE_URL}/{{passkey_id:uuid}}/rename", permission=AUTHENTICATED, mfa_enrolment=True)
async def rename(request: Request[Any, Any, Any], db_session: DbSession, passkey_id: FromPath[UUID]) -> Any:
    passkey = await _owned(db_session, request, passkey_id)
    data, form = parse_form(await request.form(), NameForm)
    if data is None or not data.name.strip():
        if not form.errors:
            form.add_error("name", "Give the passkey a name.")
        return await _manage_page(request, db_session, form=form, editing=passkey.id, status_code=422)
    await PasskeyService(session=db_session).rename(passkey, data.name, actor(request))
    await db_session.commit()
    return redirect(request, MANAGE_URL, message="Passkey renamed.")


@post(f"{MANAGE_URL}/{{passkey_id:uuid}}/delete", permission=AUTHENTICATED, mfa_enrolment=True)
async def remove(request: Request[Any, Any, Any], db_session: DbSession, passkey_id: FromPath[UUID]) -> Any:
    passkey = await _owned(db_session, request, passkey_id)
    name = passkey.name
    await PasskeyService(session=db_session).remove(passkey, actor(request))
    await db_session.commit()
    return redirect(request, MANAGE_URL, message=f"Passkey “{name}” removed.")


# ---- sign in without a password -------------------------------------------------------------------
@post("/login/passkey/options", permission=PUBLIC, setup_gate=True)
async def login_options(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    ip = client_ip(request)
    if ip and await LoginProtection(db_session).is_blocked(ip):
        return _refusal(
            "Sign-in from your network is blocked. Contact us if this is a mistake.", status_code=403
        )
    options_json, handle = await PasskeyService(session=db_session).begin_authentication(_rp())
    await db_session.commit()
    return _options(options_json, handle)


@post("/login/passkey/verify", permission=PUBLIC, setup_gate=True)
async def login_verify(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    body = parse_json(await request.body())
    credential = body.get("credential")
    ip, agent = client_ip(request), request.headers.get("user-agent")
    guard = LoginProtection(db_session)
    if ip and await guard.is_blocked(ip):
        return _refusal(
            "Sign-in from your network is blocked. Contact us if this is a mistake.", status_code=403
        )
    try:
        if not isinstance(credential, dict):
            raise PasskeyError("Your device sent no passkey. Try again.")
        passkey = await PasskeyService(session=db_session).authenticate(
            _rp(), request.cookies.get(CEREMONY_COOKIE), credential
        )
        user = await db_session.get(User, passkey.user_id)
        if user is None or not user.is_active:
            raise PasskeyError("This passkey is not registered here.")
    except PasskeyError as exc:
        await guard.record(
            login="passkey", user_id=None, ip=ip, user_agent=agent, success=False, reason="passkey"
        )
        audit(
            db_session,
            actor(request),
            "auth.login_failed",
            target_type="user",
            changes={"method": [None, "passkey"]},
        )
        await db_session.commit()
        return _refusal(str(exc))
    token = await start_passkey_session(request, db_session, user)
    return _json(
        {"redirect": _landing(user, str(body.get("next") or ""))},
        cookies=[session_cookie(token), ceremony_cookie("", 0)],
    )


# ---- the second factor at /mfa ----------------------------------------------------------------------
EXPIRED = "Sign in again: the verification step expired."


async def mfa_passkey_available(db_session: DbSession, request: Request[Any, Any, Any]) -> bool:
    """Whether the person at the ``/mfa`` step has a passkey (show "Use a passkey" then)."""
    challenge = await mfa.open_challenge(db_session, request.cookies.get(mfa.CHALLENGE_COOKIE))
    return challenge is not None and await PasskeyService(session=db_session).has_any(challenge.user_id)


async def has_passkeys(db_session: DbSession, user_id: UUID) -> bool:
    return await PasskeyService(session=db_session).has_any(user_id)


@post("/mfa/passkey/options", permission=PUBLIC)
async def mfa_options(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    challenge = await mfa.open_challenge(db_session, request.cookies.get(mfa.CHALLENGE_COOKIE))
    if challenge is None:
        return _refusal(EXPIRED, redirect_to="/login")
    try:
        options_json, handle = await PasskeyService(session=db_session).begin_authentication(
            _rp(), user_id=challenge.user_id
        )
    except PasskeyError as exc:
        return _refusal(str(exc))
    await db_session.commit()
    return _options(options_json, handle)


@post("/mfa/passkey/verify", permission=PUBLIC)
async def mfa_verify(request: Request[Any, Any, Any], db_session: DbSession) -> Response[Any]:
    """The second factor with a passkey: like ``POST /mfa`` with a correct code."""
    challenge = await mfa.open_challenge(db_session, request.cookies.get(mfa.CHALLENGE_COOKIE))
    if challenge is None:
        return _refusal(EXPIRED, redirect_to="/login")
    credential = parse_json(await request.body()).get("credential")
    try:
        if not isinstance(credential, dict):
            raise PasskeyError("Your device sent no passkey. Try again.")
        await PasskeyService(session=db_session).authenticate(
            _rp(), request.cookies.get(CEREMONY_COOKIE), credential, user_id=challenge.user_id
        )
    except PasskeyError as exc:
        exhausted = await mfa.fail_challenge(db_session, challenge)
        audit(db_session, actor(request), "auth.mfa_failed", target_type="user", target_id=challenge.user_id)
        await db_session.commit()
        if exhausted:
            return _refusal("Too many failed attempts. Sign in again.", redirect_to="/login")
        return _refusal(str(exc))
    user = await db_session.get(User, challenge.user_id)
    next_url = challenge.next_url
    await db_session.delete(challenge)
    token = await start_passkey_session(request, db_session, user, second_factor=True)
    return _json(
        {"redirect": _landing(user, next_url)},
        cookies=[session_cookie(token), ceremony_cookie("", 0), challenge_cookie("", 0)],
    )


routes = [
    passkeys_page,
    register_options,
    register_verify,
    rename_page,
    rename,
    remove,
    login_options,
    login_verify,
    mfa_options,
    mfa_verify,
]
