"""The outbox table: every email Verso sends is first a row here, then delivered by a job."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

QUEUED = "queued"
"""Waiting for (or between attempts of) its ``email.deliver`` job."""
HELD = "held"
"""Kept in the outbox because no SMTP server is configured; an admin can send it later."""
SENT = "sent"
FAILED = "failed"
"""Delivery gave up after the job's last attempt; ``last_error`` says why."""
STATUSES: tuple[str, ...] = (QUEUED, HELD, SENT, FAILED)


class OutboxEmail(BigIntAuditBase):
    """One rendered email and its delivery state."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_status_created_at", "status", "created_at"),)

    personal_data: ClassVar[tuple[str, ...]] = ("to_address", "reply_to", "subject", "html_body", "text_body")
    """Columns holding personal data (GDPR export and erasure)."""

    to_address: Mapped[str] = mapped_column(String(320), index=True)
    from_address: Mapped[str] = mapped_column(String(400))
    reply_to: Mapped[str | None] = mapped_column(String(400), default=None)
    subject: Mapped[str] = mapped_column(String(998))
    html_body: Mapped[str] = mapped_column(Text)
    text_body: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    job_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """The latest ``email.deliver`` job for this row (no foreign key: finished jobs get pruned)."""
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JsonB, default=list)
    """Small text attachments (``{"filename", "content_type", "content"}``), e.g. a calendar invitation."""
    meta: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    """What the sender chose to record (e.g. ``{"kind": "password_reset", "user_id": 7}``) plus the
    template's context keys; never the context values, which may hold tokens."""

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} {self.template} to={self.to_address} {self.status}>"
