"""The Stripe stand-in and a Stripe provider pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.lib.payments.stripe_standin import (  # noqa: F401  (fixtures)
    API_KEY,
    WEBHOOK_SECRET,
    StripeStandin,
    _stripe_standin_server,
    stripe_standin,
)
from verso.lib.payments import PaymentConfig, StripeProvider


@pytest.fixture
def stripe_config(stripe_standin: StripeStandin) -> PaymentConfig:  # noqa: F811 (the imported fixture)
    return PaymentConfig(
        stripe_secret_key=API_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe_standin.base_url,
        stripe_max_network_retries=0,
    )


@pytest.fixture
async def stripe_provider(stripe_config: PaymentConfig) -> AsyncIterator[StripeProvider]:
    async with StripeProvider(stripe_config) as provider:
        yield provider
