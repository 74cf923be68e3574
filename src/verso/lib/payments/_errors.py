"""One exception for every payment failure, carrying two messages: one for the customer, one for staff."""

from __future__ import annotations


class PaymentError(Exception):
    """A provider refused or failed. ``message`` is safe to show a customer; ``detail`` is for staff and
    logs (provider error type, HTTP status, code, request id); ``retryable`` says whether the same call
    may succeed later (network trouble, rate limits, provider outages)."""

    def __init__(
        self, message: str, *, detail: str = "", code: str | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message
        self.code = code
        self.retryable = retryable


class WebhookError(ValueError):
    """A webhook body or signature that must be refused (answer 400): the message says why, for logs."""
