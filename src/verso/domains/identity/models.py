"""Users, roles and signed-in sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase, UUIDv7AuditBase, orm_registry
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

user_role = Table(
    "user_role",
    orm_registry.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id", ondelete="CASCADE"), primary_key=True),
)


class Role(UUIDv7AuditBase):
    """A named set of permission strings (``shop.products.write``); ``*`` grants everything."""

    __tablename__ = "role"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    permissions: Mapped[list[str]] = mapped_column(JsonB, default=list)
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    require_mfa: Mapped[bool] = mapped_column(Boolean, default=False)


class User(UUIDv7AuditBase):
    """A person who signs in: staff or customer (their roles say which)."""

    __tablename__ = "user_account"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str | None] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(120), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    manager_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    roles: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin")

    __personal_data__ = ("email", "username", "first_name", "last_name")

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.username or self.email

    @property
    def role_names(self) -> list[str]:
        return sorted(role.name for role in self.roles)

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(p for role in self.roles for p in role.permissions)


class UserSession(UUIDv7AuditBase):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    last_seen_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)

    user: Mapped[User] = relationship(lazy="joined")

    __personal_data__ = ("ip_address", "user_agent")


class LoginAttempt(BigIntAuditBase):
    """One sign-in attempt, kept for lockout, rate limits and the security page."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_login_created", "login", "created_at"),
        Index("ix_login_attempt_ip_created", "ip_address", "created_at"),
    )

    login: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(30))

    __personal_data__ = ("login", "ip_address", "user_agent")


class IPBlock(UUIDv7AuditBase):
    """An address refused at sign-in: added by staff, or automatically after failures across accounts."""

    __tablename__ = "ip_block"

    ip_address: Mapped[str] = mapped_column(String(45), index=True)
    reason: Mapped[str] = mapped_column(String(255), default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    created_by: Mapped[str] = mapped_column(String(255), default="system")


class TOTPDevice(UUIDv7AuditBase):
    """An authenticator app. The secret is encrypted with a key derived from the app secret."""

    __tablename__ = "totp_device"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="Authenticator app")
    secret_encrypted: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_step: Mapped[int] = mapped_column(default=0)  # a code is accepted once: no replay


class BackupCode(BigIntAuditBase):
    """A single-use recovery code, stored as SHA-256 (the codes are random, 50 bits each)."""

    __tablename__ = "backup_code"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class MFAChallenge(UUIDv7AuditBase):
    """The step between a correct password and a signed-in session: short-lived, few attempts."""

    __tablename__ = "mfa_challenge"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    next_url: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    email_code_hash: Mapped[str | None] = mapped_column(String(64))  # the fallback channel
    email_code_expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    emails_sent: Mapped[int] = mapped_column(default=0)


class TrustedDevice(UUIDv7AuditBase):
    """A browser where the person chose "trust this device": no /mfa step there for 30 days."""

    __tablename__ = "trusted_device"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class Invitation(UUIDv7AuditBase):
    """A staff invitation: the emailed link lets the person choose a password. Single use, 7 days."""

    __tablename__ = "invitation"

    email: Mapped[str] = mapped_column(String(254), index=True)
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    roles: Mapped[list[str]] = mapped_column(JsonB, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __personal_data__ = ("email", "first_name", "last_name")


# Self-service account models live in their own module; importing them here registers their tables.
from verso.domains.identity.accounts import models as _accounts_models  # noqa: E402, F401
from verso.domains.identity.oidc import models as _oidc_models  # noqa: E402, F401
from verso.domains.identity.passkeys import models as _passkey_models  # noqa: E402, F401
