"""API keys: a secret shown once, stored as its SHA-256, found again by a visible prefix."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from verso.domains.identity.models import User
from verso.lib import clock


class ApiKey(UUIDv7AuditBase):
    """A person's key for ``/api/v1``; acts as its owner, limited to its scopes."""

    __tablename__ = "api_key"

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JsonB, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    user: Mapped[User] = relationship(lazy="selectin")

    __personal_data__ = ("last_used_ip",)

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= clock.utcnow():
            return "expired"
        return "active"
