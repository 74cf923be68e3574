"""Digital downloads: the emailed link ``/downloads/{secret}`` (public: the secret is the authority)
and the customer's /account/downloads, whose buttons post the token id instead (the secret is not
stored, so the account cannot rebuild the emailed URL). Both answer through :func:`_answer`: the file
as an attachment, or a page (410) that says why not and how to get help.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_410_GONE

from verso.domains.identity.deps import client_ip, require_user
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.domains.orders.models import DownloadToken
from verso.domains.orders.services._downloads import (
    SERVED,
    DownloadResult,
    content_disposition,
    customer_token,
    deliver_download,
    digital_purchases,
    token_for_secret,
)
from verso.lib.db import DbSession
from verso.lib.htmx import render

T = "orders/downloads/"
NO_STORE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


async def _answer(request: Request[Any, Any, Any], db_session: DbSession, token: DownloadToken) -> Any:
    """Try the download and answer with the file or with why not."""
    result: DownloadResult = await deliver_download(
        db_session, token, ip=client_ip(request), user_agent=request.headers.get("user-agent")
    )
    if result.outcome == SERVED and result.media is not None:
        return Response(
            content=result.media.data,
            media_type=result.media.content_type,
            status_code=HTTP_200_OK,  # also for the account's POST
            headers={**NO_STORE, "Content-Disposition": content_disposition(token.filename)},
        )
    return render(
        request,
        T + "unavailable.html",
        {"result": result},
        status_code=HTTP_410_GONE,
        headers=NO_STORE,
    )


# The secret travels in the path parameter ``token`` (the crawl test fills it with a fake one: 404).
@get("/downloads/{token:str}", permission=PUBLIC, setup_gate=True)
async def download(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    found = await token_for_secret(db_session, token)
    if found is None:
        raise NotFoundException("This download link is not valid. Check that the whole link was copied.")
    return await _answer(request, db_session, found)


@get("/account/downloads", permission=AUTHENTICATED, setup_gate=True)
async def downloads_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    purchases = await digital_purchases(db_session, require_user(request).id)
    return render(request, T + "index.html", {"purchases": purchases}, block="downloads")


@post("/account/downloads/{token_id:uuid}", permission=AUTHENTICATED, setup_gate=True)
async def account_download(
    request: Request[Any, Any, Any], db_session: DbSession, token_id: FromPath[UUID]
) -> Any:
    """The account's download button: only a link of one of the customer's own orders (else 404)."""
    found = await customer_token(db_session, require_user(request).id, token_id)
    if found is None:
        raise NotFoundException("No such download.")
    return await _answer(request, db_session, found)


routes = [download, downloads_page, account_download]
