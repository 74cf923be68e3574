"""A stand-in for the Stripe API on 127.0.0.1: a real HTTP server with just the endpoints Verso calls.

It speaks Stripe's wire format (form-encoded bodies with ``a[b][0]`` keys, JSON answers, Stripe-shaped
errors), honours ``Idempotency-Key`` (same key and parameters -> the same answer, different parameters
-> ``idempotency_error``), records every request, and can be told to fail or to delay the next call.
:meth:`StripeStandin.complete_session` plays the customer paying on Stripe's page and returns the
``checkout.session.completed`` event Stripe would post to the webhook. Subscriptions: register a price
with :meth:`StripeStandin.add_price`; completing a ``mode=subscription`` session creates the
subscription (its period on its items, as API versions since 2025-03-31 have it), and
:meth:`StripeStandin.subscription_event` changes it as Stripe would and returns the
``customer.subscription.*`` event.

Other test modules use it through the fixtures at the bottom (import them into a conftest.py).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

API_KEY = "sk_test_standin"
WEBHOOK_SECRET = "whsec_standin"

ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "card_declined": (
        402,
        {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        },
    ),
    "api_error": (500, {"type": "api_error", "message": "Something went wrong on Stripe's end."}),
    "rate_limit": (
        429,
        {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests."},
    ),
}


class StripeFailure(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = error


def _missing(kind: str, object_id: str) -> StripeFailure:
    return StripeFailure(
        404,
        {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "param": "id",
            "message": f"No such {kind}: '{object_id}'",
        },
    )


def _invalid(message: str, param: str | None = None, code: str | None = None) -> StripeFailure:
    return StripeFailure(
        400, {"type": "invalid_request_error", "message": message, "param": param, "code": code}
    )


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``[("a[b][0][c]", "1")]`` -> ``{"a": {"b": [{"c": "1"}]}}``: Stripe's form encoding, read back."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass(repr=False)
class StripeStandin:
    """State lives in plain dicts of Stripe-shaped objects so tests can read and arrange it."""

    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _replies: dict[str, tuple[str, dict[str, Any], int, dict[str, Any]]] = field(default_factory=dict)
    _failures: deque[str] = field(default_factory=deque)
    _delays: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> StripeStandin:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        threading.Thread(target=self._server.serve_forever, name="stripe-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StripeStandin:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reset(self) -> None:
        with self._lock:
            stores = (self.sessions, self.payment_intents, self.charges, self.refunds, self._replies)
            for store in (*stores, self.prices, self.subscriptions):
                store.clear()
            self.requests.clear()
            self._failures.clear()
            self._delays.clear()

    # -- steering ----------------------------------------------------------------------------------
    def fail_next(self, kind: str, times: int = 1) -> None:
        """Answer the next ``times`` calls with the Stripe error ``kind`` (a key of :data:`ERRORS`).
        Injected failures happen before Stripe would store an idempotent result, so a retry may pass."""
        if kind not in ERRORS:
            raise ValueError(kind)
        self._failures.extend([kind] * times)

    def delay_next(self, seconds: float) -> None:
        self._delays.append(seconds)

    def calls(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def add_price(self, price_id: str, unit_amount: int = 900, currency: str = "eur") -> dict[str, Any]:
        """A monthly recurring price, as staff would create it in Stripe's dashboard."""
        price = {"id": price_id, "object": "price", "unit_amount": unit_amount, "currency": currency}
        price["recurring"] = {"interval": "month", "interval_count": 1}
        self.prices[price_id] = price
        return price

    def complete_session(self, session_id: str) -> dict[str, Any]:
        """The customer pays: the session completes with a succeeded intent and its charge (or, in
        subscription mode, an active subscription for a new customer). Returns the
        ``checkout.session.completed`` event body."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", f"session {session_id} is {session['status']}"
            if session["mode"] == "subscription":
                return self._complete_subscription(session)
            amount, currency = session["amount_total"], session["currency"]
            charge = {
                "id": _new_id("ch"),
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "refunded": False,
                "currency": currency,
                "status": "succeeded",
                "metadata": dict(session["_intent_metadata"]),
            }
            intent = {
                "id": _new_id("pi"),
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "currency": currency,
                "status": "succeeded",
                "latest_charge": charge["id"],
                "last_payment_error": None,
                "metadata": dict(session["_intent_metadata"]),
            }
            charge["payment_intent"] = intent["id"]
            self.charges[charge["id"]] = charge
            self.payment_intents[intent["id"]] = intent
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            return self.event("checkout.session.completed", _public(session))

    def _complete_subscription(self, session: dict[str, Any]) -> dict[str, Any]:
        start = int(time.time())
        end = start + 30 * 86_400
        [line] = session["_lines"]
        subscription = {
            "id": _new_id("sub"),
            "object": "subscription",
            "status": "active",
            "customer": _new_id("cus"),
            "cancel_at_period_end": False,
            "currency": session["currency"],
            "created": start,
            "metadata": dict(session["_subscription_metadata"]),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": _new_id("si"),
                        "object": "subscription_item",
                        "price": dict(self.prices[line["price"]]),
                        "quantity": int(line["quantity"]),
                        "current_period_start": start,
                        "current_period_end": end,
                    }
                ],
            },
        }
        self.subscriptions[subscription["id"]] = subscription
        session.update(
            status="complete",
            payment_status="paid",
            subscription=subscription["id"],
            customer=subscription["customer"],
        )
        return self.event("checkout.session.completed", _public(session))

    def subscription_event(
        self, subscription_id: str, event_type: str = "customer.subscription.updated", **changes: Any
    ) -> dict[str, Any]:
        """Change the subscription as Stripe would (``status="past_due"``; ``period=(start, end)`` moves
        every item's period) and return the ``customer.subscription.*`` event about it. A ``...deleted``
        event cancels it."""
        with self._lock:
            subscription = self.subscriptions[subscription_id]
            if period := changes.pop("period", None):
                for item in subscription["items"]["data"]:
                    item["current_period_start"], item["current_period_end"] = period
            if event_type == "customer.subscription.deleted":
                changes = {"status": "canceled", "ended_at": int(time.time())} | changes
            subscription.update(changes)
            return self.event(event_type, json.loads(json.dumps(subscription)))

    @staticmethod
    def event(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An event envelope as Stripe posts it to a webhook endpoint."""
        return {
            "id": _new_id("evt"),
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2025-01-01",
            "data": {"object": obj},
        }

    # -- serving -----------------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any]:
        with self._lock:
            self.requests.append(Recorded(method, path, params, headers))
            delay = self._delays.popleft() if self._delays else 0.0
            failure = self._failures.popleft() if self._failures else None
        if delay:
            time.sleep(delay)
        if headers.get("authorization") != f"Bearer {API_KEY}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}
        if failure is not None:
            status, error = ERRORS[failure]
            return status, {"error": error}
        with self._lock:
            key = headers.get("idempotency-key") if method == "POST" else None
            if key and key in self._replies:
                return self._replay(key, path, params)
            try:
                status, body = 200, self._route(method, path, params)
            except StripeFailure as failure_:
                status, body = failure_.status, {"error": failure_.error}
            if key:
                self._replies[key] = (path, params, status, body)
            return status, body

    def _replay(self, key: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        first_path, first_params, status, body = self._replies[key]
        if (first_path, first_params) != (path, params):
            return 400, {
                "error": {
                    "type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                }
            }
        return status, body

    def _route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        match method, parts:
            case "POST", ["v1", "checkout", "sessions"]:
                return self._create_session(params)
            case "GET", ["v1", "checkout", "sessions", session_id]:
                return _public(self._session(session_id))
            case "POST", ["v1", "checkout", "sessions", session_id, "expire"]:
                return self._expire(session_id)
            case "POST", ["v1", "refunds"]:
                return self._refund(params)
            case "GET", ["v1", "subscriptions", subscription_id]:
                return dict(self._subscription(subscription_id))
            case "POST", ["v1", "subscriptions", subscription_id]:
                return self._update_subscription(subscription_id, params)
            case "GET", ["v1", "payment_intents", intent_id]:
                if intent_id not in self.payment_intents:
                    raise _missing("payment_intent", intent_id)
                return dict(self.payment_intents[intent_id])
        raise StripeFailure(
            404, {"type": "invalid_request_error", "message": f"Unrecognized request URL ({method}: {path})."}
        )

    def _session(self, session_id: str) -> dict[str, Any]:
        if session_id not in self.sessions:
            raise _missing("checkout.session", session_id)
        return self.sessions[session_id]

    def _subscription(self, subscription_id: str) -> dict[str, Any]:
        if subscription_id not in self.subscriptions:
            raise _missing("subscription", subscription_id)
        return self.subscriptions[subscription_id]

    def _update_subscription(self, subscription_id: str, params: dict[str, Any]) -> dict[str, Any]:
        subscription = self._subscription(subscription_id)
        if subscription["status"] == "canceled":
            raise _invalid("A canceled subscription can only update its cancellation_details and metadata.")
        if "cancel_at_period_end" in params:
            subscription["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        return json.loads(json.dumps(subscription))

    def _priced(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Lines naming a ``price`` read with its ``price_data`` (an unknown price is refused)."""
        for line in lines:
            if "price" in line and line["price"] not in self.prices:
                raise _missing("price", line["price"])
        return [
            line | {"price_data": {k: self.prices[line["price"]][k] for k in ("currency", "unit_amount")}}
            if "price" in line
            else line
            for line in lines
        ]

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        for required in ("mode", "line_items", "success_url"):
            if required not in params:
                raise _invalid(f"Missing required param: {required}.", required, "parameter_missing")
        lines = self._priced(params["line_items"])
        currencies = {line["price_data"]["currency"] for line in lines}
        if len(currencies) != 1:
            raise _invalid("All line items must use the same currency.", "line_items")
        if (params["mode"] == "subscription") != all("price" in line for line in lines):
            raise _invalid("Subscription mode takes recurring prices, payment mode price_data.", "line_items")
        session_id = _new_id("cs_test")
        now = int(time.time())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": params["mode"],
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": sum(
                int(line["price_data"]["unit_amount"]) * int(line["quantity"]) for line in lines
            ),
            "currency": currencies.pop(),
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "metadata": params.get("metadata", {}),
            "payment_intent": None,
            "created": now,
            "expires_at": int(params.get("expires_at", now + 86_400)),
            "url": f"{self.base_url}/c/pay/{session_id}",
            "_intent_metadata": params.get("payment_intent_data", {}).get("metadata", {}),
            "_subscription_metadata": params.get("subscription_data", {}).get("metadata", {}),
            "_lines": params["line_items"],
        }
        self.sessions[session_id] = session
        return _public(session)

    def _expire(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        if session["status"] != "open":
            raise _invalid("Only Checkout Sessions with a status of `open` can be expired.")
        session["status"] = "expired"
        return _public(session)

    def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent_id = params.get("payment_intent", "")
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise _missing("payment_intent", intent_id)
        charge = self.charges[intent["latest_charge"]]
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise _invalid(
                f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = int(params.get("amount", remaining))
        if amount > remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                "amount",
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": _new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": intent_id,
            "status": "succeeded",
            "metadata": params.get("metadata", {}),
        }
        self.refunds[refund["id"]] = refund
        return refund


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _public(session: dict[str, Any]) -> dict[str, Any]:
    """A session as the API shows it (without the stand-in's own bookkeeping)."""
    return {key: value for key, value in session.items() if not key.startswith("_")}


def _handler_for(standin: StripeStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the HTTPX pool expects

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else url.query
            params = unflatten(parse_qsl(raw, keep_blank_values=True))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, body = standin.handle(self.command, url.path, params, headers)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", _new_id("req"))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read :attr:`StripeStandin.requests` instead."""

    return Handler


@pytest.fixture(scope="session")
def _stripe_standin_server() -> Iterator[StripeStandin]:
    with StripeStandin() as server:
        yield server


@pytest.fixture
def stripe_standin(_stripe_standin_server: StripeStandin) -> StripeStandin:
    """The running stand-in, emptied for this test. Configure with ``stripe_secret_key=API_KEY``,
    ``stripe_webhook_secret=WEBHOOK_SECRET`` and ``stripe_api_base=stripe_standin.base_url``."""
    _stripe_standin_server.reset()
    return _stripe_standin_server
