"""Stripe Checkout through the official library's async methods on an HTTPX client.

Each provider owns its own :class:`stripe.StripeClient` (no module-level ``stripe.api_key``), so two
configurations never share state and tests point ``stripe_api_base`` at a local stand-in. The whole
order total is charged as one line: prices, discounts, shipping and tax are Verso's, never Stripe's.
Subscriptions are the exception: they bill a price kept at Stripe, which renews them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from verso.lib.payments._config import PaymentConfig

if TYPE_CHECKING:  # stripe (and httpx) load on the first payment, not at start-up
    import stripe
from verso.lib.payments._errors import PaymentError
from verso.lib.payments._provider import (
    PaymentRequest,
    PaymentState,
    PaymentStatus,
    Redirect,
    RefundResult,
    RefundState,
    check_amount,
)
from verso.lib.payments._stripe_objects import (
    ORDER_REFERENCE,
    REFUND_STATES,
    currency_of,
    intent_status,
    object_id,
    session_status,
)
from verso.lib.payments._subscriptions import (
    SUBSCRIPTION_REFERENCE,
    StripeSubscription,
    SubscriptionRequest,
    subscription_from,
)

UNAVAILABLE = "Card payments are unavailable right now. Please choose another way to pay."
BUSY = "The payment service is not answering right now. Please try again in a moment."
FAILED = "The payment could not be completed. Please try again or choose another way to pay."
NOT_PAID = "This payment has not been completed, so there is nothing to refund."


def payment_error(exc: stripe.StripeError) -> PaymentError:
    """One exception for the caller: a message for the customer, Stripe's own words for staff."""
    import stripe

    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    decline = error.get("decline_code")
    detail = (
        f"Stripe {type(exc).__name__} (HTTP {exc.http_status}, code {exc.code}"
        f"{f', decline {decline}' if decline else ''}, request {exc.request_id}): {exc.user_message}"
    )
    if isinstance(exc, stripe.CardError):
        # Stripe writes card error messages for the cardholder ("Your card was declined.").
        message = exc.user_message or "Your card was declined."
        return PaymentError(message, detail=detail, code=exc.code)
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError | stripe.APIError):
        return PaymentError(BUSY, detail=detail, code=exc.code, retryable=True)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return PaymentError(UNAVAILABLE, detail=detail, code=exc.code)
    return PaymentError(FAILED, detail=detail, code=exc.code)


class StripeProvider:
    """Card and wallet payments on Stripe's hosted Checkout page. Build once and :meth:`aclose` at
    shutdown: the HTTP connection pool is reused between calls."""

    def __init__(self, config: PaymentConfig) -> None:
        self._config = config
        self._client: stripe.StripeClient | None = None
        self._http: stripe.HTTPXClient | None = None

    @property
    def key(self) -> str:
        return "stripe"

    @property
    def label(self) -> str:
        return "Card"

    @property
    def available(self) -> bool:
        return self._config.stripe_configured

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close_async()
        self._client = self._http = None

    async def __aenter__(self) -> StripeProvider:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def _stripe(self) -> stripe.StripeClient:
        import stripe

        if self._client is None:
            config = self._config
            if not config.stripe_secret_key:
                raise PaymentError(UNAVAILABLE, detail="No Stripe secret key is configured.")
            # allow_sync_methods=False: a blocking call by mistake fails loudly instead of stalling the loop.
            self._http = stripe.HTTPXClient(timeout=config.stripe_timeout_seconds, allow_sync_methods=False)
            self._client = stripe.StripeClient(
                config.stripe_secret_key,
                base_addresses={"api": config.stripe_api_base.rstrip("/")},
                http_client=self._http,
                max_network_retries=config.stripe_max_network_retries,
            )
        return self._client

    async def _call(self, request: Awaitable[stripe.StripeObject]) -> dict[str, Any]:
        import stripe

        try:
            answer = await request
        except stripe.StripeError as exc:
            raise payment_error(exc) from exc
        return answer.to_dict()

    async def start(self, request: PaymentRequest) -> Redirect:
        """Open a Checkout Session. ``success_url`` may contain ``{CHECKOUT_SESSION_ID}``, which Stripe
        replaces with the session id when it sends the customer back."""
        reference = request.order_reference
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": request.amount,
                        "product_data": {"name": request.description or f"Order {reference}"},
                    },
                }
            ],
            "client_reference_id": reference,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": {ORDER_REFERENCE: reference},
            "payment_intent_data": {"metadata": {ORDER_REFERENCE: reference}},
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        if request.expires_at is not None:
            params["expires_at"] = int(request.expires_at.timestamp())
        return await self._open_session(params, request.idempotency_key)

    async def status(self, reference: str) -> PaymentStatus:
        """``reference`` is a Checkout Session id (``cs_...``) or a PaymentIntent id (``pi_...``)."""
        if reference.startswith("pi_"):
            return intent_status(await self._intent(reference))
        return session_status(await self._session(reference))

    async def refund(
        self, reference: str, amount: int, currency: str, *, idempotency_key: str
    ) -> RefundResult:
        """Refund part or all of a paid session or payment intent; a repeated ``idempotency_key`` returns
        the first refund instead of paying back twice."""
        check_amount(amount, currency)
        intent_id = reference if reference.startswith("pi_") else await self._intent_id_of(reference)
        intent = await self._intent(intent_id)
        if currency_of(intent) != currency:
            raise ValueError(f"refund in {currency} for a payment in {currency_of(intent)}")
        if intent_status(intent).state is not PaymentState.PAID:
            raise PaymentError(
                NOT_PAID,
                detail=f"Stripe payment intent {intent_id} is {intent.get('status')}.",
            )
        refund = await self._call(
            self._stripe().v1.refunds.create_async(
                {"payment_intent": intent_id, "amount": amount}, {"idempotency_key": idempotency_key}
            )
        )
        return RefundResult(
            refund_id=refund["id"],
            state=REFUND_STATES.get(refund.get("status", ""), RefundState.PENDING),
            amount=refund["amount"],
            currency=currency_of(refund) or currency,
        )

    async def cancel(self, reference: str) -> PaymentStatus:
        """Expire an open Checkout Session so it can no longer be paid. The idempotency key is derived
        from the session, so a retried cancel replays the first answer instead of failing."""
        sessions = self._stripe().v1.checkout.sessions
        session = await self._call(
            sessions.expire_async(
                self._session_id(reference), options={"idempotency_key": f"expire_{reference}"}
            )
        )
        return session_status(session)

    async def start_subscription(self, request: SubscriptionRequest) -> Redirect:
        """Open a Checkout Session in subscription mode for one unit of ``request.price_id``; the
        reference rides on the session and on the subscription it creates, for the webhook."""
        metadata = {SUBSCRIPTION_REFERENCE: request.reference}
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [{"price": request.price_id, "quantity": 1}],
            "client_reference_id": request.reference,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        return await self._open_session(params, request.idempotency_key)

    async def _open_session(self, params: dict[str, Any], idempotency_key: str) -> Redirect:
        if not self.available:
            raise PaymentError(UNAVAILABLE, detail="Stripe keys (secret and webhook secret) are not set.")
        sessions = self._stripe().v1.checkout.sessions
        session = await self._call(
            sessions.create_async(params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        )
        if not session.get("url"):
            raise PaymentError(FAILED, detail=f"Stripe session {session.get('id')} came back without a URL.")
        expires = session.get("expires_at")
        return Redirect(
            provider=self.key,
            reference=session["id"],
            url=session["url"],
            expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
        )

    async def cancel_subscription_at_period_end(self, subscription_id: str) -> StripeSubscription:
        """Stop renewing: the customer keeps what they paid for until the period ends, then Stripe
        cancels (``customer.subscription.deleted``). Setting a flag is naturally idempotent."""
        return await self._set_cancel_at_period_end(subscription_id, True)

    async def resume_subscription(self, subscription_id: str) -> StripeSubscription:
        """Undo :meth:`cancel_subscription_at_period_end` before the period ends."""
        return await self._set_cancel_at_period_end(subscription_id, False)

    async def _set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> StripeSubscription:
        if not subscription_id.startswith("sub_"):
            raise ValueError(f"not a Stripe subscription id: {subscription_id!r}")
        subscriptions = self._stripe().v1.subscriptions
        answer = await self._call(
            subscriptions.update_async(subscription_id, {"cancel_at_period_end": cancel})
        )
        return subscription_from(answer)

    async def _session(self, session_id: str) -> dict[str, Any]:
        sessions = self._stripe().v1.checkout.sessions
        return await self._call(sessions.retrieve_async(self._session_id(session_id)))

    async def _intent(self, intent_id: str) -> dict[str, Any]:
        return await self._call(self._stripe().v1.payment_intents.retrieve_async(intent_id))

    async def _intent_id_of(self, session_id: str) -> str:
        intent_id = object_id((await self._session(session_id)).get("payment_intent"))
        if intent_id is None:
            raise PaymentError(
                NOT_PAID,
                detail=f"Stripe session {session_id} has no payment intent yet.",
            )
        return intent_id

    @staticmethod
    def _session_id(reference: str) -> str:
        if not reference.startswith("cs_"):
            raise ValueError(f"not a Stripe Checkout Session id: {reference!r}")
        return reference
