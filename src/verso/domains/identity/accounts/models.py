"""Models for self-service accounts (imported by ``identity/models.py`` so migrations see them).

- :class:`UserProfile`: the self-service profile fields that are not on ``user_account`` (one row per
  user, created on first save).
- :class:`PasswordHistory`: the hashes of a user's recent passwords, so they cannot be reused.
- :class:`AccountToken`: single-use links sent by email (verify an address, reset a password, confirm
  a new address). Only the SHA-256 of the token is stored; rows double as the rate-limit counter.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
CHANGE_EMAIL = "change_email"
PURPOSES = (VERIFY_EMAIL, RESET_PASSWORD, CHANGE_EMAIL)


class UserProfile(UUIDv7AuditBase):
    """Phone, bio and avatar of one account (names, time zone and locale stay on ``user_account``)."""

    __tablename__ = "user_profile"

    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True, index=True
    )
    phone: Mapped[str] = mapped_column(String(40), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    avatar_content_type: Mapped[str | None] = mapped_column(String(50))
    avatar_digest: Mapped[str | None] = mapped_column(String(64), index=True)

    __personal_data__ = ("phone", "bio", "avatar")

    @property
    def avatar_url(self) -> str | None:
        return f"/media/avatar/{self.avatar_digest}" if self.avatar_digest else None


class PasswordHistory(BigIntAuditBase):
    """One password a user has set (argon2id hash), newest with the highest id."""

    __tablename__ = "password_history"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))


class AccountToken(BigIntAuditBase):
    """A single-use emailed link. ``email`` is the address it was sent to (the new one for a change)."""

    __tablename__ = "account_token"
    __table_args__ = (Index("ix_account_token_purpose_email_created", "purpose", "email", "created_at"),)

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __personal_data__ = ("email",)
