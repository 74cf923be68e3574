"""Sign-in providers (admin configuration) and linked identities (the business rules of the flow)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.models import User
from verso.domains.identity.oidc.crypto import decrypt_secret, encrypt_secret
from verso.domains.identity.oidc.models import (
    APPLE_SCOPES,
    DEFAULT_SCOPES,
    PRESETS,
    OIDCIdentity,
    OIDCProvider,
)
from verso.domains.identity.oidc.protocol import apple_client_secret, apple_private_key, is_allowed_issuer
from verso.domains.identity.services import IdentityError, UserService
from verso.lib.audit import Actor, audit, diff

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,48}$")
APPLE_ID = re.compile(r"^[A-Za-z0-9]{10}$")  # Team IDs and Key IDs: ten letters and digits


@dataclass(frozen=True, slots=True)
class ProviderInput:
    name: str
    preset: str
    issuer: str
    client_id: str
    client_secret: str  # empty on edit: keep the stored one; Apple: the private key (PEM)
    scopes: str
    enabled: bool
    slug: str = ""
    team_id: str = ""  # Apple only
    key_id: str = ""  # Apple only


class ProviderService(SQLAlchemyAsyncRepositoryService[OIDCProvider]):
    class Repo(SQLAlchemyAsyncRepository[OIDCProvider]):
        model_type = OIDCProvider

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    async def by_slug(self, slug: str, *, enabled_only: bool = False) -> OIDCProvider | None:
        stmt = select(OIDCProvider).where(OIDCProvider.slug == slug)
        if enabled_only:
            stmt = stmt.where(OIDCProvider.enabled.is_(True))
        return await self.session.scalar(stmt)

    async def all(self) -> list[OIDCProvider]:
        return list(await self.session.scalars(select(OIDCProvider).order_by(OIDCProvider.name)))

    async def enabled(self) -> list[OIDCProvider]:
        stmt = select(OIDCProvider).where(OIDCProvider.enabled.is_(True)).order_by(OIDCProvider.name)
        return list(await self.session.scalars(stmt))

    def client_secret(self, provider: OIDCProvider) -> str:
        """What the token endpoint gets: the stored secret, or for Apple a JWT signed with the stored key
        (raises ``OIDCError`` when that key cannot be read)."""
        stored = decrypt_secret(provider.client_secret_encrypted)
        if not provider.is_apple:
            return stored
        return apple_client_secret(
            stored, team_id=provider.team_id, key_id=provider.key_id, client_id=provider.client_id
        )

    def _clean(
        self, data: ProviderInput, current: OIDCProvider | None = None, errors: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], str | None]:
        """The provider's columns and the secret to store (None keeps the stored one), or ProviderError."""
        errors = dict(errors or {})
        if data.preset not in PRESETS:
            errors["preset"] = "Choose one of the options."
        issuer = (data.issuer.strip() or PRESETS.get(data.preset, ("", ""))[1]).rstrip("/")
        if not issuer:
            errors["issuer"] = "Enter the provider's issuer URL."
        elif not is_allowed_issuer(issuer):
            errors["issuer"] = "The issuer must be an https:// URL."
        apple = data.preset == "apple"
        scopes = " ".join(data.scopes.split()) or (APPLE_SCOPES if apple else DEFAULT_SCOPES)
        if "openid" not in scopes.split():
            errors["scopes"] = "The scopes must include openid."
        elif apple and not set(scopes.split()) <= set(APPLE_SCOPES.split()):
            errors["scopes"] = f"Apple knows only these scopes: {APPLE_SCOPES}."
        ids = _apple_ids(data, errors) if apple else {"team_id": "", "key_id": ""}
        secret = _secret(data, current, errors)
        if errors:
            raise ProviderError(errors)
        values = {
            "name": data.name.strip(),
            "preset": data.preset,
            "issuer": issuer,
            "client_id": data.client_id.strip(),
            "scopes": scopes,
            "enabled": data.enabled,
        }
        return values | ids, secret

    async def create_provider(self, data: ProviderInput, *, actor: Actor) -> OIDCProvider:
        slug = data.slug.strip().lower()
        errors: dict[str, str] = {}
        if not SLUG.match(slug) or slug == "new":
            errors["slug"] = "Use lowercase letters, digits and dashes."
        elif await self.by_slug(slug):
            errors["slug"] = "Another provider already uses this short name."
        values, secret = self._clean(data, errors=errors)
        provider = await self.repository.add(
            OIDCProvider(slug=slug, client_secret_encrypted=encrypt_secret(secret or ""), **values)
        )
        audit(
            self.session,
            actor,
            "oidc.provider_created",
            target_type="oidc_provider",
            target_id=provider.id,
            target_label=slug,
            changes=diff(
                {},
                {**values, "client_secret": "set" if secret else ""},
                secret=("client_secret",),
            ),
        )
        return provider

    async def update_provider(self, provider: OIDCProvider, data: ProviderInput, *, actor: Actor) -> None:
        values, secret = self._clean(data, provider)
        before = {key: getattr(provider, key) for key in values}
        for key, value in values.items():
            setattr(provider, key, value)
        changes = diff(before, values)
        if secret is not None:
            provider.client_secret_encrypted = encrypt_secret(secret)
            changes["client_secret"] = ["***", "***"]
        audit(
            self.session,
            actor,
            "oidc.provider_updated",
            target_type="oidc_provider",
            target_id=provider.id,
            target_label=provider.slug,
            changes=changes,
        )

    async def set_enabled(self, provider: OIDCProvider, enabled: bool, *, actor: Actor) -> None:
        if provider.enabled == enabled:
            return
        provider.enabled = enabled
        audit(
            self.session,
            actor,
            "oidc.provider_enabled" if enabled else "oidc.provider_disabled",
            target_type="oidc_provider",
            target_id=provider.id,
            target_label=provider.slug,
            changes={"enabled": [not enabled, enabled]},
        )


def _apple_ids(data: ProviderInput, errors: dict[str, str]) -> dict[str, str]:
    """Team ID and Key ID, which sign Apple's client secret; missing or malformed ones go to ``errors``."""
    ids = {"team_id": data.team_id.strip(), "key_id": data.key_id.strip()}
    for name, label in (("team_id", "Team ID"), ("key_id", "Key ID")):
        if not ids[name]:
            errors[name] = f"Enter the {label} from your Apple developer account."
        elif not APPLE_ID.match(ids[name]):
            errors[name] = f"The {label} is ten letters and digits."
    return ids


def _secret(data: ProviderInput, current: OIDCProvider | None, errors: dict[str, str]) -> str | None:
    """The client secret to store; None keeps the stored one (an empty field on edit).

    Apple's is the private key: checked here, so a wrong paste shows on the form rather than as a
    failed sign-in later, and stored as tidy PEM. A provider that stops being Apple drops it, so the
    key never goes to another provider's token endpoint.
    """
    pasted = data.client_secret.strip()
    was_apple = current is not None and current.is_apple
    if data.preset != "apple":
        return pasted or ("" if was_apple else None)
    if not pasted:
        if not was_apple:
            errors["client_secret"] = "Paste the private key (the .p8 file) Apple gave you."
        return None
    try:
        key = apple_private_key(pasted)
    except ValueError:
        errors["client_secret"] = "This is not an Apple private key: paste the whole .p8 file (EC P-256)."
        return None
    return key.as_pem(private=True).decode()


class ProviderError(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


async def login_buttons(session: AsyncSession) -> list[tuple[str, str]]:
    """``(slug, name)`` of the enabled providers, for the "Sign in with ..." buttons on ``/login``."""
    return [(p.slug, p.name) for p in await ProviderService(session=session).enabled()]


class IdentityService(SQLAlchemyAsyncRepositoryService[OIDCIdentity]):
    class Repo(SQLAlchemyAsyncRepository[OIDCIdentity]):
        model_type = OIDCIdentity

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    async def find(self, provider: str, subject: str) -> OIDCIdentity | None:
        stmt = select(OIDCIdentity).where(OIDCIdentity.provider == provider, OIDCIdentity.subject == subject)
        return await self.session.scalar(stmt)

    async def for_user(self, user_id: UUID) -> list[OIDCIdentity]:
        stmt = select(OIDCIdentity).where(OIDCIdentity.user_id == user_id).order_by(OIDCIdentity.created_at)
        return list(await self.session.scalars(stmt))

    async def link(
        self, user: User, provider: str, subject: str, email: str, *, actor: Actor
    ) -> OIDCIdentity:
        if await self.find(provider, subject):
            raise IdentityError("This sign-in is already linked to an account.")
        identity = await self.repository.add(
            OIDCIdentity(user_id=user.id, provider=provider, subject=subject, email=email[:254])
        )
        audit(
            self.session,
            actor,
            "oidc.linked",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
            changes={"provider": [None, provider], "email": [None, email]},
        )
        return identity

    async def unlink(self, user_id: UUID, identity_id: UUID, *, actor: Actor) -> OIDCIdentity:
        identity = await self.session.get(OIDCIdentity, identity_id)
        if identity is None or identity.user_id != user_id:
            raise IdentityError("This sign-in method is not linked to your account.")
        user = await self.session.get(User, user_id)
        count = await self.session.scalar(
            select(func.count()).select_from(OIDCIdentity).where(OIDCIdentity.user_id == user_id)
        )
        if user is None or (not user.password_hash and count <= 1):
            raise IdentityError("Set a password first: this is the only way you can sign in.")
        await self.session.delete(identity)
        audit(
            self.session,
            actor,
            "oidc.unlinked",
            target_type="user",
            target_id=user_id,
            target_label=user.email,
            changes={"provider": [identity.provider, None]},
        )
        return identity

    async def create_account(
        self, provider: str, subject: str, email: str, verified: bool, claims: dict[str, Any], *, actor: Actor
    ) -> User:
        """A new customer account (no password) linked to this provider identity; not committed."""
        users = UserService(session=self.session)
        user = await users.create_account(
            email=email,
            password=secrets.token_urlsafe(32),  # replaced below: the account has no password
            roles=["user"],
            actor=actor,
            first_name=str(claims.get("given_name") or "")[:80],
            last_name=str(claims.get("family_name") or "")[:80],
            email_verified=verified,
        )
        user.password_hash = None
        await self.link(user, provider, subject, email, actor=actor)
        return user
