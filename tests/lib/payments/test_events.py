"""Stripe webhook events read into StripeEvent: the types checkout acts on, and everything else ignored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.lib.payments.stripe_standin import WEBHOOK_SECRET, StripeStandin
from verso.lib.payments import (
    PaymentState,
    StripeEvent,
    StripeProvider,
    WebhookError,
    parse_stripe_event,
    sign_stripe_payload,
    verify_stripe_event,
)
from verso.lib.payments._provider import PaymentRequest

CREATED = 1_767_225_600


def body(event_type: str, obj: dict[str, Any] | None = None) -> bytes:
    envelope = {"id": "evt_1", "object": "event", "type": event_type, "created": CREATED}
    if obj is not None:
        envelope["data"] = {"object": obj}
    return json.dumps(envelope).encode()


def session(**changes: Any) -> dict[str, Any]:
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 2599,
        "currency": "eur",
        "payment_intent": "pi_1",
        "client_reference_id": "VRS-2026-000001",
        "metadata": {"order_reference": "VRS-2026-000001"},
    } | changes


def intent(**changes: Any) -> dict[str, Any]:
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "succeeded",
        "amount": 2599,
        "amount_received": 2599,
        "currency": "eur",
        "last_payment_error": None,
        "metadata": {"order_reference": "VRS-2026-000001"},
    } | changes


def test_session_completed_and_paid() -> None:
    event = parse_stripe_event(body("checkout.session.completed", session()))
    assert event == StripeEvent(
        id="evt_1",
        type="checkout.session.completed",
        created=datetime(2026, 1, 1, tzinfo=UTC),
        ignored=False,
        state=PaymentState.PAID,
        session_id="cs_test_1",
        payment_intent_id="pi_1",
        amount=2599,
        currency="EUR",
        order_reference="VRS-2026-000001",
        metadata={"order_reference": "VRS-2026-000001"},
    )


@pytest.mark.parametrize(
    ("event_type", "obj", "state"),
    [
        ("checkout.session.completed", session(payment_status="unpaid"), PaymentState.PROCESSING),
        ("checkout.session.async_payment_succeeded", session(), PaymentState.PAID),
        ("checkout.session.async_payment_failed", session(payment_status="unpaid"), PaymentState.FAILED),
        ("checkout.session.expired", session(status="expired", payment_intent=None), PaymentState.CANCELLED),
    ],
)
def test_session_events_say_what_happened_to_the_payment(
    event_type: str, obj: dict[str, Any], state: PaymentState
) -> None:
    event = parse_stripe_event(body(event_type, obj))
    assert (event.ignored, event.state, event.session_id) == (False, state, "cs_test_1")


def test_order_reference_falls_back_to_the_client_reference() -> None:
    event = parse_stripe_event(
        body("checkout.session.expired", session(metadata={}, payment_intent={"id": "pi_9"}))
    )
    assert (event.order_reference, event.payment_intent_id, dict(event.metadata)) == (
        "VRS-2026-000001",
        "pi_9",
        {},
    )


def test_payment_intent_events() -> None:
    succeeded = parse_stripe_event(
        body("payment_intent.succeeded", intent(amount=3000, amount_received=2599))
    )
    error = {"code": "card_declined", "message": "Your card was declined."}
    failed = parse_stripe_event(
        body(
            "payment_intent.payment_failed",
            intent(status="requires_payment_method", last_payment_error=error),
        )
    )
    assert (succeeded.state, succeeded.amount, succeeded.payment_intent_id, succeeded.session_id) == (
        PaymentState.PAID,
        2599,
        "pi_1",
        None,
    )
    assert (failed.state, failed.amount, failed.failure_message, failed.order_reference) == (
        PaymentState.FAILED,
        2599,
        "Your card was declined.",
        "VRS-2026-000001",
    )


def test_charge_refunded() -> None:
    charge = {
        "id": "ch_1",
        "object": "charge",
        "amount": 2599,
        "amount_refunded": 1000,
        "currency": "eur",
        "payment_intent": "pi_1",
        "metadata": {"order_reference": "VRS-2026-000001"},
    }
    event = parse_stripe_event(body("charge.refunded", charge))
    assert (event.state, event.payment_intent_id, event.amount, event.amount_refunded, event.currency) == (
        None,
        "pi_1",
        2599,
        1000,
        "EUR",
    )
    assert event.order_reference == "VRS-2026-000001"


@pytest.mark.parametrize("obj", [None, {"surprise": [1, 2]}, {"id": 5}])
def test_unknown_types_are_ignored_whatever_they_carry(obj: dict[str, Any] | None) -> None:
    event = parse_stripe_event(body("customer.created", obj))
    assert (event.id, event.type, event.ignored, event.state, event.amount) == (
        "evt_1",
        "customer.created",
        True,
        None,
        None,
    )


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"type": "checkout.session.completed", "created": 1}',
        b'{"id": "evt_1", "type": "checkout.session.completed", "created": "yesterday"}',
        body("checkout.session.completed"),
        body("checkout.session.completed", {"status": "complete"}),
    ],
)
def test_bodies_that_are_not_events_are_refused(payload: bytes) -> None:
    with pytest.raises(WebhookError):
        parse_stripe_event(payload)


@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
async def test_a_paid_session_from_the_standin_round_trips_through_the_webhook(
    stripe_provider: StripeProvider, stripe_standin: StripeStandin
) -> None:
    started = await stripe_provider.start(
        PaymentRequest(2599, "EUR", "VRS-2026-000002", "ada@example.com", "https://s/ok", "https://s/no", "k")
    )
    payload = json.dumps(stripe_standin.complete_session(started.reference)).encode()

    event = verify_stripe_event(payload, sign_stripe_payload(payload, WEBHOOK_SECRET), WEBHOOK_SECRET)

    session_now = stripe_standin.sessions[started.reference]
    assert (event.state, event.session_id, event.payment_intent_id, event.amount, event.order_reference) == (
        PaymentState.PAID,
        started.reference,
        session_now["payment_intent"],
        2599,
        "VRS-2026-000002",
    )
    with pytest.raises(WebhookError):
        verify_stripe_event(payload, sign_stripe_payload(payload, "whsec_wrong"), WEBHOOK_SECRET)
