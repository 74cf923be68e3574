"""Media storage shared by every domain: uploads kept in the database, addressed by their content.

:func:`store_image` checks an upload by its bytes (PNG, JPEG, WebP, GIF; a size and a pixel limit;
it must decode), stores it once per SHA-256 digest and makes its renditions (``thumb``, ``card``,
``full``: WebP, upright, without metadata) at that moment, never when serving. :func:`url_for_file`
gives the content-addressed URL (``/media/{digest}`` or ``/media/{digest}/{kind}``) that
:func:`read_media` and :func:`cached_response` serve with a year of caching and an ETag.
Bytes live in the database so every process and host shares them. Pillow loads on first use.

:func:`store_file` keeps any other file (a digital product's download) the same way, without
renditions, under the type :func:`sniff_file` judges; :func:`read_media` returns it for the download
link, while :func:`cached_response` (the public ``/media`` routes) serves images only.
"""

from verso.lib.storage._errors import StorageError
from verso.lib.storage._http import ONE_YEAR, cached_response
from verso.lib.storage._models import CARD, FULL, KINDS, RENDITION_EDGES, THUMB, StoredFile, StoredRendition
from verso.lib.storage._service import (
    MAX_DIGITAL_FILE_BYTES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    Media,
    UploadLimit,
    find_file,
    is_digest,
    read_media,
    store_file,
    store_image,
    upload_limit,
    url_for_file,
)
from verso.lib.storage._sniff import (
    GIF,
    IMAGE_TYPES,
    JPEG,
    OCTET_STREAM,
    PDF,
    PNG,
    STILL_IMAGE_TYPES,
    WEBP,
    sniff_file,
    sniff_image,
)

__all__ = [
    "CARD",
    "FULL",
    "GIF",
    "IMAGE_TYPES",
    "JPEG",
    "KINDS",
    "MAX_DIGITAL_FILE_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "OCTET_STREAM",
    "ONE_YEAR",
    "PDF",
    "PNG",
    "RENDITION_EDGES",
    "STILL_IMAGE_TYPES",
    "THUMB",
    "WEBP",
    "Media",
    "StorageError",
    "StoredFile",
    "StoredRendition",
    "UploadLimit",
    "cached_response",
    "find_file",
    "is_digest",
    "read_media",
    "sniff_file",
    "sniff_image",
    "store_file",
    "store_image",
    "upload_limit",
    "url_for_file",
]
