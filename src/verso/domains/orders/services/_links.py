"""The guest's way back to an order: ``/orders/{number}?t=<signature>``, an HMAC of the number with
the app's secret key. Only a link Verso sent opens the page; changing the number breaks it."""

from __future__ import annotations

import hashlib
import hmac

from verso.settings import get_settings


def order_signature(number: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"order:{number}".encode(), hashlib.sha256).hexdigest()[:32]


def signature_matches(number: str, signature: str) -> bool:
    return hmac.compare_digest(order_signature(number), signature or "")


def order_path(number: str) -> str:
    return f"/orders/{number}?t={order_signature(number)}"


def order_url(number: str) -> str:
    return get_settings().base_url.rstrip("/") + order_path(number)


def invoice_path(number: str, *, signed: bool) -> str:
    """The order's PDF invoice: signed for a guest's link, plain for the customer who placed it."""
    path = f"/orders/{number}/invoice.pdf"
    return f"{path}?t={order_signature(number)}" if signed else path
