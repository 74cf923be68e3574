"""Stripe's webhook signature scheme, both ways: verify what arrives, sign what tests send.

The ``Stripe-Signature`` header is ``t=<unix time>,v1=<hex>[,v1=<hex>...]`` where each ``v1`` is
HMAC-SHA256 of ``"<t>.<raw body>"`` under the endpoint's secret (several while a secret is rolled).
"""

from __future__ import annotations

import hashlib
import hmac

from verso.lib import clock
from verso.lib.payments._errors import WebhookError

DEFAULT_TOLERANCE = 300
"""Seconds a signature stays valid either side of now: replays of old bodies are refused."""


def _as_bytes(payload: bytes | str) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _now() -> int:
    return int(clock.utcnow().timestamp())


def sign_stripe_payload(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload`` (``timestamp`` defaults to now)."""
    moment = _now() if timestamp is None else timestamp
    return f"t={moment},v1={_digest(_as_bytes(payload), secret, moment)}"


def verify_stripe_signature(
    payload: bytes | str,
    header: str | None,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> int:
    """Check ``header`` against the raw ``payload``; returns the signed timestamp or raises
    :class:`WebhookError`. Every ``v1`` is compared in constant time; other schemes are ignored."""
    if not secret:
        raise WebhookError("no webhook secret is configured")
    if not header:
        raise WebhookError("missing Stripe-Signature header")
    timestamps: list[str] = []
    candidates: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            candidates.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise WebhookError("Stripe-Signature header has no valid timestamp")
    if not candidates:
        raise WebhookError("Stripe-Signature header has no v1 signature")
    signed_at = int(timestamps[0])
    if abs((_now() if now is None else now) - signed_at) > tolerance:
        raise WebhookError("Stripe-Signature timestamp is outside the tolerance")
    expected = _digest(_as_bytes(payload), secret, signed_at).encode()
    # Compare against every candidate (no early exit), so timing reveals nothing about which one matched.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in candidates]
    if not any(matches):
        raise WebhookError("no Stripe-Signature v1 value matches the body")
    return signed_at
