"""The staff dashboard and the business settings page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import func, select

from verso.domains.identity.deps import actor
from verso.domains.identity.models import User
from verso.domains.identity.permissions import STAFF
from verso.domains.ops.forms import LOCALES, SettingsForm, currency_options, zone_options
from verso.domains.ops.services import BusinessSettingsService, SettingsChange, SettingsError, business_cache
from verso.lib import email, jobs
from verso.lib.audit import AuditLog
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.modules import all_modules, declared_actions
from verso.server.navigation import NavEntry

ADMIN = {"setup_gate": True}


@get("/admin", permission=STAFF, nav=NavEntry("Overview", "Dashboard", order=0, icon="home"), **ADMIN)
async def dashboard(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    users = await db_session.scalar(select(func.count()).select_from(User))
    held = await db_session.scalar(
        select(func.count())
        .select_from(email.OutboxEmail)
        .where(email.OutboxEmail.status.in_(["held", "failed"]))
    )
    recent = (await db_session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(8))).all()
    return render(
        request,
        "ops/dashboard.html",
        {
            "users": users,
            "queue": await jobs.queue_stats(db_session),
            "outbox_waiting": held,
            "recent": recent,
        },
    )


def _settings_page(request: Request[Any, Any, Any], form: FormState, status_code: int = 200) -> Any:
    return render(
        request,
        "ops/settings.html",
        {
            "form": form,
            "zones": zone_options(),
            "currencies": currency_options(),
            "locales": LOCALES,
            "modules": all_modules(),
            # the actions of the modules that are on (saved settings) that may need a verified email
            "reservable": declared_actions(business_cache.current().enabled_modules),
            "business": business_cache.current(),
        },
        status_code=status_code,
    )


@get(
    "/admin/settings",
    permission="ops.settings.write",
    nav=NavEntry("Operations", "Settings", order=90, icon="settings"),
    **ADMIN,
)
async def settings_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    business = await business_cache.load(db_session)
    values = {
        "name": business.name,
        "address": business.address,
        "currency": business.currency,
        "timezone": business.timezone,
        "locale": business.locale,
        "contact_email": business.contact_email,
        "enabled_modules": sorted(business.enabled_modules),
        "verified_actions": sorted(business.verified_actions),
    }
    return _settings_page(request, FormState(values=values))


@post("/admin/settings", permission="ops.settings.write", **ADMIN)
async def settings_submit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    submitted = await request.form()
    data, form = parse_form(submitted, SettingsForm)
    upload = submitted.get("logo")
    logo = await upload.read() if isinstance(upload, UploadFile) and upload.filename else None
    if data is None:
        return _settings_page(request, form, HTTP_422_UNPROCESSABLE_ENTITY)
    change = SettingsChange(
        name=data.name,
        address=data.address,
        currency=data.currency,
        timezone=data.timezone,
        locale=data.locale,
        contact_email=data.contact_email,
        enabled_modules=frozenset(data.enabled_modules),
        verified_actions=frozenset(data.verified_actions),
    )
    try:
        await BusinessSettingsService(session=db_session).update_settings(
            change, actor=actor(request), logo=logo, remove_logo=data.remove_logo
        )
    except SettingsError as exc:
        await db_session.rollback()
        form.add_error("logo" if "logo" in str(exc).lower() else NON_FIELD, str(exc))
        return _settings_page(request, form, HTTP_422_UNPROCESSABLE_ENTITY)
    return redirect(request, "/admin/settings", message="Settings saved.")


routes = [dashboard, settings_page, settings_submit]
