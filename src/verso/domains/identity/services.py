"""Identity rules: accounts, roles, password sign-in and server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity import passwords
from verso.domains.identity.models import Role, TOTPDevice, User, UserSession
from verso.domains.identity.permissions import DEFAULT_ROLES, STAFF, grants
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.settings import get_settings

TOUCH_EVERY = timedelta(seconds=60)


class IdentityError(Exception):
    """A refused identity action, with a message fit to show the person."""


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The signed-in person as every request sees it (no lazy loading, safe in templates)."""

    id: UUID
    email: str
    display_name: str
    permissions: frozenset[str]
    roles: tuple[str, ...]
    session_id: UUID
    timezone: str | None = None
    must_enrol_mfa: bool = False  # a role requires two-step verification and none is set up yet
    email_verified: bool = True

    def has_permission(self, name: str) -> bool:
        return grants(self.permissions, name)

    @property
    def is_staff(self) -> bool:
        return self.has_permission(STAFF)

    def actor(self, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return Actor(id=str(self.id), label=self.email, ip=ip, user_agent=user_agent)


def normalise_email(email: str) -> str:
    return email.strip().lower()


class RoleService(SQLAlchemyAsyncRepositoryService[Role]):
    class Repo(SQLAlchemyAsyncRepository[Role]):
        model_type = Role

    repository_type = Repo

    async def ensure_defaults(self) -> dict[str, Role]:
        """Create the default roles that are missing; never overwrite an edited role."""
        existing = {role.name: role for role in await self.repository.session.scalars(select(Role))}
        for name, (description, permissions) in DEFAULT_ROLES.items():
            if name not in existing:
                existing[name] = await self.repository.add(
                    Role(name=name, description=description, permissions=permissions, is_system=True)
                )
        return existing


class UserService(SQLAlchemyAsyncRepositoryService[User]):
    class Repo(SQLAlchemyAsyncRepository[User]):
        model_type = User

    repository_type = Repo

    async def find_by_login(self, login: str) -> User | None:
        """The account whose email or username is ``login`` (case-insensitive)."""
        value = login.strip().lower()
        if not value:
            return None
        stmt = select(User).where(or_(User.email == value, func.lower(User.username) == value))
        return (await self.repository.session.scalars(stmt)).first()

    async def create_account(
        self,
        *,
        email: str,
        password: str,
        roles: list[str],
        actor: Actor,
        first_name: str = "",
        last_name: str = "",
        email_verified: bool = False,
    ) -> User:
        """Create an account with ``roles`` (default roles are created if missing); not committed."""
        email = normalise_email(email)
        if await self.find_by_login(email):
            raise IdentityError("An account with this email already exists.")
        role_map = await RoleService(session=self.repository.session).ensure_defaults()
        unknown = [name for name in roles if name not in role_map]
        if unknown:
            raise IdentityError(f"Unknown role: {', '.join(unknown)}.")
        user = User(
            email=email,
            password_hash=await passwords.hash_password(password),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email_verified=email_verified,
            roles=[role_map[name] for name in roles],
        )
        await self.repository.add(user)
        audit(
            self.repository.session,
            actor,
            "user.created",
            target_type="user",
            target_id=user.id,
            target_label=email,
            changes={"roles": [None, sorted(roles)]},
        )
        return user

    async def authenticate(self, user: User | None, password: str) -> tuple[User | None, str]:
        """``(user, "ok")`` if ``password`` matches the active ``user``, else ``(None, why)``.

        The password is hashed even for an unknown account, so timing reveals nothing; an outdated
        hash is replaced at a successful sign-in.
        """
        ok = await passwords.verify_password(user.password_hash if user else None, password)
        if user is None:
            return None, "unknown"
        if not ok:
            return None, "bad_password"
        if not user.is_active:
            return None, "inactive"
        if user.password_hash and passwords.needs_rehash(user.password_hash):
            user.password_hash = await passwords.hash_password(password)
        user.last_login_at = clock.utcnow()
        return user, "ok"

    async def admin_exists(self) -> bool:
        stmt = select(User.id).join(User.roles).where(Role.name == "admin", User.is_active.is_(True)).limit(1)
        return (await self.repository.session.scalar(stmt)) is not None


def hash_token(token: str) -> str:
    """What the database keeps of a session token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def _has_second_factor(session: AsyncSession, user_id: UUID) -> bool:
    """An authenticator app or a passkey: either satisfies a role that requires two-step sign-in."""
    from verso.domains.identity.passkeys.models import Passkey

    app = select(TOTPDevice.id).where(TOTPDevice.user_id == user_id, TOTPDevice.confirmed_at.is_not(None))
    key = select(Passkey.id).where(Passkey.user_id == user_id)
    return (await session.scalar(app.limit(1))) is not None or (
        await session.scalar(key.limit(1))
    ) is not None


class SessionService(SQLAlchemyAsyncRepositoryService[UserSession]):
    """Server-side sessions in the database, so they work across processes and can be revoked."""

    class Repo(SQLAlchemyAsyncRepository[UserSession]):
        model_type = UserSession

    repository_type = Repo

    async def start(self, user: User, *, ip: str | None, user_agent: str | None) -> str:
        """Open a session for ``user``; returns the cookie token (a fresh id at every sign-in)."""
        settings = get_settings()
        now = clock.utcnow()
        token = secrets.token_urlsafe(32)
        await self.repository.add(
            UserSession(
                token_hash=hash_token(token),
                user_id=user.id,
                ip_address=ip,
                user_agent=(user_agent or "")[:500] or None,
                last_seen_at=now,
                expires_at=now + timedelta(hours=settings.session_max_hours),
            )
        )
        return token

    async def resolve(self, token: str) -> CurrentUser | None:
        """The signed-in person for a cookie token, or ``None`` if unknown, idle or expired."""
        user, _fresh_until = await self.resolve_until(token)
        return user

    async def resolve_until(self, token: str) -> tuple[CurrentUser | None, datetime | None]:
        """:meth:`resolve`, and until when that answer holds if nothing changes: the session's
        expiry, its idle limit, or the next time its last-seen time is due to be written."""
        if not token or len(token) > 100:
            return None, None
        session: AsyncSession = self.repository.session
        row = await session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
        if row is None:
            return None, None
        now = clock.utcnow()
        idle_limit = timedelta(minutes=get_settings().session_idle_minutes)
        if row.expires_at <= now or row.last_seen_at + idle_limit <= now or not row.user.is_active:
            await session.execute(delete(UserSession).where(UserSession.id == row.id))
            await session.commit()
            return None, None
        last_seen = row.last_seen_at
        if now - last_seen >= TOUCH_EVERY:
            await session.execute(
                update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now)
            )
            await session.commit()
            last_seen = now
        user = row.user
        must_enrol = any(role.require_mfa for role in user.roles) and (
            await session.scalar(
                select(TOTPDevice.id).where(
                    TOTPDevice.user_id == user.id, TOTPDevice.confirmed_at.is_not(None)
                )
            )
            is None
        )
        current = CurrentUser(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            permissions=user.permissions,
            roles=tuple(user.role_names),
            session_id=row.id,
            timezone=user.timezone,
            must_enrol_mfa=must_enrol,
            email_verified=user.email_verified,
        )
        return current, min(row.expires_at, last_seen + idle_limit, last_seen + TOUCH_EVERY)

    async def end(self, token: str) -> None:
        await self.repository.session.execute(
            delete(UserSession).where(UserSession.token_hash == hash_token(token))
        )
