"""What an upload is, judged by its first bytes (never by its name or the browser's word)."""

from __future__ import annotations

from collections.abc import Collection

PNG = "image/png"
JPEG = "image/jpeg"
WEBP = "image/webp"
GIF = "image/gif"
IMAGE_TYPES: tuple[str, ...] = (PNG, JPEG, WEBP, GIF)
"""Every image type the storage accepts."""
STILL_IMAGE_TYPES: tuple[str, ...] = (PNG, JPEG, WEBP)
"""The types small single-purpose uploads (logo, avatar) accept."""


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
