"""Storing images and other files, and finding them again by their content address."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import partial
from pathlib import PureWindowsPath
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.lib import clock
from verso.lib.db import upsert
from verso.lib.storage._errors import StorageError
from verso.lib.storage._models import KINDS, StoredFile, StoredRendition
from verso.lib.storage._sniff import sniff_file, sniff_image
from verso.settings import get_settings

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000
"""About 8,000 x 6,000: a full-resolution phone photo fits; a decompression bomb does not."""
MAX_DIGITAL_FILE_BYTES = 100 * 1024 * 1024
"""The largest downloadable file (a digital product) kept, unless requests are limited to less."""
_MEGABYTE = 1024 * 1024
_MULTIPART_MARGIN = 64 * 1024
"""Room in a request for the multipart headers and the other form fields around the file."""
_DIGEST = re.compile(r"[0-9a-f]{64}")


def is_digest(value: str) -> bool:
    """Whether ``value`` could be a content address (64 lowercase hex digits)."""
    return _DIGEST.fullmatch(value) is not None


def url_for_file(digest: str, kind: str | None = None) -> str:
    """The content-addressed URL of a stored file (``kind=None``) or one of its renditions.

    The digest names the bytes, so the URL never serves anything else and caches for a year.
    """
    if kind is None:
        return f"/media/{digest}"
    if kind not in KINDS:
        raise ValueError(f"Unknown rendition kind {kind!r}: one of {', '.join(KINDS)}.")
    return f"/media/{digest}/{kind}"


def _size_label(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


def _display_name(filename: str) -> str:
    """The last part of an uploaded name (browsers may send ``C:\\fakepath\\x.png``), shortened."""
    return PureWindowsPath(filename).name.strip()[:255]


async def store_image(
    session: AsyncSession,
    data: bytes,
    *,
    filename: str = "",
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> StoredFile:
    """Store an uploaded image once per content, with its thumb, card and full renditions.

    The type comes from the bytes (PNG, JPEG, WebP, GIF), never from the name; the image must decode
    and stay within ``max_bytes`` and ``max_pixels``, else :class:`StorageError` says why. The same
    bytes stored twice give back the first row. Renditions are made here, once, off the event loop,
    so serving never resizes. Writes into the caller's transaction: the caller commits.
    """
    content_type = sniff_image(data)
    if content_type is None:
        raise StorageError("The file must be a PNG, JPEG, WebP or GIF image.")
    if len(data) > max_bytes:
        raise StorageError(f"The image must be {_size_label(max_bytes)} or smaller.")
    digest = hashlib.sha256(data).hexdigest()
    existing = await _by_digest(session, digest)
    if existing is not None and existing.renditions:
        return existing

    from verso.lib.storage._images import process_image  # Pillow loads on the first upload

    processed = await anyio.to_thread.run_sync(
        partial(process_image, data, content_type, max_pixels=max_pixels)
    )
    now = clock.utcnow()
    if existing is None:
        # ON CONFLICT DO NOTHING: two requests storing the same new bytes at once both end with one row.
        file_id = await session.scalar(
            upsert(session, StoredFile)
            .values(
                digest=digest,
                content_type=content_type,
                size=len(data),
                width=processed.width,
                height=processed.height,
                filename=_display_name(filename),
                data=data,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["digest"])
            .returning(StoredFile.id)
        )
    else:  # the same bytes were kept as a plain file (store_file): now they are an image as well
        existing.width, existing.height = processed.width, processed.height
        file_id = existing.id
    if file_id is not None:
        await session.execute(
            upsert(session, StoredRendition).on_conflict_do_nothing(index_elements=["file_id", "kind"]),
            [
                {
                    "file_id": file_id,
                    "kind": r.kind,
                    "digest": r.digest,
                    "content_type": r.content_type,
                    "size": len(r.data),
                    "width": r.width,
                    "height": r.height,
                    "data": r.data,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in processed.renditions
            ],
        )
    stored = await _by_digest(session, digest, refresh=True)
    assert stored is not None
    return stored


async def store_file(
    session: AsyncSession,
    data: bytes,
    *,
    filename: str,
    content_type: str | None = None,
    max_bytes: int,
) -> StoredFile:
    """Store a file of any type (a digital product's download) once per content, without renditions.

    The type is judged by :func:`sniff_file` (the bytes, then the name; the browser's
    ``content_type`` only as a last resort). The original name is kept for the download; the same
    bytes stored twice give back the first row and its name. Empty or oversize files raise
    :class:`StorageError`. Such files have no width or height and are never served on ``/media``
    (see :func:`cached_response`). Writes into the caller's transaction: the caller commits.
    """
    if not data:
        raise StorageError("The file is empty.")
    if len(data) > max_bytes:
        raise StorageError(f"The file must be {_size_label(max_bytes)} or smaller.")
    digest = hashlib.sha256(data).hexdigest()
    existing = await _by_digest(session, digest)
    if existing is not None:
        return existing
    now = clock.utcnow()
    await session.execute(
        upsert(session, StoredFile)
        .values(
            digest=digest,
            content_type=sniff_file(data, filename, content_type),
            size=len(data),
            width=0,
            height=0,
            filename=_display_name(filename),
            data=data,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["digest"])
    )
    stored = await _by_digest(session, digest, refresh=True)
    assert stored is not None
    return stored


async def find_file(session: AsyncSession, digest: str | None) -> StoredFile | None:
    """The stored file under ``digest`` (name, type, size; its bytes stay unloaded), if any."""
    return await _by_digest(session, digest) if digest and is_digest(digest) else None


@dataclass(frozen=True, slots=True)
class UploadLimit:
    """The largest file one upload may carry, and whether the app's request size limit lowered it."""

    max_bytes: int
    by_request_size: bool

    @property
    def label(self) -> str:
        return _size_label(self.max_bytes)


def upload_limit(wanted: int) -> UploadLimit:
    """``wanted``, or less when ``VERSO_MAX_BODY_BYTES`` (the request size limit) cannot carry it.

    A lowered limit is rounded down to whole megabytes, with room left for the rest of the form, so
    an upload within it is never cut off by the server before the form can say why.
    """
    room = get_settings().max_body_bytes - _MULTIPART_MARGIN
    if room >= wanted:
        return UploadLimit(wanted, by_request_size=False)
    return UploadLimit(room // _MEGABYTE * _MEGABYTE or max(room, 0), by_request_size=True)


async def _by_digest(session: AsyncSession, digest: str, *, refresh: bool = False) -> StoredFile | None:
    stmt = select(StoredFile).where(StoredFile.digest == digest)
    if refresh:
        stmt = stmt.execution_options(populate_existing=True)
    return await session.scalar(stmt)


@dataclass(frozen=True, slots=True)
class Media:
    """Bytes to serve, with their type and the digest that is their ETag."""

    data: bytes
    content_type: str
    digest: str


async def read_media(session: AsyncSession, digest: str, kind: str | None = None) -> Media | None:
    """The original (``kind=None``) or one rendition of the file stored under ``digest``.

    One query, selecting only the columns served; ``None`` for an unknown digest or kind.
    """
    if not is_digest(digest) or (kind is not None and kind not in KINDS):
        return None
    if kind is None:
        stmt: Any = select(StoredFile.data, StoredFile.content_type, StoredFile.digest).where(
            StoredFile.digest == digest
        )
    else:
        stmt = (
            select(StoredRendition.data, StoredRendition.content_type, StoredRendition.digest)
            .join(StoredFile, StoredFile.id == StoredRendition.file_id)
            .where(StoredFile.digest == digest, StoredRendition.kind == kind)
        )
    row = (await session.execute(stmt)).first()
    return None if row is None else Media(data=row[0], content_type=row[1], digest=row[2])
