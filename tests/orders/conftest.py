"""Checkout tests' fixtures: the Stripe stand-in, and the app configured to pay through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lib.payments.stripe_standin import (  # noqa: F401  (fixtures)
    API_KEY,
    WEBHOOK_SECRET,
    StripeStandin,
    _stripe_standin_server,
    stripe_standin,
)
from verso.settings import get_settings


@pytest.fixture
def stripe_on(monkeypatch: pytest.MonkeyPatch, stripe_standin: StripeStandin) -> Iterator[StripeStandin]:  # noqa: F811
    """Stripe keys in the environment, its API at the stand-in."""
    monkeypatch.setenv("VERSO_STRIPE_SECRET_KEY", API_KEY)
    monkeypatch.setenv("VERSO_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setenv("VERSO_STRIPE_API_BASE", stripe_standin.base_url)
    monkeypatch.setenv("VERSO_STRIPE_MAX_NETWORK_RETRIES", "0")
    get_settings.cache_clear()
    yield stripe_standin
    monkeypatch.undo()
    get_settings.cache_clear()
