"""Pillow work on an upload: prove it decodes, then make the renditions.

Synchronous and CPU-bound: callers run :func:`process_image` in a worker thread. Pillow is imported
inside the functions, so the app starts without it (the start-up budget) and pays for it on the
first upload.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

from verso.lib.storage._errors import StorageError
from verso.lib.storage._models import RENDITION_EDGES
from verso.lib.storage._sniff import GIF, JPEG, PNG, WEBP

if TYPE_CHECKING:
    from PIL.Image import Image

PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", WEBP: "WEBP", GIF: "GIF"}
RENDITION_TYPE = "image/webp"
WEBP_QUALITY = 82
UNREADABLE = "The image could not be read; the file may be damaged."


@dataclass(frozen=True, slots=True)
class Rendition:
    kind: str
    data: bytes
    digest: str
    width: int
    height: int
    content_type: str = RENDITION_TYPE


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """The checked original's displayed size and its renditions, largest first."""

    width: int
    height: int
    renditions: tuple[Rendition, ...]


def process_image(data: bytes, content_type: str, *, max_pixels: int) -> ProcessedImage:
    """Check that ``data`` really decodes as ``content_type`` within ``max_pixels``; make renditions.

    Raises :class:`StorageError` for anything Pillow cannot read, for more pixels than allowed
    (a decompression bomb: a few KB that would decode to gigabytes), or for a type mismatch.
    """
    from PIL import Image

    fmt = PILLOW_FORMATS[content_type]
    try:
        with Image.open(BytesIO(data), formats=[fmt]) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise StorageError(_too_many_pixels(max_pixels))
            probe.verify()
        with Image.open(BytesIO(data), formats=[fmt]) as image:
            if _swaps_sides(image):
                width, height = height, width
            if fmt == "JPEG":
                image.draft(None, (RENDITION_EDGES["full"], RENDITION_EDGES["full"]))  # decode smaller
            base = _normalise(image)
            renditions = _renditions(base)
    except Image.DecompressionBombError as exc:
        raise StorageError(_too_many_pixels(max_pixels)) from exc
    except StorageError:
        raise
    except Exception as exc:  # Pillow reports damage as OSError, SyntaxError, ValueError, struct.error...
        raise StorageError(UNREADABLE) from exc
    return ProcessedImage(width=width, height=height, renditions=renditions)


def _too_many_pixels(max_pixels: int) -> str:
    return f"The image has too many pixels: at most {max_pixels / 1_000_000:g} megapixels."


def _swaps_sides(image: Image) -> bool:
    """EXIF orientations 5-8 turn the picture a quarter: its displayed width is its stored height."""
    return image.getexif().get(0x0112, 1) in (5, 6, 7, 8)


def _normalise(image: Image) -> Image:
    """Upright, in sRGB, as RGB or RGBA, with no metadata left (EXIF, XMP, ICC profile)."""
    from PIL import ImageOps

    upright = ImageOps.exif_transpose(image)  # loads the pixels (first frame of an animation)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    icc = upright.info.get("icc_profile")
    converted = _to_srgb(upright, icc, mode) if icc else None
    result = converted or (upright if upright.mode == mode else upright.convert(mode))
    result.info.clear()
    return result


def _to_srgb(image: Image, icc: bytes, mode: str) -> Image | None:
    """Colours of a tagged image (Adobe RGB, Display P3, CMYK...) mapped to sRGB, which is what the
    untagged renditions are read as. ``None`` when the profile cannot be used."""
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
            image = image.convert(mode)
        elif image.mode == "RGBA" and mode == "RGB":
            image = image.convert("RGB")
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _renditions(base: Image) -> tuple[Rendition, ...]:
    """Each kind from the next larger one (largest first): fewer pixels to resample each time."""
    from PIL import Image as PILImage

    made = []
    current = base
    for kind, edge in sorted(RENDITION_EDGES.items(), key=lambda item: -item[1]):
        current = current.copy()
        current.thumbnail((edge, edge), PILImage.Resampling.LANCZOS)  # keeps the ratio, never enlarges
        buffer = BytesIO()
        current.save(buffer, "WEBP", quality=WEBP_QUALITY)
        data = buffer.getvalue()
        made.append(
            Rendition(
                kind=kind,
                data=data,
                digest=hashlib.sha256(data).hexdigest(),
                width=current.width,
                height=current.height,
            )
        )
    return tuple(made)
