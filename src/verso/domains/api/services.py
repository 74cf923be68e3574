"""API key rules: create (shown once), authenticate a bearer key, record its use, revoke."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import Select, and_, or_, select, update

from verso.domains.api.models import ApiKey
from verso.domains.api.scopes import MANAGE_KEYS, SCOPES, may_use
from verso.domains.identity.models import User
from verso.domains.identity.services import CurrentUser
from verso.lib import clock
from verso.lib.audit import Actor, audit

KEY_PREFIX = "vso_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # what lists show: "vso_" and 8 characters
KEY_SHAPE = re.compile(r"vso_[A-Za-z0-9_-]{32,64}")
TOUCH_EVERY = timedelta(seconds=60)  # last use is written at most once a minute per key


class ApiKeyError(Exception):
    """A refused key action; ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str = "__all__") -> None:
        super().__init__(message)
        self.field = field


class ApiKeyNotFound(Exception):
    """No such key, or not one this person may act on (both answer 404)."""


class ApiAuthError(Exception):
    """A bearer key that does not authenticate (401), with a message fit for the integrator."""


@dataclass(frozen=True, slots=True)
class ApiPrincipal:
    """Who a request to /api/v1 acts as: the key and its owner, loaded once by the guard."""

    key_id: UUID
    key_name: str
    prefix: str
    scopes: tuple[str, ...]
    expires_at: datetime | None
    user_id: UUID
    email: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    permissions: frozenset[str]

    def may(self, scope: str) -> bool:
        """The key carries ``scope`` and its owner still holds the permission behind it."""
        return scope in self.scopes and may_use(self.permissions, scope)


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_key(secret: str) -> bool:
    return KEY_SHAPE.fullmatch(secret) is not None


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(30)  # 40 characters, 240 random bits


def owner_email() -> Any:
    """The owner's email as a column of the key list (search and sort), without a join."""
    return select(User.email).where(User.id == ApiKey.user_id).scalar_subquery()


def status_clause(status: str) -> Any:
    """A filter for the admin list: active, revoked or expired keys."""
    now = clock.utcnow()
    if status == "revoked":
        return ApiKey.revoked_at.is_not(None)
    if status == "expired":
        return and_(ApiKey.revoked_at.is_(None), ApiKey.expires_at <= now)
    return and_(ApiKey.revoked_at.is_(None), or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now))


class ApiKeyService(SQLAlchemyAsyncRepositoryService[ApiKey]):
    class Repo(SQLAlchemyAsyncRepository[ApiKey]):
        model_type = ApiKey

    repository_type = Repo

    async def keys_of(self, user_id: UUID) -> list[ApiKey]:
        stmt = select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id.desc())
        return list((await self.repository.session.scalars(stmt)).unique())

    def listing(self, viewer: CurrentUser) -> Select[Any]:
        """The keys a staff list shows ``viewer``: every key with MANAGE_KEYS, else their own."""
        stmt = select(ApiKey)
        if not viewer.has_permission(MANAGE_KEYS):
            stmt = stmt.where(ApiKey.user_id == viewer.id)
        return stmt

    async def create_key(
        self,
        owner: CurrentUser,
        *,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
        actor: Actor,
    ) -> tuple[ApiKey, str]:
        """A new key for ``owner`` and its secret (shown once, never stored); not committed."""
        name = name.strip()
        if not name:
            raise ApiKeyError("This field is required.", "name")
        chosen = sorted(set(scopes))
        if not chosen:
            raise ApiKeyError("Choose at least one scope.", "scopes")
        unknown = [scope for scope in chosen if scope not in SCOPES]
        if unknown:
            raise ApiKeyError(f"Unknown scope: {', '.join(unknown)}.", "scopes")
        beyond = [scope for scope in chosen if not may_use(owner.permissions, scope)]
        if beyond:
            raise ApiKeyError(f"You cannot grant a scope you do not hold: {', '.join(beyond)}.", "scopes")
        if expires_at is not None and expires_at <= clock.utcnow():
            raise ApiKeyError("Choose a date in the future.", "expires_on")
        secret = new_secret()
        key = await self.repository.add(
            ApiKey(
                name=name,
                prefix=secret[:PREFIX_LENGTH],
                key_hash=hash_key(secret),
                user_id=owner.id,
                scopes=chosen,
                expires_at=expires_at,
            )
        )
        audit(
            self.repository.session,
            actor,
            "api_key.created",
            target_type="api_key",
            target_id=key.id,
            target_label=f"{name} ({key.prefix}…)",
            changes={
                "scopes": [None, chosen],
                "expires_at": [None, expires_at],
                "owner": [None, owner.email],
            },
        )
        return key, secret

    async def revoke(self, key_id: UUID, by: CurrentUser, *, actor: Actor, own_only: bool = False) -> ApiKey:
        """Revoke a key of ``by`` (or any key, for a holder of MANAGE_KEYS unless ``own_only``);
        revoking a revoked key changes nothing. Not committed."""
        key = await self.repository.get_one_or_none(id=key_id)
        if key is None or (key.user_id != by.id and (own_only or not by.has_permission(MANAGE_KEYS))):
            raise ApiKeyNotFound
        if key.revoked_at is None:
            key.revoked_at = clock.utcnow()
            audit(
                self.repository.session,
                actor,
                "api_key.revoked",
                target_type="api_key",
                target_id=key.id,
                target_label=f"{key.name} ({key.prefix}…)",
                changes={"revoked_at": [None, key.revoked_at], "owner": [key.user.email, key.user.email]},
            )
        return key

    async def authenticate(self, secret: str, *, ip: str | None) -> ApiPrincipal:
        """The principal for a bearer key, recording its use (at most once a minute); commits that."""
        session = self.repository.session
        key = (await session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))).first()
        if key is None:
            raise ApiAuthError("The API key is not valid.")
        now = clock.utcnow()
        if key.revoked_at is not None:
            raise ApiAuthError("The API key has been revoked.")
        if key.expires_at is not None and key.expires_at <= now:
            raise ApiAuthError("The API key has expired.")
        owner = key.user
        if not owner.is_active:
            raise ApiAuthError("The API key's owner account is inactive.")
        principal = ApiPrincipal(
            key_id=key.id,
            key_name=key.name,
            prefix=key.prefix,
            scopes=tuple(key.scopes),
            expires_at=key.expires_at,
            user_id=owner.id,
            email=owner.email,
            first_name=owner.first_name,
            last_name=owner.last_name,
            roles=tuple(owner.role_names),
            permissions=owner.permissions,
        )
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
            await session.execute(
                update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now, last_used_ip=ip)
            )
            await session.commit()
        return principal
