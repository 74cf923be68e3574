"""Templated email through a database outbox, delivered over SMTP by the ``email.deliver`` job.

:func:`send_email` renders ``templates/email/{template}.html`` and ``.txt`` and stores the result in
the caller's transaction; delivery happens after commit. Without SMTP settings mail is ``held`` in the
outbox for an administrator to read or send later.
"""

from verso.lib.email._deliver import build_message, deliver, smtp_send
from verso.lib.email._errors import (
    EmailAddressError,
    EmailError,
    EmailNotConfiguredError,
    EmailStateError,
    OutboxNotFoundError,
)
from verso.lib.email._models import FAILED, HELD, QUEUED, SENT, STATUSES, OutboxEmail
from verso.lib.email._outbox import (
    DELIVER_JOB,
    Attachment,
    queue_for_delivery,
    send_email,
    sender_address,
    smtp_configured,
)
from verso.lib.email._render import check_address, render
from verso.lib.jobs import CronDefinition, JobDefinition

jobs: list[JobDefinition | CronDefinition] = [deliver]
"""Registered by the app like any domain's ``jobs``."""

__all__ = [
    "DELIVER_JOB",
    "FAILED",
    "HELD",
    "QUEUED",
    "SENT",
    "STATUSES",
    "Attachment",
    "EmailAddressError",
    "EmailError",
    "EmailNotConfiguredError",
    "EmailStateError",
    "OutboxEmail",
    "OutboxNotFoundError",
    "build_message",
    "check_address",
    "deliver",
    "jobs",
    "queue_for_delivery",
    "render",
    "send_email",
    "sender_address",
    "smtp_configured",
    "smtp_send",
]
