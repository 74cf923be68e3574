"""Tables of the media storage: the uploaded original and its resized renditions.

Bytes live in the database (``LargeBinary``: BLOB on SQLite, bytea on PostgreSQL) so every process
and host sees the same media without a shared disk. ``data`` columns are deferred: loading a row for
its size or digest never drags the bytes along.
"""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

THUMB = "thumb"
CARD = "card"
FULL = "full"
RENDITION_EDGES: dict[str, int] = {FULL: 1600, CARD: 480, THUMB: 160}
"""Longest side in pixels of each rendition kind (never upscaled)."""
KINDS: tuple[str, ...] = (THUMB, CARD, FULL)


class StoredFile(UUIDv7AuditBase):
    """One uploaded file, stored once per content: ``digest`` (SHA-256 of the bytes) is its address."""

    __tablename__ = "stored_file"

    digest: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    """Width as displayed (after EXIF orientation)."""
    height: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255), default="")
    """The name it was uploaded under, for display only (the first upload's name wins)."""
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    renditions: Mapped[list[StoredRendition]] = relationship(
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StoredRendition.width",
    )

    def rendition(self, kind: str) -> StoredRendition | None:
        return next((r for r in self.renditions if r.kind == kind), None)

    def __repr__(self) -> str:
        return f"<StoredFile {self.digest[:12]} {self.content_type} {self.width}x{self.height}>"


class StoredRendition(UUIDv7AuditBase):
    """A resized WebP copy of a stored image, made once when the original was stored.

    ``digest`` is the SHA-256 of these bytes (the ETag). It is not unique across rows: a small
    image's three renditions are the same bytes, and so are those of two originals that differ only
    in metadata. The address is the original's digest plus the kind, unique per file.
    """

    __tablename__ = "stored_rendition"
    __table_args__ = (UniqueConstraint("file_id", "kind", name="uq_stored_rendition_file_kind"),)

    file_id: Mapped[UUID] = mapped_column(ForeignKey("stored_file.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    digest: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(50))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    def __repr__(self) -> str:
        return f"<StoredRendition {self.kind} {self.width}x{self.height}>"
