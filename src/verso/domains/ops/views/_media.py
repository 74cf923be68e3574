"""Stored media on content-addressed URLs: originals and their renditions, cached for a year."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from verso.domains.identity.permissions import PUBLIC
from verso.lib.db import DbSession
from verso.lib.storage import cached_response, read_media

# Publicly cacheable responses carry no Set-Cookie: a shared cache would hand one visitor's CSRF
# cookie to everyone (``exclude_from_csrf`` keeps Litestar's CSRF middleware from adding it).


async def _serve(
    request: Request[Any, Any, Any], db_session: DbSession, digest: str, kind: str | None
) -> Response[bytes]:
    media = await read_media(db_session, digest, kind)
    if media is None:
        raise NotFoundException()
    return cached_response(request, media.digest, media.data, media.content_type, public=True)


@get("/media/{digest:str}", permission=PUBLIC, exclude_from_csrf=True)
async def media_file(
    digest: FromPath[str], db_session: DbSession, request: Request[Any, Any, Any]
) -> Response[bytes]:
    """An uploaded original (product photo, CMS image), as uploaded."""
    return await _serve(request, db_session, digest, None)


@get("/media/{digest:str}/{kind:str}", permission=PUBLIC, exclude_from_csrf=True)
async def media_rendition(
    digest: FromPath[str], kind: FromPath[str], db_session: DbSession, request: Request[Any, Any, Any]
) -> Response[bytes]:
    """One rendition (``thumb``, ``card``, ``full``) of an uploaded image, as WebP."""
    return await _serve(request, db_session, digest, kind)


routes = [media_file, media_rendition]
