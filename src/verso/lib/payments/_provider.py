"""The one interface every payment provider offers, and the values that cross it.

A checkout asks a provider to :meth:`~PaymentProvider.start` a payment and gets back what to do next:
:class:`Redirect` the customer to the provider's page, or :class:`AwaitStaff` (show instructions; the
order waits until staff marks it paid). Amounts are int minor units with an upper-case ISO currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class PaymentState(StrEnum):
    PENDING = "pending"  # started, nothing paid yet
    PROCESSING = "processing"  # the customer paid with a delayed method (bank debit); money not yet in
    PAID = "paid"
    FAILED = "failed"  # the last attempt was declined; the customer may try again
    CANCELLED = "cancelled"  # expired or cancelled before payment: release the stock hold


class RefundState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    MANUAL = "manual"  # offline: staff pays the money back by hand; recorded, not executed


def check_amount(amount: int, currency: str) -> None:
    """Refuse what no provider should ever be sent: non-int or non-positive amounts, odd currency codes."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"amount must be a positive int of minor units, not {amount!r}")
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency must be an upper-case ISO 4217 code, not {currency!r}")


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One attempt to pay for one order. ``idempotency_key`` must be stable for the attempt (e.g. the
    Payment row's id) so a retried request never opens a second session or charges twice."""

    amount: int
    currency: str
    order_reference: str
    customer_email: str
    success_url: str
    cancel_url: str
    idempotency_key: str
    description: str = ""  # shown on the provider's page; default "Order <reference>"
    expires_at: datetime | None = None  # Stripe accepts 30 minutes to 24 hours from now
    locale: str = "en"  # for amounts written into offline instructions

    def __post_init__(self) -> None:
        check_amount(self.amount, self.currency)
        if not self.order_reference or not self.idempotency_key:
            raise ValueError("order_reference and idempotency_key are required")


@dataclass(frozen=True, slots=True)
class Redirect:
    """Send the customer to ``url`` (Stripe Checkout); the webhook says when it is paid."""

    provider: str
    reference: str  # the provider's id for this payment, kept on the Payment row
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AwaitStaff:
    """Show ``instructions`` (and ``details`` as labelled lines); staff marks the order paid."""

    provider: str
    reference: str
    instructions: str
    details: tuple[tuple[str, str], ...] = field(default=())


PaymentStart = Redirect | AwaitStaff


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    """What the provider knows now. ``amount``/``currency`` are ``None`` when it keeps no record
    (offline: the order's Payment row is the truth there)."""

    reference: str
    state: PaymentState
    amount: int | None = None
    currency: str | None = None
    payment_intent_id: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund_id: str
    state: RefundState
    amount: int
    currency: str


@runtime_checkable
class PaymentProvider(Protocol):
    """A way to pay. Calls that leave the process are async and never block the event loop; failures
    raise :class:`~verso.lib.payments.PaymentError`."""

    @property
    def key(self) -> str:
        """Stable id stored on payments: ``stripe``, ``bank_transfer``, ``pay_on_pickup``."""
        ...

    @property
    def label(self) -> str:
        """What the customer picks at checkout."""
        ...

    @property
    def available(self) -> bool:
        """Offered at checkout (Stripe only with its keys configured)."""
        ...

    async def start(self, request: PaymentRequest) -> PaymentStart: ...

    async def status(self, reference: str) -> PaymentStatus: ...

    async def refund(
        self, reference: str, amount: int, currency: str, *, idempotency_key: str
    ) -> RefundResult:
        """Give back ``amount`` (the whole paid amount for a full refund)."""
        ...

    async def cancel(self, reference: str) -> PaymentStatus:
        """Close an unpaid payment so it can no longer be paid (releases nothing by itself)."""
        ...
