"""Business settings: one row that every module reads through the cached service."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column


class BusinessSettings(BigIntAuditBase):
    __tablename__ = "business_settings"

    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    enabled_modules: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # Customer actions (lib.modules declared actions) that need a verified email address.
    verified_actions: Mapped[list[str]] = mapped_column(JsonB, default=list, server_default="[]")
    logo: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    logo_content_type: Mapped[str | None] = mapped_column(String(50))
    logo_digest: Mapped[str | None] = mapped_column(String(64))
    setup_completed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
