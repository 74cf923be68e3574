"""Profile, avatar, email change and closing an account (the ``/account/...`` self-service)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity import passwords
from verso.domains.identity.accounts import tokens
from verso.domains.identity.accounts.models import CHANGE_EMAIL, PasswordHistory, UserProfile
from verso.domains.identity.accounts.services import (
    MAX_PER_HOUR,
    RATE_LIMITED,
    AccountError,
    end_sessions,
    link,
    send_account_email,
)
from verso.domains.identity.models import User
from verso.domains.identity.services import normalise_email
from verso.lib.audit import Actor, audit, diff
from verso.lib.storage import STILL_IMAGE_TYPES, sniff_image

MAX_AVATAR_BYTES = 1_000_000
WRONG_PASSWORD = "Your password is not correct."


@dataclass(frozen=True, slots=True)
class ProfileChange:
    first_name: str
    last_name: str
    phone: str
    timezone: str | None
    locale: str | None
    bio: str


def _fields(user: User, profile: UserProfile) -> dict[str, object]:
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "timezone": user.timezone,
        "locale": user.locale,
        "phone": profile.phone or "",
        "bio": profile.bio or "",
        "avatar": profile.avatar_digest,
    }


class ProfileService(SQLAlchemyAsyncRepositoryService[UserProfile]):
    class Repo(SQLAlchemyAsyncRepository[UserProfile]):
        model_type = UserProfile

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return self.repository.session

    async def _user(self, user_id: UUID) -> User:
        user = await self.session.get(User, user_id)
        if user is None or not user.is_active:
            raise AccountError("This account no longer exists.")
        return user

    async def saved_profile(self, user_id: UUID) -> UserProfile | None:
        return await self.session.scalar(select(UserProfile).where(UserProfile.user_id == user_id))

    async def profile_of(self, user_id: UUID) -> UserProfile:
        """The profile row of ``user_id`` (a blank, unsaved one when there is none yet)."""
        return await self.saved_profile(user_id) or UserProfile(user_id=user_id, phone="", bio="")

    async def page(self, user_id: UUID) -> tuple[User, UserProfile]:
        """What the account pages show: the account and its profile."""
        return await self._user(user_id), await self.profile_of(user_id)

    async def avatar(self, digest: str) -> tuple[bytes, str] | None:
        found = await self.session.execute(
            select(UserProfile.avatar, UserProfile.avatar_content_type)
            .where(UserProfile.avatar_digest == digest)
            .limit(1)
        )
        row = found.first()
        if row is None or row[0] is None or row[1] is None:
            return None
        return row[0], row[1]

    async def update_profile(
        self,
        user_id: UUID,
        change: ProfileChange,
        *,
        actor: Actor,
        avatar: bytes | None = None,
        remove_avatar: bool = False,
    ) -> None:
        user = await self._user(user_id)
        profile = await self.profile_of(user_id)
        before = _fields(user, profile)
        if avatar is not None:
            content_type = sniff_image(avatar, allowed=STILL_IMAGE_TYPES)
            if content_type is None:
                raise AccountError("The picture must be a PNG, JPEG or WebP image.", field="avatar")
            if len(avatar) > MAX_AVATAR_BYTES:
                raise AccountError("The picture must be 1 MB or smaller.", field="avatar")
            profile.avatar, profile.avatar_content_type = avatar, content_type
            profile.avatar_digest = hashlib.sha256(avatar).hexdigest()
        elif remove_avatar:
            profile.avatar, profile.avatar_content_type, profile.avatar_digest = None, None, None
        user.first_name, user.last_name = change.first_name.strip(), change.last_name.strip()
        user.timezone, user.locale = change.timezone, change.locale
        profile.phone, profile.bio = change.phone.strip(), change.bio.strip()
        self.session.add(profile)
        changes = diff(before, _fields(user, profile), secret=("phone", "bio"))
        if changes:
            audit(
                self.session,
                actor,
                "account.profile_updated",
                target_type="user",
                target_id=user.id,
                target_label=user.email,
                changes=changes,
            )
        await self.session.commit()

    async def request_email_change(
        self, user_id: UUID, new_email: str, password: str, *, actor: Actor
    ) -> str:
        """Send a confirmation link to the new address; the change happens when it is opened."""
        user = await self._user(user_id)
        new_email = normalise_email(new_email)
        if not await passwords.verify_password(user.password_hash, password):
            raise AccountError(WRONG_PASSWORD, field="password")
        if new_email == user.email:
            raise AccountError("This is already your email address.", field="email")
        if await self.session.scalar(select(User.id).where(User.email == new_email)) is not None:
            raise AccountError("Another account uses this address.", field="email")
        if await tokens.count_recent(self.session, CHANGE_EMAIL, user_id=user.id) >= MAX_PER_HOUR:
            raise AccountError(RATE_LIMITED)
        raw = await tokens.issue(self.session, user_id=user.id, purpose=CHANGE_EMAIL, email=new_email)
        await send_account_email(
            self.session,
            to=new_email,
            subject="Confirm your new email address",
            template="change_email",
            context={
                "name": user.first_name or new_email,
                "verify_url": link(f"/verify/{raw}"),
                "old_email": user.email,
            },
        )
        audit(
            self.session,
            actor,
            "account.email_change_requested",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
            changes={"email": [user.email, new_email]},
        )
        await self.session.commit()
        return new_email

    async def close_account(self, user_id: UUID, password: str, *, actor: Actor) -> None:
        """Deactivate the account and anonymise its personal fields now; every session ends."""
        user = await self._user(user_id)
        if not await passwords.verify_password(user.password_hash, password):
            raise AccountError(WRONG_PASSWORD, field="password")
        profile = await self.saved_profile(user_id)
        user.is_active = False
        user.email = f"deleted-{user.id}@invalid"
        user.username, user.password_hash = None, None
        user.first_name = user.last_name = ""
        user.email_verified, user.timezone, user.locale = False, None, None
        if profile is not None:
            profile.phone = profile.bio = ""
            profile.avatar = profile.avatar_content_type = profile.avatar_digest = None
        await end_sessions(self.session, user.id)
        await tokens.revoke(self.session, user.id)
        await self.session.execute(delete(PasswordHistory).where(PasswordHistory.user_id == user.id))
        audit(
            self.session,
            actor,
            "account.closed",
            target_type="user",
            target_id=user.id,
            target_label=user.email,
        )
        await self.session.commit()
