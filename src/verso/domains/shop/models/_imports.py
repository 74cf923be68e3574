"""CSV imports of products: one row per uploaded file, followed from upload to the applied change.

A run is checked and applied by background jobs; the page polls the row for progress. The file's text
is kept while the run may still be applied (its rows are read again then) and dropped once it is
applied, found invalid or failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

# uploaded -> validating -> ready | invalid;  ready -> applying -> done | invalid | failed
IMPORT_STATUSES = ("uploaded", "validating", "ready", "invalid", "applying", "done", "failed")
RUNNING_STATUSES = ("uploaded", "validating", "applying")


class ImportRun(UUIDv7AuditBase):
    """An uploaded product CSV: its text, how far the checks got, what they found, and the outcome.

    ``errors`` holds ``{"row", "column", "message"}`` dicts (the first few hundred; ``error_count``
    counts them all). ``summary`` holds the counts, warnings and new attribute values the preview
    shows; ``preview`` the first rows as they will be read."""

    __tablename__ = "shop_import_run"

    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(12), default="uploaded", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    content: Mapped[str] = mapped_column(Text, default="", deferred=True)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    preview: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_by_label: Mapped[str] = mapped_column(String(255), default="")
    applied_by_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    applied_by_label: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    __personal_data__ = ("created_by_label", "applied_by_label")

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def can_apply(self) -> bool:
        return self.status == "ready" and self.error_count == 0

    @property
    def percent(self) -> int:
        return min(100, self.processed_rows * 100 // self.total_rows) if self.total_rows else 0
