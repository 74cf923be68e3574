"""Signed tokens that let a customer act on their booking without signing in, and private feed
tokens. Manage links carry an HMAC of the attendee id and purpose; check-in codes are an HMAC of the
attendee id, short enough to type."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from uuid import UUID

from verso.settings import get_settings

PURPOSES = ("manage", "claim")


def _mac(message: str) -> bytes:
    return hmac.new(get_settings().secret_key.encode(), message.encode(), hashlib.sha256).digest()


def manage_token(attendee_id: UUID, purpose: str = "manage") -> str:
    """``{id}.{signature}``: opens the cancel and reschedule page for this attendee only."""
    signature = base64.urlsafe_b64encode(_mac(f"scheduling:{purpose}:{attendee_id}")[:18]).decode()
    return f"{attendee_id}.{signature}"


def read_manage_token(token: str, purpose: str = "manage") -> UUID | None:
    """The attendee id a genuine token names, else None."""
    raw_id, _, signature = (token or "").partition(".")
    try:
        attendee_id = UUID(raw_id)
    except ValueError:
        return None
    expected = manage_token(attendee_id, purpose).partition(".")[2]
    return attendee_id if hmac.compare_digest(expected, signature) else None


def checkin_code(attendee_id: UUID) -> str:
    """Ten characters (A-Z, 2-7) shown under the QR code; unguessable without the app secret."""
    return base64.b32encode(_mac(f"scheduling:checkin:{attendee_id}")[:10]).decode()[:10]


def new_feed_token() -> tuple[str, str]:
    """A fresh feed token and the hash that is stored."""
    token = secrets.token_urlsafe(24)
    return token, feed_token_hash(token)


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
