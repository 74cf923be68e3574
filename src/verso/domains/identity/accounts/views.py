"""Registration, verification, password reset and the account pages."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_422_UNPROCESSABLE_ENTITY

from verso.domains.identity.accounts.forms import (
    CloseForm,
    EmailChangeForm,
    ForgotForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
    locale_options,
    zone_options,
)
from verso.domains.identity.accounts.profile import ProfileChange, ProfileService
from verso.domains.identity.accounts.services import AccountError, AccountService, Registration
from verso.domains.identity.cookies import expired_session_cookie
from verso.domains.identity.deps import actor, require_user
from verso.domains.identity.forms import safe_next
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import VARY, is_htmx, redirect, render, toast_header
from verso.lib.storage import cached_response
from verso.settings import get_settings

SECRET_FIELDS = ("password", "confirm", "current_password")
FORGOT_SENT = "If an account exists for that address, we sent a link."
T = "identity/accounts/"
# The link tokens travel in the path parameter ``name``: the crawl test (tests/test_crawl.py) fills
# path parameters from a fixed set of names and has no ``token``.


def _form_page(
    request: Request[Any, Any, Any], template: str, form: FormState, status: int = 200, **context: Any
) -> Any:
    for name in SECRET_FIELDS:  # passwords are never sent back to the browser
        form.values.pop(name, None)
    context = {"form": form, "password_min_length": get_settings().password_min_length, **context}
    return render(request, T + template, context, status_code=status)


def _refused(
    request: Request[Any, Any, Any], template: str, form: FormState, exc: AccountError, **context: Any
) -> Any:
    for message in exc.messages:
        form.add_error(exc.field, message)
    return _form_page(request, template, form, HTTP_422_UNPROCESSABLE_ENTITY, **context)


# -- registration and verification ----------------------------------------------------------


@get("/register", permission=PUBLIC, setup_gate=True)
async def register_page(request: Request[Any, Any, Any]) -> Any:
    if request.scope.get("user") is not None:
        return redirect(request, "/account")
    return _form_page(request, "register.html", FormState())


@post("/register", permission=PUBLIC, setup_gate=True)
async def register_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), RegisterForm)
    if data is None:
        return _form_page(request, "register.html", form, HTTP_422_UNPROCESSABLE_ENTITY)
    registration = Registration(
        email=data.email,
        password=data.password,
        username=data.username.strip() or None,
        first_name=data.first_name,
        last_name=data.last_name,
    )
    try:
        await AccountService(session=db_session).register(registration, actor=actor(request))
    except AccountError as exc:
        await db_session.rollback()
        return _refused(request, "register.html", form, exc)
    message = "Thanks! Check your inbox for a link to confirm your address. You can sign in now."
    return redirect(request, "/login", message=message)


@get("/verify/{name:str}", permission=PUBLIC)
async def verify_email(request: Request[Any, Any, Any], name: FromPath[str], db_session: DbSession) -> Any:
    token = name
    try:
        result = await AccountService(session=db_session).verify(token, actor=actor(request))
    except AccountError as exc:
        await db_session.rollback()
        return render(
            request, T + "verify.html", {"error": exc.messages[0]}, status_code=HTTP_400_BAD_REQUEST
        )
    return render(request, T + "verify.html", {"result": result})


@post("/verify/resend", permission=AUTHENTICATED)
async def resend_verification(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    submitted = await request.form()
    back = safe_next(str(submitted.get("next") or ""), "/account/email")
    try:
        await AccountService(session=db_session).resend_verification(
            require_user(request).id, actor=actor(request)
        )
        message, level = "We sent a new link. Check your inbox.", "success"
    except AccountError as exc:
        await db_session.rollback()
        message, level = exc.messages[0], "error"
    if is_htmx(request):
        return Response(content="", status_code=200, headers={**VARY, **toast_header(message, level)})
    return redirect(request, back, message=message, level=level)


# -- password reset -----------------------------------------------------------------------------


@get("/password/forgot", permission=PUBLIC, setup_gate=True)
async def forgot_page(request: Request[Any, Any, Any], sent: FromQuery[bool] = False) -> Any:
    return _form_page(request, "forgot.html", FormState(), sent=sent, sent_message=FORGOT_SENT)


@post("/password/forgot", permission=PUBLIC, setup_gate=True)
async def forgot_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), ForgotForm)
    if data is None:
        return _form_page(request, "forgot.html", form, HTTP_422_UNPROCESSABLE_ENTITY)
    await AccountService(session=db_session).request_reset(data.email, actor=actor(request))
    return redirect(request, "/password/forgot?sent=true")


@get("/password/reset/{name:str}", permission=PUBLIC, setup_gate=True)
async def reset_page(request: Request[Any, Any, Any], name: FromPath[str], db_session: DbSession) -> Any:
    token = name
    if not await AccountService(session=db_session).reset_token_valid(token):
        return render(request, T + "reset.html", {"invalid": True}, status_code=HTTP_400_BAD_REQUEST)
    return _form_page(request, "reset.html", FormState(), token=token)


@post("/password/reset/{name:str}", permission=PUBLIC, setup_gate=True)
async def reset_submit(request: Request[Any, Any, Any], name: FromPath[str], db_session: DbSession) -> Any:
    token = name
    data, form = parse_form(await request.form(), ResetForm)
    if data is None:
        return _form_page(request, "reset.html", form, HTTP_422_UNPROCESSABLE_ENTITY, token=token)
    current = request.scope.get("user")
    try:
        user = await AccountService(session=db_session).reset_password(
            token, data.password, keep_session=current.session_id if current else None, actor=actor(request)
        )
    except AccountError as exc:
        await db_session.rollback()
        if exc.field != "password":
            return render(request, T + "reset.html", {"invalid": True}, status_code=HTTP_400_BAD_REQUEST)
        return _refused(request, "reset.html", form, exc, token=token)
    if current is not None and current.id == user.id:
        return redirect(
            request, "/account", message="Your password was changed. Other sessions were signed out."
        )
    return redirect(request, "/login", message="Your password was changed. Sign in with your new password.")


# -- the account pages ----------------------------------------------------------------------------


def _profile_values(user: Any, profile: Any) -> dict[str, Any]:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": profile.phone,
        "timezone": user.timezone or "",
        "locale": user.locale or "",
        "bio": profile.bio,
    }


def _profile_page(request: Request[Any, Any, Any], form: FormState, profile: Any, status: int = 200) -> Any:
    return _form_page(
        request, "profile.html", form, status, profile=profile, zones=zone_options(), locales=locale_options()
    )


@get("/account/profile", permission=AUTHENTICATED)
async def profile_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    user, profile = await ProfileService(session=db_session).page(require_user(request).id)
    return _profile_page(request, form_from(_profile_values(user, profile)), profile)


@post("/account/profile", permission=AUTHENTICATED)
async def profile_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    service = ProfileService(session=db_session)
    submitted = await request.form()
    data, form = parse_form(submitted, ProfileForm)
    upload = submitted.get("avatar")
    avatar = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
    if data is None:
        _, profile = await service.page(require_user(request).id)
        return _profile_page(request, form, profile, HTTP_422_UNPROCESSABLE_ENTITY)
    change = ProfileChange(
        first_name=data.first_name,
        last_name=data.last_name,
        phone=data.phone,
        timezone=data.timezone or None,
        locale=data.locale or None,
        bio=data.bio,
    )
    try:
        await service.update_profile(
            require_user(request).id,
            change,
            actor=actor(request),
            avatar=avatar,
            remove_avatar=data.remove_avatar,
        )
    except AccountError as exc:
        await db_session.rollback()
        _, profile = await service.page(require_user(request).id)
        for message in exc.messages:
            form.add_error(exc.field, message)
        return _profile_page(request, form, profile, HTTP_422_UNPROCESSABLE_ENTITY)
    return redirect(request, "/account/profile", message="Profile saved.")


@get("/media/avatar/{digest:str}", permission=AUTHENTICATED)
async def avatar(
    digest: FromPath[str], db_session: DbSession, request: Request[Any, Any, Any]
) -> Response[bytes]:
    """A profile picture on a content-addressed URL: cached for a year (by the browser only)."""
    found = await ProfileService(session=db_session).avatar(digest)
    if found is None:
        raise NotFoundException()
    content, content_type = found
    return cached_response(request, digest, content, content_type, public=False)


async def _email_page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status: int = 200
) -> Any:
    user, _ = await ProfileService(session=db_session).page(require_user(request).id)
    return _form_page(request, "email.html", form, status, user=user)


@get("/account/email", permission=AUTHENTICATED)
async def email_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _email_page(request, db_session, FormState())


@post("/account/email", permission=AUTHENTICATED)
async def email_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), EmailChangeForm)
    if data is None:
        return await _email_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        new_email = await ProfileService(session=db_session).request_email_change(
            require_user(request).id, data.email, data.password, actor=actor(request)
        )
    except AccountError as exc:
        await db_session.rollback()
        for message in exc.messages:
            form.add_error(exc.field, message)
        return await _email_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)
    message = f"We sent a link to {new_email}. Your address changes when you open it."
    return redirect(request, "/account/email", message=message)


@get("/account/password", permission=AUTHENTICATED)
async def password_page(request: Request[Any, Any, Any]) -> Any:
    return _form_page(request, "password.html", FormState())


@post("/account/password", permission=AUTHENTICATED)
async def password_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), PasswordChangeForm)
    if data is None:
        return _form_page(request, "password.html", form, HTTP_422_UNPROCESSABLE_ENTITY)
    current = require_user(request)
    try:
        await AccountService(session=db_session).change_password(
            current.id,
            data.current_password,
            data.password,
            keep_session=current.session_id,
            actor=actor(request),
        )
    except AccountError as exc:
        await db_session.rollback()
        return _refused(request, "password.html", form, exc)
    return redirect(request, "/account/password", message="Password changed. Other sessions were signed out.")


@get("/account/close", permission=AUTHENTICATED)
async def close_page(request: Request[Any, Any, Any]) -> Any:
    return _form_page(request, "close.html", FormState())


@post("/account/close", permission=AUTHENTICATED)
async def close_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), CloseForm)
    if data is None:
        return _form_page(request, "close.html", form, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        await ProfileService(session=db_session).close_account(
            require_user(request).id, data.password, actor=actor(request)
        )
    except AccountError as exc:
        await db_session.rollback()
        return _refused(request, "close.html", form, exc)
    response = redirect(request, "/", message="Your account is closed. Goodbye.")
    response.set_cookie(expired_session_cookie())
    return response


routes = [
    register_page,
    register_submit,
    verify_email,
    resend_verification,
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    profile_page,
    profile_submit,
    avatar,
    email_page,
    email_submit,
    password_page,
    password_submit,
    close_page,
    close_submit,
]
