"""The Stripe provider against the local stand-in: real HTTP on 127.0.0.1, Stripe's wire format."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lib.payments.stripe_standin import API_KEY, WEBHOOK_SECRET, StripeStandin
from verso.lib.payments import (
    PaymentConfig,
    PaymentError,
    PaymentRequest,
    PaymentState,
    Redirect,
    RefundState,
    StripeProvider,
)
from verso.lib.payments._stripe import BUSY, FAILED, NOT_PAID, UNAVAILABLE

# stripe's HTTPXClient hands httpx bytes as ``data=``; httpx asks for ``content=``. Harmless.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


def request(amount: int = 2599, key: str = "pay-1", **changes: object) -> PaymentRequest:
    base = PaymentRequest(
        amount=amount,
        currency="EUR",
        order_reference="VRS-2026-000001",
        customer_email="ada@example.com",
        success_url="https://shop.example/orders/VRS-2026-000001?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://shop.example/checkout",
        idempotency_key=key,
    )
    return dataclasses.replace(base, **changes)


async def paid_session(provider: StripeProvider, standin: StripeStandin, amount: int = 2599) -> str:
    started = await provider.start(request(amount, key="paid"))
    standin.complete_session(started.reference)
    return started.reference


async def test_start_opens_a_checkout_session_for_the_order_total(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    expires = datetime(2030, 1, 1, 12, tzinfo=UTC)
    started = await stripe_provider.start(request(expires_at=expires))

    assert isinstance(started, Redirect)
    assert started.provider == "stripe"
    assert started.reference.startswith("cs_test_")
    assert started.url == f"{stripe_standin.base_url}/c/pay/{started.reference}"
    assert started.expires_at == expires
    [call] = stripe_standin.calls("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == "pay-1"
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    assert call.params == {
        "mode": "payment",
        "line_items": [
            {
                "quantity": "1",
                "price_data": {
                    "currency": "eur",
                    "unit_amount": "2599",
                    "product_data": {"name": "Order VRS-2026-000001"},
                },
            }
        ],
        "client_reference_id": "VRS-2026-000001",
        "customer_email": "ada@example.com",
        "success_url": "https://shop.example/orders/VRS-2026-000001?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/checkout",
        "metadata": {"order_reference": "VRS-2026-000001"},
        "payment_intent_data": {"metadata": {"order_reference": "VRS-2026-000001"}},
        "expires_at": str(int(expires.timestamp())),
    }


async def test_status_follows_the_session_from_open_to_paid(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    started = await stripe_provider.start(request())
    before = await stripe_provider.status(started.reference)
    assert (before.state, before.amount, before.currency, before.payment_intent_id) == (
        PaymentState.PENDING,
        2599,
        "EUR",
        None,
    )

    stripe_standin.complete_session(started.reference)
    after = await stripe_provider.status(started.reference)
    intent_id = stripe_standin.sessions[started.reference]["payment_intent"]
    assert (after.state, after.payment_intent_id) == (PaymentState.PAID, intent_id)
    by_intent = await stripe_provider.status(intent_id)
    assert (by_intent.reference, by_intent.state, by_intent.amount) == (intent_id, PaymentState.PAID, 2599)


async def test_same_idempotency_key_returns_the_same_session(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    first = await stripe_provider.start(request(key="attempt-7"))
    again = await stripe_provider.start(request(key="attempt-7"))
    other = await stripe_provider.start(request(key="attempt-8"))

    assert again.reference == first.reference
    assert other.reference != first.reference
    assert len(stripe_standin.sessions) == 2
    with pytest.raises(PaymentError) as refused:
        await stripe_provider.start(request(amount=100, key="attempt-7"))
    assert refused.value.message == FAILED
    assert "IdempotencyError" in refused.value.detail


async def test_partial_then_full_refund(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    session_id = await paid_session(stripe_provider, stripe_standin)
    intent_id = stripe_standin.sessions[session_id]["payment_intent"]

    part = await stripe_provider.refund(session_id, 1000, "EUR", idempotency_key="refund-1")
    rest = await stripe_provider.refund(intent_id, 1599, "EUR", idempotency_key="refund-2")

    assert (part.state, part.amount, part.currency) == (RefundState.SUCCEEDED, 1000, "EUR")
    assert (rest.state, rest.amount) == (RefundState.SUCCEEDED, 1599)
    assert part.refund_id.startswith("re_") and part.refund_id != rest.refund_id
    [charge] = stripe_standin.charges.values()
    assert (charge["amount_refunded"], charge["refunded"]) == (2599, True)
    assert [c.params for c in stripe_standin.calls("POST", "/v1/refunds")] == [
        {"payment_intent": intent_id, "amount": "1000"},
        {"payment_intent": intent_id, "amount": "1599"},
    ]
    with pytest.raises(PaymentError) as refused:
        await stripe_provider.refund(intent_id, 1, "EUR", idempotency_key="refund-3")
    assert refused.value.code == "charge_already_refunded"


async def test_a_retried_refund_pays_back_once(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    session_id = await paid_session(stripe_provider, stripe_standin)

    first = await stripe_provider.refund(session_id, 500, "EUR", idempotency_key="refund-x")
    again = await stripe_provider.refund(session_id, 500, "EUR", idempotency_key="refund-x")

    assert again.refund_id == first.refund_id
    assert len(stripe_standin.refunds) == 1
    [charge] = stripe_standin.charges.values()
    assert charge["amount_refunded"] == 500


async def test_refunds_are_refused_before_stripe_when_nothing_was_paid(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    started = await stripe_provider.start(request())
    with pytest.raises(PaymentError) as refused:
        await stripe_provider.refund(started.reference, 100, "EUR", idempotency_key="r")
    assert refused.value.message == NOT_PAID
    session_id = await paid_session(stripe_provider, stripe_standin)
    with pytest.raises(ValueError, match="USD"):
        await stripe_provider.refund(session_id, 100, "USD", idempotency_key="r2")
    assert stripe_standin.calls("POST", "/v1/refunds") == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paid=st.integers(1, 50_000), parts=st.lists(st.integers(1, 30_000), min_size=1, max_size=5))
def test_refunds_never_exceed_what_was_paid(
    stripe_config: PaymentConfig, stripe_standin: StripeStandin, paid: int, parts: list[int]
) -> None:
    async def scenario() -> tuple[int, list[int]]:
        stripe_standin.reset()
        async with StripeProvider(stripe_config) as provider:
            session_id = await paid_session(provider, stripe_standin, paid)
            accepted = []
            for n, amount in enumerate(parts):
                try:
                    result = await provider.refund(
                        session_id, amount, "EUR", idempotency_key=f"{session_id}-{n}"
                    )
                except PaymentError:
                    continue
                accepted.append(result.amount)
            return stripe_standin.sessions[session_id]["amount_total"], accepted

    total, accepted = asyncio.run(scenario())
    expected, remaining = [], paid
    for amount in parts:
        if amount <= remaining:
            expected.append(amount)
            remaining -= amount
    assert total == paid
    assert accepted == expected
    assert sum(accepted) <= paid


async def test_cancel_expires_an_open_session_and_a_retry_replays(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    started = await stripe_provider.start(request())

    cancelled = await stripe_provider.cancel(started.reference)
    again = await stripe_provider.cancel(started.reference)

    assert cancelled.state is PaymentState.CANCELLED and again == cancelled
    assert stripe_standin.sessions[started.reference]["status"] == "expired"
    paid = await paid_session(stripe_provider, stripe_standin)
    with pytest.raises(PaymentError):
        await stripe_provider.cancel(paid)
    with pytest.raises(ValueError):
        await stripe_provider.cancel("pi_123")


async def test_card_decline_is_shown_to_the_customer(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    stripe_standin.fail_next("card_declined")
    with pytest.raises(PaymentError) as declined:
        await stripe_provider.start(request())
    error = declined.value
    assert (error.message, error.code, error.retryable) == ("Your card was declined.", "card_declined", False)
    assert "CardError (HTTP 402, code card_declined, decline generic_decline, request req_" in error.detail
    assert stripe_standin.sessions == {}


async def test_stripe_outage_is_retryable_and_hides_stripes_words(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    stripe_standin.fail_next("api_error")
    with pytest.raises(PaymentError) as outage:
        await stripe_provider.start(request())
    assert (outage.value.message, outage.value.retryable) == (BUSY, True)
    assert "APIError (HTTP 500" in outage.value.detail
    assert "Something went wrong on Stripe's end." in outage.value.detail


async def test_wrong_key_and_unknown_ids_map_to_payment_errors(
    stripe_config: PaymentConfig, stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    async with StripeProvider(dataclasses.replace(stripe_config, stripe_secret_key="sk_test_wrong")) as wrong:
        with pytest.raises(PaymentError) as denied:
            await wrong.start(request())
        # The well-configured provider next to it is unaffected: no shared module state.
        assert isinstance(await stripe_provider.start(request()), Redirect)
    assert denied.value.message == UNAVAILABLE
    assert "AuthenticationError (HTTP 401" in denied.value.detail
    assert stripe.api_key is None
    with pytest.raises(PaymentError) as missing:
        await stripe_provider.status("cs_test_nope")
    assert (missing.value.message, missing.value.code) == (FAILED, "resource_missing")


async def test_a_retry_after_an_outage_reuses_the_idempotency_key(
    stripe_config: PaymentConfig, stripe_standin: StripeStandin
) -> None:
    stripe_standin.fail_next("api_error")
    async with StripeProvider(dataclasses.replace(stripe_config, stripe_max_network_retries=1)) as provider:
        started = await provider.start(request(key="attempt-42"))

    calls = stripe_standin.calls("POST", "/v1/checkout/sessions")
    assert [c.idempotency_key for c in calls] == ["attempt-42", "attempt-42"]
    assert list(stripe_standin.sessions) == [started.reference]


async def test_a_slow_stripe_does_not_block_the_event_loop(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    await stripe_provider.start(request(key="warm-up"))  # open the connection outside the timed part
    stripe_standin.delay_next(0.4)
    task = asyncio.create_task(ticker())
    began = time.monotonic()
    await stripe_provider.start(request(key="slow"))
    elapsed = time.monotonic() - began
    task.cancel()

    assert elapsed >= 0.4
    assert ticks >= 15  # ~40 if the loop ran freely; 0 if the call had blocked it


async def test_stripe_is_unavailable_without_its_keys(stripe_standin: StripeStandin) -> None:
    assert StripeProvider(PaymentConfig()).available is False
    assert StripeProvider(PaymentConfig(stripe_secret_key=API_KEY)).available is False
    assert StripeProvider(
        PaymentConfig(stripe_secret_key=API_KEY, stripe_webhook_secret=WEBHOOK_SECRET)
    ).available
    async with StripeProvider(PaymentConfig(stripe_api_base=stripe_standin.base_url)) as provider:
        with pytest.raises(PaymentError) as refused:
            await provider.start(request())
        with pytest.raises(PaymentError):
            await provider.status("cs_test_1")
    assert refused.value.message == UNAVAILABLE
    assert stripe_standin.requests == []


def test_request_values_are_checked() -> None:
    for amount in (0, -1, True, 12.5):
        with pytest.raises(ValueError):
            request(amount=amount)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        request(currency="eur")
    with pytest.raises(ValueError):
        request(idempotency_key="")
    assert request(expires_at=datetime.now(UTC) + timedelta(hours=1)).amount == 2599
