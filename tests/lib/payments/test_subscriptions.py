"""Stripe subscriptions in the payments library: the subscription Checkout Session, cancelling at period
end and resuming (against the stand-in), and subscription objects and events read from either API
shape (period on the subscription, or on its items)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.lib.payments.stripe_standin import WEBHOOK_SECRET, StripeStandin
from verso.lib.payments import (
    SUBSCRIPTION_REFERENCE,
    PaymentConfig,
    PaymentError,
    PaymentState,
    Redirect,
    StripeProvider,
    SubscriptionRequest,
    parse_stripe_event,
    sign_stripe_payload,
    subscription_from,
    verify_stripe_event,
)
from verso.lib.payments._stripe import FAILED, UNAVAILABLE

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

START, END = 1_767_225_600, 1_769_904_000  # 2026-01-01 and 2026-02-01, UTC


def request(**changes: Any) -> SubscriptionRequest:
    fields: dict[str, Any] = {
        "price_id": "price_monthly",
        "reference": "0193-sub",
        "customer_email": "ada@example.com",
        "success_url": "https://shop.example/account/subscriptions?subscribed=1",
        "cancel_url": "https://shop.example/shop/p/coffee-club",
        "idempotency_key": "subscribe-1",
    }
    return SubscriptionRequest(**(fields | changes))


def signed(event: dict[str, Any]) -> Any:
    payload = json.dumps(event).encode()
    return verify_stripe_event(payload, sign_stripe_payload(payload, WEBHOOK_SECRET), WEBHOOK_SECRET)


async def subscribed(provider: StripeProvider, standin: StripeStandin) -> tuple[str, Any]:
    """Subscribe and pay on the stand-in: the subscription's id and the completed event."""
    standin.add_price("price_monthly", 900)
    started = await provider.start_subscription(request())
    completed = signed(standin.complete_session(started.reference))
    assert completed.subscription_id is not None
    return completed.subscription_id, completed


async def test_start_opens_a_subscription_checkout_session(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    stripe_standin.add_price("price_monthly", 900)
    started = await stripe_provider.start_subscription(request())

    assert isinstance(started, Redirect) and started.provider == "stripe"
    assert started.url == f"{stripe_standin.base_url}/c/pay/{started.reference}"
    [call] = stripe_standin.calls("POST", "/v1/checkout/sessions")
    assert call.idempotency_key == "subscribe-1"
    assert call.params == {
        "mode": "subscription",
        "line_items": [{"price": "price_monthly", "quantity": "1"}],
        "client_reference_id": "0193-sub",
        "customer_email": "ada@example.com",
        "success_url": "https://shop.example/account/subscriptions?subscribed=1",
        "cancel_url": "https://shop.example/shop/p/coffee-club",
        "metadata": {SUBSCRIPTION_REFERENCE: "0193-sub"},
        "subscription_data": {"metadata": {SUBSCRIPTION_REFERENCE: "0193-sub"}},
    }
    again = await stripe_provider.start_subscription(request())
    assert again.reference == started.reference and len(stripe_standin.sessions) == 1


async def test_an_unknown_price_and_missing_keys_are_refused(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    with pytest.raises(PaymentError) as refused:
        await stripe_provider.start_subscription(request(price_id="price_gone"))
    assert refused.value.message == FAILED and "No such price" in refused.value.detail
    async with StripeProvider(PaymentConfig(stripe_api_base=stripe_standin.base_url)) as unset:
        with pytest.raises(PaymentError) as unavailable:
            await unset.start_subscription(request())
    assert unavailable.value.message == UNAVAILABLE
    assert len(stripe_standin.calls("POST", "/v1/checkout/sessions")) == 1


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"price_id": "prod_1"}, "price id"),
        ({"reference": ""}, "required"),
        ({"idempotency_key": ""}, "required"),
    ],
)
def test_a_request_needs_a_price_a_reference_and_a_key(changes: dict[str, str], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        request(**changes)


async def test_the_completed_session_names_the_subscription_and_its_customer(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    subscription_id, completed = await subscribed(stripe_provider, stripe_standin)

    stored = stripe_standin.subscriptions[subscription_id]
    assert completed.type == "checkout.session.completed" and completed.is_subscription
    assert (completed.mode, completed.customer_id, completed.subscription_reference) == (
        "subscription",
        stored["customer"],
        "0193-sub",
    )
    assert (completed.state, completed.order_reference, completed.subscription) == (
        PaymentState.PAID,
        None,
        None,
    )

    created = signed(stripe_standin.subscription_event(subscription_id, "customer.subscription.created"))
    item = stored["items"]["data"][0]
    assert created.is_subscription and created.subscription is not None
    assert (created.subscription_id, created.customer_id) == (subscription_id, stored["customer"])
    assert created.subscription.status == "active" and created.subscription.reference == "0193-sub"
    assert created.subscription.price_id == "price_monthly"
    assert created.subscription.current_period_end == datetime.fromtimestamp(item["current_period_end"], UTC)

    late = signed(
        stripe_standin.subscription_event(subscription_id, status="past_due", period=(END, END + 10))
    )
    assert late.type == "customer.subscription.updated" and late.subscription.status == "past_due"
    assert late.subscription.current_period_start == datetime(2026, 2, 1, tzinfo=UTC)
    gone = signed(stripe_standin.subscription_event(subscription_id, "customer.subscription.deleted"))
    assert gone.subscription.status == "canceled"


async def test_cancel_at_period_end_and_resume(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    subscription_id, _ = await subscribed(stripe_provider, stripe_standin)

    cancelled = await stripe_provider.cancel_subscription_at_period_end(subscription_id)
    assert cancelled.cancel_at_period_end and cancelled.status == "active"
    assert stripe_standin.subscriptions[subscription_id]["cancel_at_period_end"] is True
    resumed = await stripe_provider.resume_subscription(subscription_id)
    assert not resumed.cancel_at_period_end and cancelled.current_period_end == resumed.current_period_end
    calls = stripe_standin.calls("POST", f"/v1/subscriptions/{subscription_id}")
    assert [call.params for call in calls] == [
        {"cancel_at_period_end": "true"},
        {"cancel_at_period_end": "false"},
    ]

    stripe_standin.subscription_event(subscription_id, "customer.subscription.deleted")
    with pytest.raises(PaymentError) as ended:
        await stripe_provider.cancel_subscription_at_period_end(subscription_id)
    assert "canceled subscription" in ended.value.detail
    with pytest.raises(ValueError, match="subscription id"):
        await stripe_provider.resume_subscription("cs_test_1")


def _subscription(**changes: Any) -> dict[str, Any]:
    return {
        "id": "sub_1",
        "object": "subscription",
        "status": "trialing",
        "customer": {"id": "cus_1", "object": "customer"},
        "cancel_at_period_end": True,
        "metadata": {SUBSCRIPTION_REFERENCE: "row-1"},
        "items": {"object": "list", "data": [{"id": "si_1", "price": {"id": "price_1"}}]},
    } | changes


def test_the_period_is_read_from_the_subscription_or_from_its_items() -> None:
    old_api = subscription_from(_subscription(current_period_start=START, current_period_end=END))
    items = {
        "data": [
            {"id": "si_1", "price": "price_1", "current_period_start": START + 5, "current_period_end": END},
            {"id": "si_2", "price": "price_2", "current_period_start": START, "current_period_end": END - 5},
        ]
    }
    new_api = subscription_from(_subscription(items=items))
    for read in (old_api, new_api):
        assert (read.current_period_start, read.current_period_end) == (
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
        )
        assert (read.id, read.customer_id, read.price_id, read.reference) == (
            "sub_1",
            "cus_1",
            "price_1",
            "row-1",
        )
        assert read.status == "trialing" and read.cancel_at_period_end
    bare = subscription_from({"id": "sub_2"})
    assert (bare.status, bare.current_period_end, bare.price_id, bare.reference) == (
        "incomplete",
        None,
        None,
        None,
    )


def test_a_payment_session_is_not_about_a_subscription() -> None:
    envelope = {"id": "evt_1", "type": "checkout.session.completed", "created": START}
    obj = {"id": "cs_test_1", "mode": "payment", "status": "complete", "payment_status": "paid"}
    event = parse_stripe_event(
        json.dumps(envelope | {"data": {"object": obj | {"client_reference_id": "VRS-1"}}})
    )
    assert (
        not event.is_subscription
        and event.order_reference == "VRS-1"
        and event.subscription_reference is None
    )
