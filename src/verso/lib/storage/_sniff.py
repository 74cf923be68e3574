"""What an upload is, judged by its first bytes (never by its name or the browser's word)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Collection
from pathlib import PureWindowsPath

PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
GIF = "image/gif"
IMAGE_TYPES: tuple[str, ...] = (PNG, JPEG, WEBP, GIF)
"""Every image type the storage accepts."""
STILL_IMAGE_TYPES: tuple[str, ...] = (PNG, JPEG, WEBP)
"""The types small single-purpose uploads (logo, avatar) accept."""
PDF = "application/pdf"
OCTET_STREAM = "application/octet-stream"
MAX_TYPE_LENGTH = 50
"""``stored_file.content_type`` is ``String(50)``: a longer type (some office formats) is not kept."""
_ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/xml",
        "application/xml",
    }
)
"""Types a browser would run or render with scripts if they were ever served inline: kept as bytes."""
_BY_NAME = mimetypes.MimeTypes(filenames=())
"""Python's own table, not the host's ``/etc/mime.types``: the same name gets the same type everywhere."""
_BY_NAME.add_type("application/epub+zip", ".epub")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def sniff_image(data: bytes, *, allowed: Collection[str] = IMAGE_TYPES) -> str | None:
    """The image type by content (a text file renamed ``.png`` is not a PNG), or ``None``.

    Only types in ``allowed`` are answered; anything else, including a real image of another
    type, is ``None``.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif data.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        found = WEBP
    elif data.startswith((b"GIF87a", b"GIF89a")):
        found = GIF
    else:
        return None
    return found if found in allowed else None


def sniff_file(data: bytes, filename: str, declared: str | None = None) -> str:
    """The content type to record for a downloadable file of any kind.

    Images and PDFs are judged by their bytes. Otherwise the file name's extension decides, then the
    browser's ``declared`` type, each only when well formed and not claiming to be an image the bytes
    are not, nor a type that runs scripts; else ``application/octet-stream``.
    """
    sniffed = sniff_image(data) or (PDF if data.startswith(b"%PDF-") else None)
    if sniffed:
        return sniffed
    guessed, _ = _BY_NAME.guess_type(PureWindowsPath(filename).name, strict=False)
    for candidate in (guessed, declared):
        kind = (candidate or "").split(";", 1)[0].strip().lower()
        if (
            _MEDIA_TYPE.fullmatch(kind)
            and len(kind) <= MAX_TYPE_LENGTH
            and kind not in IMAGE_TYPES
            and kind not in _ACTIVE_TYPES
        ):
            return kind
    return OCTET_STREAM
