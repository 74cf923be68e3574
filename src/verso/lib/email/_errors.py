"""Exceptions of the email outbox, with messages fit to show an administrator."""

from __future__ import annotations


class EmailError(Exception):
    """Base class for email errors."""


class EmailAddressError(EmailError, ValueError):
    """An address or header value is malformed or tries to inject headers."""


class EmailNotConfiguredError(EmailError):
    """No SMTP server is configured, so mail can only be held in the outbox."""


class EmailStateError(EmailError):
    """The outbox row cannot do what was asked in its current state."""


class OutboxNotFoundError(EmailError, LookupError):
    def __init__(self, outbox_id: int) -> None:
        self.outbox_id = outbox_id
        super().__init__(f"Outbox email {outbox_id} does not exist.")
