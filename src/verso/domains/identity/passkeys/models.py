"""Passkeys (WebAuthn credentials) and the short-lived challenges of a WebAuthn ceremony."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column


class Passkey(UUIDv7AuditBase):
    """A WebAuthn credential registered by a person: signs them in alone (both factors) or as the
    second factor. Only the public key is stored; ``sign_count`` detects cloned authenticators."""

    __tablename__ = "passkey"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    transports: Mapped[list[str]] = mapped_column(JsonB, default=list)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class WebAuthnChallenge(UUIDv7AuditBase):
    """One WebAuthn ceremony in progress: the random challenge the browser must sign, kept on the
    server (the browser holds only a random handle, stored here as SHA-256) and used at most once."""

    __tablename__ = "webauthn_challenge"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    purpose: Mapped[str] = mapped_column(String(20))  # register | authenticate | mfa
    user_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
