"""Every provider built from one configuration: what checkout offers and what old payments need."""

from __future__ import annotations

from verso.lib.payments._config import PaymentConfig
from verso.lib.payments._offline import OfflineProvider
from verso.lib.payments._provider import PaymentProvider
from verso.lib.payments._stripe import StripeProvider


class PaymentProviders:
    """Build once (at app start) and :meth:`aclose` at shutdown, since Stripe keeps a connection pool."""

    def __init__(self, config: PaymentConfig) -> None:
        self.stripe = StripeProvider(config)
        self.all: tuple[PaymentProvider, ...] = (
            self.stripe,
            OfflineProvider("bank_transfer", config),
            OfflineProvider("pay_on_pickup", config),
        )

    def available(self) -> list[PaymentProvider]:
        """The choices shown at checkout, in this order; without Stripe keys the shop still sells."""
        return [provider for provider in self.all if provider.available]

    def get(self, key: str) -> PaymentProvider:
        """Any provider by key, available or not: refunding an old payment must still work after a
        method is switched off. Raises ``KeyError`` for an unknown key."""
        for provider in self.all:
            if provider.key == key:
                return provider
        raise KeyError(key)

    async def aclose(self) -> None:
        await self.stripe.aclose()
