"""The second sign-in step at ``/mfa``, and the person's own security page at ``/account/security``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import Cookie
from msgspec import Meta

from verso.domains.identity import mfa
from verso.domains.identity.cookies import SESSION_COOKIE, session_cookie
from verso.domains.identity.deps import actor, client_ip, require_user
from verso.domains.identity.finish import open_session, signed_in
from verso.domains.identity.models import User
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.domains.identity.services import SessionService
from verso.domains.ops.services import business_cache
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.settings import get_settings


class CodeForm(msgspec.Struct):
    code: Annotated[str, Meta(min_length=6, max_length=20, extra={"error": "Enter the code from your app."})]
    trust: bool = False


class ProofForm(msgspec.Struct):
    proof: Annotated[
        str, Meta(min_length=1, max_length=1024, extra={"error": "Enter your password or a code."})
    ]


def challenge_cookie(token: str, max_age: int) -> Cookie:
    return Cookie(
        key=mfa.CHALLENGE_COOKIE,
        value=token,
        path="/mfa",
        httponly=True,
        samesite="lax",
        secure=get_settings().https,
        max_age=max_age,
    )


async def begin_mfa_if_needed(
    request: Request[Any, Any, Any], db_session: DbSession, user: User, next_url: str
) -> Any | None:
    """After a correct password: the ``/mfa`` step for accounts that have it, else ``None``."""
    from verso.domains.identity.passkeys import has_passkeys  # passkeys' views import this module

    if await mfa.confirmed_device(db_session, user.id) is None and not await has_passkeys(
        db_session, user.id
    ):
        return None
    if await mfa.is_trusted(db_session, user.id, request.cookies.get(mfa.TRUST_COOKIE)):
        return None
    token = await mfa.start_challenge(db_session, user, next_url)
    await db_session.commit()
    response = redirect(request, "/mfa")
    response.set_cookie(challenge_cookie(token, int(mfa.CHALLENGE_TTL.total_seconds())))
    return response


@get("/mfa", permission=PUBLIC)
async def mfa_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    from verso.domains.identity.passkeys import mfa_passkey_available  # passkeys' views import this module

    if await mfa.open_challenge(db_session, request.cookies.get(mfa.CHALLENGE_COOKIE)) is None:
        return redirect(
            request, "/login", message="Sign in again: the verification step expired.", level="info"
        )
    return render(
        request,
        "identity/mfa/challenge.html",
        {
            "form": FormState(),
            "passkey_mfa": await mfa_passkey_available(db_session, request),
        },
    )


@post("/mfa", permission=PUBLIC)
async def mfa_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    from verso.domains.identity.passkeys import mfa_passkey_available  # passkeys' views import this module

    challenge = await mfa.open_challenge(db_session, request.cookies.get(mfa.CHALLENGE_COOKIE))
    if challenge is None:
        return redirect(
            request, "/login", message="Sign in again: the verification step expired.", level="info"
        )
    data, form = parse_form(await request.form(), CodeForm)
    method = await mfa.check_code(db_session, challenge.user_id, data.code) if data else None
    if method is None and data is not None and mfa.email_code_matches(challenge, data.code):
        method = "email"
    if method is None:
        if data is not None:
            exhausted = await mfa.fail_challenge(db_session, challenge)
            audit(
                db_session, actor(request), "auth.mfa_failed", target_type="user", target_id=challenge.user_id
            )
            await db_session.commit()
            if exhausted:
                return redirect(
                    request, "/login", message="Too many wrong codes. Sign in again.", level="error"
                )
            form.add_error("code", "That code is not correct.")
        return render(
            request,
            "identity/mfa/challenge.html",
            {
                "form": form,
                "passkey_mfa": await mfa_passkey_available(db_session, request),
            },
            status_code=422,
        )
    user = await db_session.get(User, challenge.user_id)
    next_url = challenge.next_url
    await db_session.delete(challenge)
    token = await open_session(request, db_session, user, {"second_factor": [None, method]})
    message = "You used a backup code; each works once." if method == "backup" else None
    response = signed_in(request, user, token, next_url, message=message, level="warning")
    response.set_cookie(challenge_cookie("", 0))
    if data.trust:
        trusted = await mfa.trust_browser(db_session, user.id)
        await db_session.commit()
        response.set_cookie(
            Cookie(
                key=mfa.TRUST_COOKIE,
                value=trusted,
                path="/",
                httponly=True,
                samesite="lax",
                secure=get_settings().https,
                max_age=int(mfa.TRUST_FOR.total_seconds()),
            )
        )
    return response


@post("/mfa/email", permission=PUBLIC)
async def mfa_email(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The fallback: a one-time code by email, for someone without their phone."""
    challenge = await mfa.open_challenge(db_session, request.cookies.get(mfa.CHALLENGE_COOKIE))
    if challenge is None:
        return redirect(
            request, "/login", message="Sign in again: the verification step expired.", level="info"
        )
    try:
        await mfa.email_code(db_session, challenge, business_cache.current().name)
    except mfa.MFAError as exc:
        return redirect(request, "/mfa", message=str(exc), level="error")
    await db_session.commit()
    return redirect(request, "/mfa", message="We emailed you a code. It works for 10 minutes.")


async def _security_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    *,
    form: FormState | None = None,
    enrolment: mfa.Enrolment | None = None,
    codes: list[str] | None = None,
    status_code: int = 200,
) -> Any:
    me = require_user(request)
    user = await db_session.get(User, me.id)
    device = await mfa.confirmed_device(db_session, me.id)
    if enrolment is None and device is None:
        enrolment = await mfa.pending_enrolment(db_session, user, business_cache.current().name)
    return render(
        request,
        "identity/mfa/security.html",
        {
            "device": device,
            "enrolment": enrolment,
            "codes": codes,
            "form": form or FormState(),
            "remaining": await mfa.remaining_backup_codes(db_session, me.id) if device else 0,
        },
        status_code=status_code,
    )


@get("/account/security", permission=AUTHENTICATED, mfa_enrolment=True)
async def security_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _security_page(request, db_session)


@post("/account/security/totp/setup", permission=AUTHENTICATED, mfa_enrolment=True)
async def totp_setup(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    user = await db_session.get(User, require_user(request).id)
    try:
        enrolment = await mfa.start_enrolment(db_session, user, business_cache.current().name)
    except mfa.MFAError as exc:
        return redirect(request, "/account/security", message=str(exc), level="error")
    await db_session.commit()
    return await _security_page(request, db_session, enrolment=enrolment)


@post("/account/security/totp/confirm", permission=AUTHENTICATED, mfa_enrolment=True)
async def totp_confirm(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    me = require_user(request)
    user = await db_session.get(User, me.id)
    data, form = parse_form(await request.form(), CodeForm)
    try:
        if data is None:
            raise mfa.MFAError("Enter the code from your app.")
        codes = await mfa.confirm_enrolment(db_session, user, data.code, actor(request))
    except mfa.MFAError as exc:
        await db_session.rollback()
        form.add_error("code", str(exc))
        return await _security_page(request, db_session, form=form, status_code=422)
    # A privilege change: this browser gets a fresh session id.
    sessions = SessionService(session=db_session)
    await sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    token = await sessions.start(user, ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    await db_session.commit()
    response = await _security_page(request, db_session, codes=codes)
    response.cookies.append(session_cookie(token))
    return response


@post("/account/security/totp/disable", permission=AUTHENTICATED)
async def totp_disable(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    user = await db_session.get(User, require_user(request).id)
    data, form = parse_form(await request.form(), ProofForm)
    try:
        if data is None:
            raise mfa.MFAError("Enter your password or a code to turn this off.")
        await mfa.disable(db_session, user, data.proof, actor(request))
    except mfa.MFAError as exc:
        await db_session.rollback()
        form.add_error("proof", str(exc))
        return await _security_page(request, db_session, form=form, status_code=422)
    await db_session.commit()
    return redirect(request, "/account/security", message="Two-step verification is off.")


@post("/account/security/backup-codes", permission=AUTHENTICATED)
async def backup_codes(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    me = require_user(request)
    if await mfa.confirmed_device(db_session, me.id) is None:
        return redirect(
            request, "/account/security", message="Set up an authenticator app first.", level="error"
        )
    codes = await mfa.replace_backup_codes(db_session, me.id)
    audit(db_session, actor(request), "mfa.backup_codes_replaced", target_type="user", target_id=me.id)
    await db_session.commit()
    return await _security_page(request, db_session, codes=codes)


routes = [
    mfa_page,
    mfa_submit,
    mfa_email,
    security_page,
    totp_setup,
    totp_confirm,
    totp_disable,
    backup_codes,
]
