"""The first-run setup wizard, the public home page and the business logo."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from verso.domains.identity.cookies import session_cookie
from verso.domains.identity.deps import client_ip
from verso.domains.identity.permissions import PUBLIC
from verso.domains.identity.services import SessionService
from verso.domains.ops.forms import SetupForm, currency_options, zone_options
from verso.domains.ops.services import (
    BusinessSettingsService,
    SettingsError,
    SetupRequest,
    business_cache,
    complete_setup,
    setup_state,
)
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, parse_form
from verso.lib.home import home_sections
from verso.lib.htmx import redirect, render
from verso.lib.storage import cached_response


async def _refuse_when_done(db_session: DbSession) -> None:
    if await setup_state.is_done(db_session):
        raise NotFoundException()


def _setup_page(request: Request[Any, Any, Any], form: FormState, status_code: int = 200) -> Any:
    return render(
        request,
        "ops/setup.html",
        {"form": form, "zones": zone_options(), "currencies": currency_options()},
        status_code=status_code,
    )


@get("/setup", permission=PUBLIC)
async def setup_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    await _refuse_when_done(db_session)
    return _setup_page(request, FormState(values={"timezone": "UTC", "currency": "EUR"}))


@post("/setup", permission=PUBLIC)
async def setup_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    await _refuse_when_done(db_session)
    data, form = parse_form(await request.form(), SetupForm)
    if data is None:
        return _setup_page(request, form, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        user = await complete_setup(
            db_session,
            SetupRequest(
                business_name=data.business_name,
                timezone=data.timezone,
                currency=data.currency,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                password=data.password,
            ),
            ip=client_ip(request),
        )
    except SettingsError as exc:
        await db_session.rollback()
        form.add_error(NON_FIELD, str(exc))
        return _setup_page(request, form, HTTP_422_UNPROCESSABLE_ENTITY)
    token = await SessionService(session=db_session).start(
        user, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    await db_session.commit()
    response = redirect(request, "/admin", message=f"Welcome to Verso, {user.display_name}.")
    response.set_cookie(session_cookie(token))
    return response


@get("/", permission=PUBLIC)
async def home(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The business's welcome, then the sections enabled modules contribute (see ``lib.home``)."""
    sections = await home_sections(db_session, business_cache.current().enabled_modules)
    return render(request, "ops/home.html", {"sections": sections})


@get("/media/logo/{digest:str}", permission=PUBLIC, exclude_from_csrf=True)  # no Set-Cookie: public cache
async def logo(
    digest: FromPath[str], db_session: DbSession, request: Request[Any, Any, Any]
) -> Response[bytes]:
    """The business logo on a content-addressed URL: cached for a year, revalidated by ETag."""
    found = await BusinessSettingsService(session=db_session).logo(digest)
    if found is None:
        raise NotFoundException()
    content, content_type = found
    return cached_response(request, digest, content, content_type, public=True)


routes = [setup_page, setup_submit, home, logo]
