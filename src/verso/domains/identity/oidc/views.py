"""The OpenID Connect flow (``/login/oidc/{slug}`` and its callback) and ``/account/sign-in-methods``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from verso.domains.identity.deps import actor, client_ip, require_user
from verso.domains.identity.finish import open_session, signed_in
from verso.domains.identity.forms import safe_next
from verso.domains.identity.mfa_views import begin_mfa_if_needed
from verso.domains.identity.models import User
from verso.domains.identity.oidc import protocol
from verso.domains.identity.oidc.crypto import FLOW_COOKIE, FlowState, flow_cookie, read_flow
from verso.domains.identity.oidc.models import OIDCProvider
from verso.domains.identity.oidc.services import IdentityService, ProviderService
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.domains.identity.protection import LoginProtection
from verso.domains.identity.services import IdentityError, UserService
from verso.lib import clock
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.htmx import redirect, render
from verso.settings import get_settings

METHODS_URL = "/account/sign-in-methods"
CALLBACK = "/login/oidc/{slug:str}/callback"


def redirect_uri(slug: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}/login/oidc/{slug}/callback"


async def start_session(
    request: Request[Any, Any, Any], db_session: DbSession, user: User, next_url: str, *, method: str
) -> Any:
    """Sign ``user`` in as a password sign-in does: the ``/mfa`` step if they have it, else a fresh
    session (the old one ended), the audit record and the landing page."""
    user.last_login_at = clock.utcnow()
    if second_step := await begin_mfa_if_needed(request, db_session, user, next_url):
        return second_step
    token = await open_session(request, db_session, user, {"method": [None, method]})
    return signed_in(request, user, token, next_url)


async def _provider(db_session: DbSession, slug: str) -> OIDCProvider:
    provider = await ProviderService(session=db_session).by_slug(slug, enabled_only=True)
    if provider is None:
        raise NotFoundException("No such sign-in provider.")
    return provider


async def _to_provider(request: Request[Any, Any, Any], provider: OIDCProvider, flow: FlowState) -> Any:
    """Send the browser to the provider's sign-in page, with the flow cookie.

    A start that came as a form POST (linking, from the account page) gets a short page that moves on
    by itself: the strict CSP's ``form-action 'self'`` also covers the redirects after a form
    submission, so Chromium would block a 303 to the provider.
    """
    try:
        doc = await protocol.discover(provider.issuer)
    except protocol.OIDCError as exc:
        return _failed_page(request, provider, str(exc), status_code=502)
    secrets_ = protocol.FlowSecrets(flow.state, flow.nonce, flow.verifier)
    url = protocol.authorization_url(
        doc,
        client_id=provider.client_id,
        redirect_uri=redirect_uri(provider.slug),
        scopes=provider.scopes,
        flow=secrets_,
        form_post=provider.is_apple,
    )
    if request.method == "POST":
        context = {"provider": provider, "url": url}
        response = render(
            request, "identity/oidc/continue.html", context, headers={"Cache-Control": "no-store"}
        )
    else:
        response = redirect(request, url)
    response.cookies.append(flow_cookie(flow, form_post=provider.is_apple))
    return response


def _new_flow(slug: str, next_url: str, link_user: str = "") -> FlowState:
    s = protocol.FlowSecrets.new()
    return FlowState(slug, s.state, s.nonce, s.verifier, safe_next(next_url, ""), link_user)


def _failed_page(
    request: Request[Any, Any, Any], provider: OIDCProvider, message: str, status_code: int = 400
) -> Any:
    response = render(
        request,
        "identity/oidc/failed.html",
        {"provider": provider, "message": message},
        status_code=status_code,
    )
    response.cookies.append(flow_cookie(None))
    return response


@get("/login/oidc/{slug:str}", permission=PUBLIC, setup_gate=True)
async def oidc_start(
    request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str], next: FromQuery[str] = ""
) -> Any:
    provider = await _provider(db_session, slug)
    if request.scope.get("user") is not None:  # linking starts from the account page (a POST)
        return redirect(request, METHODS_URL)
    return await _to_provider(request, provider, _new_flow(slug, next))


async def _refuse(
    request: Request[Any, Any, Any], db_session: DbSession, provider: OIDCProvider, error: protocol.OIDCError
) -> Any:
    audit(
        db_session,
        actor(request),
        "auth.oidc_failed",
        target_type="oidc_provider",
        target_id=provider.id,
        target_label=provider.slug,
        changes={"reason": [None, error.reason]},
    )
    await db_session.commit()
    return _failed_page(request, provider, str(error))


@get(CALLBACK, permission=PUBLIC, setup_gate=True)
async def oidc_callback(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    """The provider's answer as a redirect with the code in the query (the common case)."""
    return await _callback(request, db_session, slug, request.query_params)


@post(CALLBACK, permission=PUBLIC, setup_gate=True, exclude_from_csrf=True)
async def oidc_callback_post(
    request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]
) -> Any:
    """The answer as a form POST (``response_mode=form_post``, Apple). The provider's page sends it, so
    it cannot carry Verso's CSRF token: ``state``, matched against the flow cookie, does that job."""
    form = await request.form()
    return await _callback(request, db_session, slug, {k: v for k, v in form.items() if isinstance(v, str)})


async def _callback(
    request: Request[Any, Any, Any], db_session: DbSession, slug: str, params: Mapping[str, str]
) -> Any:
    provider = await _provider(db_session, slug)
    flow = read_flow(request.cookies.get(FLOW_COOKIE))
    if flow is None or flow.slug != slug:
        return await _refuse(
            request,
            db_session,
            provider,
            protocol.OIDCError("no_flow", "This sign-in expired or was started elsewhere. Try again."),
        )
    if not protocol.states_match(flow.state, params.get("state")):
        return await _refuse(request, db_session, provider, protocol.OIDCError("state_mismatch"))
    if params.get("error") or not params.get("code"):
        return await _refuse(
            request,
            db_session,
            provider,
            protocol.OIDCError("provider_error", "The sign-in was cancelled or refused."),
        )
    try:
        doc = await protocol.discover(provider.issuer)
        tokens = await protocol.exchange_code(
            doc,
            code=params["code"],
            client_id=provider.client_id,
            client_secret=ProviderService(session=db_session).client_secret(provider),
            redirect_uri=redirect_uri(slug),
            verifier=flow.verifier,
        )
        claims = await protocol.verify_id_token(
            doc, tokens["id_token"], client_id=provider.client_id, nonce=flow.nonce
        )
    except protocol.OIDCError as exc:
        return await _refuse(request, db_session, provider, exc)
    claims = protocol.posted_names(params.get("user")) | claims  # the ID token's own names win
    response = await _complete(request, db_session, provider, flow, claims)
    response.cookies.append(flow_cookie(None))
    return response


async def _complete(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    provider: OIDCProvider,
    flow: FlowState,
    claims: dict[str, Any],
) -> Any:
    """What a verified ID token leads to: sign in, link, create an account, or ask for the password."""
    identities = IdentityService(session=db_session)
    subject = claims["sub"]
    email, verified = protocol.email_claims(claims)
    linked = await identities.find(slug := provider.slug, subject)
    if flow.link_user or request.scope.get("user") is not None:
        user = await _linking_user(request, db_session, flow)
        if user is None:
            return _failed_page(request, provider, "Sign in again to link this sign-in method.")
        if linked is not None:
            mine = linked.user_id == user.id
            message = f"{provider.name} is already linked to {'your' if mine else 'another'} account."
            return redirect(request, METHODS_URL, message=message, level="info" if mine else "error")
        await identities.link(user, slug, subject, email, actor=actor(request, user))
        await db_session.commit()
        return redirect(request, METHODS_URL, message=f"You can now sign in with {provider.name}.")
    ip = client_ip(request)
    if ip and await LoginProtection(db_session).is_blocked(ip):
        return await _refuse(
            request,
            db_session,
            provider,
            protocol.OIDCError("blocked_ip", "Sign-in from your network is blocked."),
        )
    if linked is not None:
        user = await db_session.get(User, linked.user_id)
        if user is None or not user.is_active:
            return await _refuse(
                request, db_session, provider, protocol.OIDCError("inactive", "This account is deactivated.")
            )
        return await start_session(request, db_session, user, flow.next, method=f"oidc:{slug}")
    if not email:
        return await _refuse(
            request,
            db_session,
            provider,
            protocol.OIDCError("no_email", f"{provider.name} did not share an email address."),
        )
    if await UserService(session=db_session).find_by_login(email) is not None:
        audit(
            db_session,
            actor(request),
            "auth.oidc_link_needed",
            target_type="oidc_provider",
            target_id=provider.id,
            target_label=slug,
            changes={"email_verified": [None, verified]},
        )
        await db_session.commit()
        context = {"provider": provider, "email": email if verified else "", "methods_url": METHODS_URL}
        response = render(request, "identity/oidc/link_needed.html", context, status_code=409)
        return response
    try:
        user = await identities.create_account(slug, subject, email, verified, claims, actor=actor(request))
    except IdentityError as exc:
        await db_session.rollback()
        return await _refuse(request, db_session, provider, protocol.OIDCError("create_failed", str(exc)))
    return await start_session(request, db_session, user, flow.next, method=f"oidc:{slug}")


async def _linking_user(
    request: Request[Any, Any, Any], db_session: DbSession, flow: FlowState
) -> User | None:
    """Who links the provider account: the person who asked on their account page, if still here.

    The flow cookie names them (minted by their signed-in, CSRF-checked POST, encrypted, ten minutes).
    A GET callback brings their session cookie too, so its absence means they signed out meanwhile.
    A form-POST callback (Apple) comes cross-site without the Lax session cookie, so there the flow
    cookie alone vouches. Someone else's session, or a deactivated account, is always refused.
    """
    current = request.scope.get("user")
    user_id = flow.link_user or str(current.id)
    if current is None and request.method != "POST":
        return None
    if current is not None and str(current.id) != user_id:
        return None
    user = await db_session.get(User, UUID(user_id))
    return user if user is not None and user.is_active else None


@get("/account/sign-in-methods", permission=AUTHENTICATED)
async def methods_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    me = require_user(request)
    user = await db_session.get(User, me.id)
    identities = await IdentityService(session=db_session).for_user(me.id)
    providers = await ProviderService(session=db_session).enabled()
    names = {p.slug: p.name for p in await ProviderService(session=db_session).all()}
    linked = {i.provider for i in identities}
    return render(
        request,
        "identity/oidc/methods.html",
        {
            "identities": identities,
            "names": names,
            "available": [p for p in providers if p.slug not in linked],
            "has_password": bool(user.password_hash),
        },
    )


@post("/account/sign-in-methods/{slug:str}/link", permission=AUTHENTICATED)
async def link_start(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    provider = await _provider(db_session, slug)
    me = require_user(request)
    return await _to_provider(request, provider, _new_flow(slug, METHODS_URL, link_user=str(me.id)))


@post("/account/sign-in-methods/{identity_id:uuid}/unlink", permission=AUTHENTICATED)
async def unlink(request: Request[Any, Any, Any], db_session: DbSession, identity_id: FromPath[UUID]) -> Any:
    try:
        await IdentityService(session=db_session).unlink(
            require_user(request).id, identity_id, actor=actor(request)
        )
    except IdentityError as exc:
        await db_session.rollback()
        return redirect(request, METHODS_URL, message=str(exc), level="error")
    await db_session.commit()
    return redirect(request, METHODS_URL, message="Sign-in method removed.")


routes = [oidc_start, oidc_callback, oidc_callback_post, methods_page, link_start, unlink]
