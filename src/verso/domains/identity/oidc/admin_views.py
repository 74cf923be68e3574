"""Admin pages for sign-in providers: ``/admin/identity/sign-in-providers``."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from msgspec import Meta

from verso.domains.identity.deps import actor
from verso.domains.identity.oidc.models import APPLE_SCOPES, DEFAULT_SCOPES, PRESETS, OIDCProvider
from verso.domains.identity.oidc.services import ProviderError, ProviderInput, ProviderService
from verso.domains.identity.oidc.views import redirect_uri
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.server.navigation import NavEntry

BASE = "/admin/identity/sign-in-providers"
PERMISSION = "identity.security.write"
PRESET_CHOICES = [(key, label) for key, (label, _issuer) in PRESETS.items()]


class ProviderForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    preset: Annotated[str, Meta(min_length=1, max_length=20)]
    client_id: Annotated[str, Meta(min_length=1, max_length=255)]
    issuer: Annotated[str, Meta(max_length=500)] = ""
    client_secret: Annotated[str, Meta(max_length=4000)] = ""
    scopes: Annotated[str, Meta(max_length=255)] = ""
    enabled: bool = False
    slug: Annotated[str, Meta(max_length=50)] = ""
    team_id: Annotated[str, Meta(max_length=20)] = ""
    key_id: Annotated[str, Meta(max_length=20)] = ""

    def to_input(self) -> ProviderInput:
        return ProviderInput(
            name=self.name,
            preset=self.preset,
            issuer=self.issuer,
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=self.scopes,
            enabled=self.enabled,
            slug=self.slug,
            team_id=self.team_id,
            key_id=self.key_id,
        )


def _edit(
    request: Request[Any, Any, Any], form: FormState, provider: OIDCProvider | None, status: int = 200
) -> Any:
    slug = provider.slug if provider else ""
    return render(
        request,
        "identity/oidc/admin_edit.html",
        {
            "form": form,
            "provider": provider,
            "presets": PRESET_CHOICES,
            "preset_issuers": {k: issuer for k, (_l, issuer) in PRESETS.items() if issuer},
            "redirect_uri": redirect_uri(slug) if slug else redirect_uri("<short-name>"),
            "scopes": {"default": DEFAULT_SCOPES, "apple": APPLE_SCOPES},
        },
        status_code=status,
    )


async def _get(db_session: DbSession, slug: str) -> OIDCProvider:
    provider = await ProviderService(session=db_session).by_slug(slug)
    if provider is None:
        raise NotFoundException("No such sign-in provider.")
    return provider


@get(
    BASE,
    permission=PERMISSION,
    setup_gate=True,
    nav=NavEntry("Compliance", "Sign-in providers", order=86, icon="key"),
)
async def providers_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    providers = await ProviderService(session=db_session).all()
    return render(
        request,
        "identity/oidc/admin_index.html",
        {"providers": providers, "presets": dict(PRESET_CHOICES), "redirect_uri": redirect_uri},
    )


@get(f"{BASE}/new", permission=PERMISSION, setup_gate=True)
async def provider_new(request: Request[Any, Any, Any]) -> Any:
    return _edit(request, form_from({"preset": "google"}), None)


@post(BASE, permission=PERMISSION, setup_gate=True)
async def provider_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), ProviderForm)
    if data is not None and not data.slug.strip():
        form.add_error("slug", "This field is required.")
        data = None
    if data is None:
        return _edit(request, form, None, 422)
    try:
        provider = await ProviderService(session=db_session).create_provider(
            data.to_input(), actor=actor(request)
        )
    except ProviderError as exc:
        await db_session.rollback()
        for name, message in exc.errors.items():
            form.add_error(name, message)
        return _edit(request, form, None, 422)
    await db_session.commit()
    return redirect(request, f"{BASE}/{provider.slug}", message=f"{provider.name} added.")


@get(f"{BASE}/{{slug:str}}", permission=PERMISSION, setup_gate=True)
async def provider_edit(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    provider = await _get(db_session, slug)
    fields = ("name", "preset", "issuer", "client_id", "scopes", "enabled", "team_id", "key_id")
    values = {k: getattr(provider, k) for k in fields}
    return _edit(request, form_from(values), provider)


@post(f"{BASE}/{{slug:str}}", permission=PERMISSION, setup_gate=True)
async def provider_update(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    provider = await _get(db_session, slug)
    data, form = parse_form(await request.form(), ProviderForm)
    if data is None:
        return _edit(request, form, provider, 422)
    try:
        await ProviderService(session=db_session).update_provider(
            provider, data.to_input(), actor=actor(request)
        )
    except ProviderError as exc:
        await db_session.rollback()
        await db_session.refresh(provider)  # the rollback expired it; the page reads it again
        for name, message in exc.errors.items():
            form.add_error(name, message)
        return _edit(request, form, provider, 422)
    await db_session.commit()
    return redirect(request, BASE, message=f"{provider.name} saved.")


class EnabledForm(msgspec.Struct):
    enabled: bool = False


@post(f"{BASE}/{{slug:str}}/enabled", permission=PERMISSION, setup_gate=True)
async def provider_toggle(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    provider = await _get(db_session, slug)
    data, _form = parse_form(await request.form(), EnabledForm)
    enabled = bool(data and data.enabled)
    await ProviderService(session=db_session).set_enabled(provider, enabled, actor=actor(request))
    await db_session.commit()
    state = "enabled" if enabled else "disabled"
    return redirect(request, BASE, message=f"{provider.name} {state}.")


routes = [providers_index, provider_new, provider_create, provider_edit, provider_update, provider_toggle]
