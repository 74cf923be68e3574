"""Queueing email: render, store in the outbox, and enqueue delivery in the caller's transaction.

Nothing leaves the process here. If the business action rolls back, the email and its delivery job
vanish with it; if it commits, the ``email.deliver`` job sends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso import settings as settings_module
from verso.lib import clock
from verso.lib.email._errors import EmailNotConfiguredError, EmailStateError, OutboxNotFoundError
from verso.lib.email._models import HELD, QUEUED, SENT, OutboxEmail
from verso.lib.email._render import MAX_SUBJECT_LENGTH, address_domain, check_address, check_header, render
from verso.lib.jobs import FAILED as JOB_FAILED
from verso.lib.jobs import PENDING as JOB_PENDING
from verso.lib.jobs import PROCESSING as JOB_PROCESSING
from verso.lib.jobs import Job, JobStateError, cancel_job, enqueue

DELIVER_JOB = "email.deliver"
FALLBACK_SENDER = "verso@localhost"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A small text attachment kept with the email in the outbox (an .ics invitation)."""

    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    content: str


def smtp_configured() -> bool:
    """True when ``VERSO_SMTP_HOST`` is set, i.e. mail can actually leave."""
    return bool(settings_module.get_settings().smtp_host.strip())


def sender_address(default_sender: str | None = None) -> str:
    """``VERSO_MAIL_FROM``, else the caller's default (the business contact email), else a placeholder."""
    configured = settings_module.get_settings().mail_from.strip()
    chosen = configured or (default_sender or "").strip() or FALLBACK_SENDER
    return check_address(chosen, field="sender address", allow_display_name=True)


async def send_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    reply_to: str | None = None,
    default_sender: str | None = None,
    metadata: dict[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboxEmail:
    """Render ``email/{template}.html/.txt`` and queue the email (flushed, not committed).

    Status ``queued`` plus an ``email.deliver`` job when SMTP is configured, else ``held``.
    Raises :class:`EmailAddressError` (a ValueError) for a malformed recipient or any header value
    containing a line break.
    """
    to_address = check_address(to, field="recipient address")
    reply_address = (
        check_address(reply_to, field="reply-to address", allow_display_name=True) if reply_to else None
    )
    from_address = sender_address(default_sender)
    subject = check_header(subject, field="subject").strip()
    if not subject:
        raise ValueError("An email needs a subject.")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise ValueError(f"The subject is longer than {MAX_SUBJECT_LENGTH} characters.")
    settings = settings_module.get_settings()
    html, text = render(template, {"base_url": settings.base_url.rstrip("/"), **context, "subject": subject})
    now = clock.utcnow()
    row = OutboxEmail(
        to_address=to_address,
        from_address=from_address,
        reply_to=reply_address,
        subject=subject,
        html_body=html,
        text_body=text,
        template=template,
        status=QUEUED if smtp_configured() else HELD,
        attempts=0,
        message_id=make_msgid(domain=address_domain(from_address)),
        attachments=[asdict(attachment) for attachment in attachments],
        meta={**(metadata or {}), "context_keys": sorted(context)},
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    if row.status == QUEUED:
        job_row = await enqueue(session, DELIVER_JOB, {"outbox_id": row.id})
        row.job_id = job_row.id
        await session.flush()
    return row


async def queue_for_delivery(session: AsyncSession, outbox_id: int) -> OutboxEmail:
    """Admin "send now" / "retry": (re)enqueue delivery of one outbox row (flushed, not committed).

    Refuses when SMTP is not configured, when the email was already sent, or while a delivery of it is
    running. A delivery job still waiting for its retry is replaced by one that runs now.
    """
    found = await session.execute(
        select(OutboxEmail)
        .where(OutboxEmail.id == outbox_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = found.scalar_one_or_none()
    if row is None:
        raise OutboxNotFoundError(outbox_id)
    if not smtp_configured():
        msg = (
            "Email cannot be sent: no SMTP server is configured (set VERSO_SMTP_HOST). "
            "It stays in the outbox."
        )
        raise EmailNotConfiguredError(msg)
    if row.status == SENT:
        raise EmailStateError(f"Email {outbox_id} was already sent; it will not be sent twice.")
    if row.job_id is not None:
        previous = await session.get(Job, row.job_id, populate_existing=True)
        if previous is not None and previous.status == JOB_PROCESSING:
            raise EmailStateError(f"Email {outbox_id} is being delivered right now.")
        if previous is not None and previous.status in (JOB_PENDING, JOB_FAILED):
            try:
                await cancel_job(session, previous.id)
            except JobStateError as exc:
                raise EmailStateError(f"Email {outbox_id} is being delivered right now.") from exc
    job_row = await enqueue(session, DELIVER_JOB, {"outbox_id": row.id})
    row.status = QUEUED
    row.job_id = job_row.id
    row.updated_at = clock.utcnow()
    await session.flush()
    return row
