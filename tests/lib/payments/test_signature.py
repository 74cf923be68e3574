"""Stripe's webhook signature scheme: what we sign, Stripe's own library accepts, and what we accept is
exactly a fresh HMAC of the raw body under the endpoint secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from verso.lib import clock
from verso.lib.payments import WebhookError, sign_stripe_payload, verify_stripe_signature

SECRET = "whsec_test_secret"
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
BODY = json.dumps({"id": "evt_1", "type": "checkout.session.completed"}).encode()


def v1(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def test_a_signed_body_verifies_and_returns_its_timestamp() -> None:
    header = sign_stripe_payload(BODY, SECRET, NOW)
    assert header == f"t={NOW},v1={v1(BODY, SECRET, NOW)}"
    assert verify_stripe_signature(BODY, header, SECRET, now=NOW) == NOW
    assert verify_stripe_signature(BODY.decode(), header, SECRET, now=NOW + 300) == NOW


def test_stripes_own_library_accepts_our_signature() -> None:
    header = sign_stripe_payload(BODY, SECRET)  # now: Stripe's library checks against the real clock
    assert stripe.WebhookSignature.verify_header(BODY.decode(), header, SECRET, tolerance=300) is True
    assert stripe.Webhook.construct_event(BODY, header, SECRET).id == "evt_1"


def test_default_time_comes_from_the_clock() -> None:
    clock.freeze(datetime.fromtimestamp(NOW, UTC))
    try:
        header = sign_stripe_payload(BODY, SECRET)
        assert header.startswith(f"t={NOW},")
        assert verify_stripe_signature(BODY, header, SECRET) == NOW
    finally:
        clock.freeze(None)


@pytest.mark.parametrize(
    ("payload", "secret", "now", "reason"),
    [
        (BODY, "whsec_other", NOW, "matches"),
        (BODY.replace(b"evt_1", b"evt_2"), SECRET, NOW, "matches"),
        (BODY + b" ", SECRET, NOW, "matches"),
        (BODY, SECRET, NOW + 301, "tolerance"),
        (BODY, SECRET, NOW - 301, "tolerance"),
    ],
    ids=["wrong-secret", "tampered", "trailing-space", "too-old", "from-the-future"],
)
def test_refused(payload: bytes, secret: str, now: int, reason: str) -> None:
    header = sign_stripe_payload(BODY, SECRET, NOW)
    with pytest.raises(WebhookError, match=reason):
        verify_stripe_signature(payload, header, secret, now=now)


def test_any_of_several_v1_values_may_match() -> None:
    good, rolled = v1(BODY, SECRET, NOW), v1(BODY, "whsec_old", NOW)
    assert verify_stripe_signature(BODY, f"t={NOW},v1={rolled},v1={good}", SECRET, now=NOW) == NOW
    assert verify_stripe_signature(BODY, f"t={NOW}, v0=abc, v1={good}", SECRET, now=NOW) == NOW
    with pytest.raises(WebhookError):
        verify_stripe_signature(BODY, f"t={NOW},v1={rolled},v1={'0' * 64}", SECRET, now=NOW)
    with pytest.raises(WebhookError, match="v1"):
        verify_stripe_signature(BODY, f"t={NOW},v0={good}", SECRET, now=NOW)


@pytest.mark.parametrize(
    "header",
    [None, "", "v1=abc", f"t=abc,v1={'0' * 64}", f"t={NOW},t={NOW},v1={'0' * 64}", "garbage"],
)
def test_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(WebhookError):
        verify_stripe_signature(BODY, header, SECRET, now=NOW)


def test_no_secret_configured_refuses_everything() -> None:
    header = sign_stripe_payload(BODY, "", NOW)
    with pytest.raises(WebhookError, match="secret"):
        verify_stripe_signature(BODY, header, "", now=NOW)


@given(payload=st.binary(max_size=300), secret=st.text(min_size=1, max_size=40), at=st.integers(0, 2**34))
def test_every_signature_verifies_and_any_changed_byte_breaks_it(
    payload: bytes, secret: str, at: int
) -> None:
    header = sign_stripe_payload(payload, secret, at)
    assert verify_stripe_signature(payload, header, secret, now=at) == at
    changed = payload + b"x" if not payload else bytes([payload[0] ^ 1]) + payload[1:]
    with pytest.raises(WebhookError):
        verify_stripe_signature(changed, header, secret, now=at)
