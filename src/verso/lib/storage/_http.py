"""Serving content-addressed bytes: the URL names the content, so it never changes and caches for a year."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException

from verso.lib.storage._sniff import IMAGE_TYPES

ONE_YEAR = 31_536_000


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


def cached_response(
    request: Request[Any, Any, Any], digest: str, data: bytes, content_type: str, *, public: bool
) -> Response[bytes]:
    """``data`` under a strong ETag (its digest), cached for a year and never revalidated before then.

    A matching ``If-None-Match`` answers 304 without the body. ``public`` lets shared caches (a CDN,
    a proxy) keep it; private bytes (a profile picture) are kept by the browser only.

    Only images go out this way (else 404): a stored download (a PDF, a ZIP, an HTML page someone
    sells) is never served inline from the site's origin, nor to anyone without a download link.
    """
    if content_type not in IMAGE_TYPES:
        raise NotFoundException()
    etag = f'"{digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'public' if public else 'private'}, max-age={ONE_YEAR}, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=headers, media_type=content_type)
    return Response(content=data, media_type=content_type, headers=headers)
