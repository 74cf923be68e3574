"""Delivery: the ``email.deliver`` job sends one outbox row over SMTP with the standard library.

smtplib is blocking, so the conversation runs in a thread. A failed attempt is recorded on the row in
its own transaction (the job's transaction rolls back) and re-raised so the queue retries with
backoff; after the job's last attempt the row is marked ``failed``.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import update

from verso import settings as settings_module
from verso.lib import clock
from verso.lib.email._errors import EmailNotConfiguredError
from verso.lib.email._models import FAILED, HELD, QUEUED, SENT, OutboxEmail
from verso.lib.email._outbox import DELIVER_JOB
from verso.lib.email._render import address_domain
from verso.lib.jobs import JobContext, job
from verso.settings import Settings

log = logging.getLogger("verso.email")
SECURITY_MODES = ("starttls", "tls", "none")


def build_message(row: OutboxEmail) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred) with Date and Message-ID."""
    message = EmailMessage()
    message["Subject"] = row.subject
    message["From"] = row.from_address
    message["To"] = row.to_address
    if row.reply_to:
        message["Reply-To"] = row.reply_to
    message["Date"] = format_datetime(clock.utcnow())
    message["Message-ID"] = row.message_id or make_msgid(domain=address_domain(row.from_address))
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    for attachment in row.attachments or ():
        content_type, *params = (part.strip() for part in attachment["content_type"].split(";"))
        subtype = content_type.split("/", 1)[1]
        message.add_attachment(
            attachment["content"],
            subtype=subtype,
            filename=attachment["filename"],
            params=dict(param.split("=", 1) for param in params if "=" in param),
        )
    return message


def smtp_send(message: EmailMessage, settings: Settings) -> None:
    """Send over SMTP (blocking): STARTTLS, implicit TLS or plain, with login when a user is set."""
    security = settings.smtp_security.strip().lower()
    if security not in SECURITY_MODES:
        msg = f"VERSO_SMTP_SECURITY={settings.smtp_security!r} is not one of: {', '.join(SECURITY_MODES)}."
        raise EmailNotConfiguredError(msg)
    host, port, timeout = settings.smtp_host.strip(), settings.smtp_port, settings.smtp_timeout
    client: smtplib.SMTP
    if security == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        client.ehlo()
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
        client.send_message(message)


async def _record_failure(ctx: JobContext, outbox_id: int, exc: BaseException) -> None:
    """Save the error on the row in a separate, committed transaction (the job's one rolls back)."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    async with ctx.open_session() as session:
        await session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == outbox_id, OutboxEmail.status != SENT)
            .values(
                attempts=OutboxEmail.attempts + 1,
                last_error=error,
                status=FAILED if ctx.is_last_attempt else QUEUED,
                updated_at=clock.utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()


@job(DELIVER_JOB, max_attempts=8, timeout_seconds=120)
async def deliver(payload: dict[str, Any], ctx: JobContext) -> None:
    """Send one outbox row; already-sent rows are skipped, so a repeated job never mails twice."""
    outbox_id = int(payload["outbox_id"])
    row = await ctx.session.get(OutboxEmail, outbox_id, populate_existing=True)
    extra = {"outbox_id": outbox_id, "job_id": ctx.job_id, "attempt": ctx.attempt}
    if row is None:
        log.warning("outbox email vanished before delivery", extra=extra)
        return
    if row.status == SENT:
        log.info("outbox email already sent; skipped", extra=extra)
        return
    settings = settings_module.get_settings()
    if not settings.smtp_host.strip():
        row.status = HELD
        row.last_error = "SMTP is not configured (VERSO_SMTP_HOST is empty); the email is held."
        log.warning("no SMTP server configured; email held", extra=extra)
        return
    message = build_message(row)
    try:
        await asyncio.to_thread(smtp_send, message, settings)
    except Exception as exc:
        log.warning("email delivery failed", extra={**extra, "error": f"{type(exc).__name__}: {exc}"})
        await _record_failure(ctx, outbox_id, exc)
        raise
    row.status = SENT
    row.sent_at = clock.utcnow()
    row.attempts += 1
    row.last_error = None
    row.message_id = str(message["Message-ID"])
    log.info("email sent", extra={**extra, "message_id": row.message_id})
