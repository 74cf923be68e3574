"""Digital downloads: a link per paid digital order line, limited in uses and time, and a log of every
attempt.

The emailed URL carries a random secret; only its SHA-256 is stored, so the database alone cannot
rebuild a working link. The customer's account serves the same files by token id after checking the
token belongs to one of their orders. Both paths go through :func:`deliver_download`, which decides,
counts (one conditional UPDATE, so two clicks at once never pass the limit) and logs.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PureWindowsPath
from urllib.parse import quote
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import DownloadLog, DownloadToken, Order, OrderLine
from verso.lib import clock
from verso.lib.storage import Media, StoredFile, read_media

MAX_DOWNLOADS = 5
LINK_LIFETIME = timedelta(days=30)
LIVE_STATUSES = frozenset({"paid", "processing", "shipped", "delivered"})
"""Order statuses whose downloads work; a refunded or cancelled order's links stop."""
SERVED, LIMIT, EXPIRED, UNAVAILABLE, MISSING = "served", "limit", "expired", "unavailable", "missing"
"""Outcomes of an attempt, as logged: served, or why not (``unavailable``: the order was refunded or
cancelled; ``missing``: the file is no longer stored)."""
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def token_hash(raw: str) -> str:
    """What is stored for a link's secret: its SHA-256, in hex."""
    return hashlib.sha256(raw.encode()).hexdigest()


def download_filename(stored_name: str, fallback: str, content_type: str = "") -> str:
    """A safe file name to save under: the uploaded name, else ``fallback`` (the line's name) with an
    extension for the file's type."""
    name = _UNSAFE.sub("_", PureWindowsPath(stored_name).name).strip(" ._")
    if not name:
        name = _UNSAFE.sub("_", fallback).strip(" ._") or "download"
        extension = mimetypes.guess_extension(content_type) if content_type else None
        if extension and not name.lower().endswith(extension):
            name += extension
    return name[:200]


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII name for old clients and the exact name as RFC 5987 ``filename*``."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = _UNSAFE.sub("_", ascii_name).strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def token_state(token: DownloadToken, order_status: str, now: datetime) -> str:
    """Whether the link would serve now (:data:`SERVED`), or why it would not."""
    if order_status not in LIVE_STATUSES:
        return UNAVAILABLE
    if token.expires_at is not None and now >= token.expires_at:
        return EXPIRED
    if token.downloads >= token.max_downloads:
        return LIMIT
    return SERVED


async def issue_download_tokens(
    session: AsyncSession, order: Order, lines: Sequence[OrderLine]
) -> list[tuple[DownloadToken, str]]:
    """One link per digital line with a file, for a just-paid order: ``(token, raw secret)`` pairs,
    the secret to put in the emailed URL (``/downloads/{secret}``) and nowhere else. A line that
    already has a link gets none (a replayed payment issues nothing new). Does not commit."""
    digital = [line for line in lines if line.is_digital and line.digital_file_digest]
    if not digital:
        return []
    await session.flush()  # the order and its lines have their ids
    existing = set(
        await session.scalars(
            select(DownloadToken.line_id).where(DownloadToken.line_id.in_([line.id for line in digital]))
        )
    )
    files = {
        digest: (name, content_type)
        for digest, name, content_type in await session.execute(
            select(StoredFile.digest, StoredFile.filename, StoredFile.content_type).where(
                StoredFile.digest.in_({line.digital_file_digest for line in digital})
            )
        )
    }
    expires_at = clock.utcnow() + LINK_LIFETIME
    issued = []
    for line in digital:
        if line.id in existing:
            continue
        digest = line.digital_file_digest or ""
        stored_name, content_type = files.get(digest, ("", ""))
        raw = secrets.token_urlsafe(32)
        token = DownloadToken(
            order_id=order.id,
            line_id=line.id,
            token_hash=token_hash(raw),
            digest=digest,
            filename=download_filename(stored_name, line.name, content_type),
            downloads=0,
            max_downloads=MAX_DOWNLOADS,
            expires_at=expires_at,
        )
        session.add(token)
        issued.append((token, raw))
    await session.flush()
    return issued


async def token_for_secret(session: AsyncSession, raw: str) -> DownloadToken | None:
    """The link whose secret is ``raw`` (from the emailed URL), if any."""
    return await session.scalar(select(DownloadToken).where(DownloadToken.token_hash == token_hash(raw)))


async def customer_token(session: AsyncSession, customer_id: UUID, token_id: UUID) -> DownloadToken | None:
    """A link of one of the customer's orders; ``None`` when it is someone else's or does not exist."""
    return await session.scalar(
        select(DownloadToken)
        .join(Order, Order.id == DownloadToken.order_id)
        .where(DownloadToken.id == token_id, Order.customer_id == customer_id)
    )


@dataclass(frozen=True, slots=True)
class DownloadResult:
    """What one attempt came to: the file to send when ``outcome`` is :data:`SERVED`, else why not,
    with what the refusal page needs."""

    outcome: str
    token: DownloadToken
    order_number: str
    order_status: str
    media: Media | None = None


async def deliver_download(
    session: AsyncSession, token: DownloadToken, *, ip: str | None, user_agent: str | None
) -> DownloadResult:
    """Serve the link's file if it may be served, counting the use; log the attempt either way.

    The count goes up in one conditional UPDATE (``downloads < max_downloads``), so concurrent
    clicks never pass the limit. Commits: the log row stays even when the file is refused."""
    number, status = (
        await session.execute(select(Order.number, Order.status).where(Order.id == token.order_id))
    ).one()
    outcome = token_state(token, status, clock.utcnow())
    media = None
    if outcome == SERVED:
        media = await read_media(session, token.digest)
        if media is None:
            outcome = MISSING
    if outcome == SERVED:
        counted = await session.execute(
            update(DownloadToken)
            .where(DownloadToken.id == token.id, DownloadToken.downloads < DownloadToken.max_downloads)
            .values(downloads=DownloadToken.downloads + 1)
            .execution_options(synchronize_session=False)
        )
        if counted.rowcount != 1:  # type: ignore[attr-defined]
            outcome, media = LIMIT, None
    session.add(
        DownloadLog(
            token_id=token.id,
            outcome=outcome,
            ip=(ip or "")[:45],
            user_agent=(user_agent or "")[:300],
        )
    )
    await session.commit()
    return DownloadResult(outcome=outcome, token=token, order_number=number, order_status=status, media=media)


@dataclass(frozen=True, slots=True)
class DigitalPurchase:
    """One download link as the customer's account lists it."""

    token: DownloadToken
    name: str
    order_number: str
    ordered_at: datetime
    state: str

    @property
    def available(self) -> bool:
        return self.state == SERVED


async def digital_purchases(session: AsyncSession, customer_id: UUID) -> list[DigitalPurchase]:
    """The customer's download links, newest order first, each with whether it works now and why not."""
    rows = await session.execute(
        select(
            DownloadToken,
            OrderLine.name,
            OrderLine.variant_name,
            Order.number,
            Order.created_at,
            Order.status,
        )
        .join(Order, Order.id == DownloadToken.order_id)
        .join(OrderLine, OrderLine.id == DownloadToken.line_id)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), OrderLine.position, DownloadToken.id)
    )
    now = clock.utcnow()
    return [
        DigitalPurchase(
            token=token,
            name=f"{name} ({variant})" if variant else name,
            order_number=number,
            ordered_at=ordered_at,
            state=token_state(token, status, now),
        )
        for token, name, variant, number, ordered_at, status in rows
    ]
