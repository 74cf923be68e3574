"""What the payment providers need to know, filled by the caller from settings (never read here)."""

from __future__ import annotations

from dataclasses import dataclass, field

STRIPE_API_BASE = "https://api.stripe.com"


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    """Keys and bank details. Secrets are left out of ``repr`` so they never reach a log line."""

    stripe_secret_key: str = field(default="", repr=False)
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = field(default="", repr=False)
    stripe_api_base: str = STRIPE_API_BASE
    stripe_timeout_seconds: float = 20.0
    stripe_max_network_retries: int = 2
    bank_account_holder: str = ""
    bank_iban: str = ""
    bank_bic: str = ""
    bank_name: str = ""
    pickup_enabled: bool = True

    @property
    def stripe_configured(self) -> bool:
        """Hosted Checkout needs the secret key to start payments and the webhook secret to learn that
        they were paid; the publishable key is only for pages that embed Stripe.js."""
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def bank_transfer_configured(self) -> bool:
        return bool(self.bank_account_holder and self.bank_iban)
