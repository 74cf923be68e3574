"""Scheduling tests' fixtures: the Stripe stand-in, shared with the orders tests (priced types are
paid through the orders module)."""

from tests.lib.payments.stripe_standin import (  # noqa: F401  (fixtures)
    _stripe_standin_server,
    stripe_standin,
)
from tests.orders.conftest import stripe_on  # noqa: F401  (a fixture)
