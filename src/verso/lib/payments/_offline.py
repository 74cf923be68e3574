"""Offline payment: bank transfer or pay on pickup. Nothing leaves the process; the order waits until
staff marks it paid, and refunds are paid back by hand and only recorded here."""

from __future__ import annotations

from typing import Literal

from verso.lib.money import format_money
from verso.lib.payments._config import PaymentConfig
from verso.lib.payments._provider import (
    AwaitStaff,
    PaymentRequest,
    PaymentState,
    PaymentStatus,
    RefundResult,
    RefundState,
    check_amount,
)

OfflineMethod = Literal["bank_transfer", "pay_on_pickup"]

_LABELS: dict[str, str] = {"bank_transfer": "Bank transfer", "pay_on_pickup": "Pay on pickup"}


def group_iban(iban: str) -> str:
    """``de89370400440532013000`` -> ``DE89 3704 0044 0532 0130 00``: the way people read it aloud."""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


class OfflineProvider:
    """One offline method; build one per method so each is its own checkout choice."""

    def __init__(self, method: OfflineMethod, config: PaymentConfig) -> None:
        self._method = method
        self._config = config

    @property
    def key(self) -> str:
        return self._method

    @property
    def label(self) -> str:
        return _LABELS[self._method]

    @property
    def available(self) -> bool:
        if self._method == "bank_transfer":
            return self._config.bank_transfer_configured
        return self._config.pickup_enabled

    async def start(self, request: PaymentRequest) -> AwaitStaff:
        amount = format_money(request.amount, request.currency, request.locale)
        reference = request.order_reference
        if self._method == "bank_transfer":
            return self._bank_transfer(reference, amount)
        text = f"Please pay {amount} when you collect your order {reference}."  # where: the order says
        return AwaitStaff(
            provider=self.key,
            reference=reference,
            instructions=text,
            details=(("Order", reference), ("Amount", amount)),
        )

    def _bank_transfer(self, reference: str, amount: str) -> AwaitStaff:
        config = self._config
        iban = group_iban(config.bank_iban)
        details = [("Account holder", config.bank_account_holder), ("IBAN", iban)]
        if config.bank_bic:
            details.append(("BIC", config.bank_bic.upper()))
        if config.bank_name:
            details.append(("Bank", config.bank_name))
        details += [("Reference", reference), ("Amount", amount)]
        text = (
            f"Please transfer {amount} to {config.bank_account_holder}, IBAN {iban}, "
            f"with the reference {reference}. We process your order as soon as the payment arrives."
        )
        return AwaitStaff(provider=self.key, reference=reference, instructions=text, details=tuple(details))

    async def status(self, reference: str) -> PaymentStatus:
        """Always pending: only staff knows the money arrived, and that lives on the order's Payment."""
        return PaymentStatus(reference=reference, state=PaymentState.PENDING)

    async def refund(
        self, reference: str, amount: int, currency: str, *, idempotency_key: str
    ) -> RefundResult:
        check_amount(amount, currency)
        return RefundResult(
            refund_id=f"manual_{idempotency_key}", state=RefundState.MANUAL, amount=amount, currency=currency
        )

    async def cancel(self, reference: str) -> PaymentStatus:
        return PaymentStatus(reference=reference, state=PaymentState.CANCELLED)
