"""Taking the money: the providers built from settings, starting a payment for a placed order, the
Stripe webhook (verified, idempotent by event id), card refunds and the expiry of unpaid holds.

Provider calls leave the process, so none runs inside an open database transaction: the Payment row
is committed first (its id is the idempotency key, so a retried start never opens a second session),
then the provider is called, then the answer is saved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from uuid_utils.compat import uuid7

from verso.domains.ops.services import business_cache
from verso.domains.orders.models import CheckoutDraft, Order, Payment, PaymentEvent, Refund
from verso.domains.orders.services._lifecycle import REFUND_JOB, load_order, mark_paid
from verso.domains.orders.services._links import order_path
from verso.domains.orders.services._placing import CARD_PROVIDERS, release_unpaid
from verso.domains.orders.services._timeline import record
from verso.domains.shop.services import checkout_settings
from verso.lib import clock
from verso.lib.caches import on_reset
from verso.lib.jobs import JobContext, cron, enqueue, job
from verso.lib.payments import (
    AwaitStaff,
    PaymentConfig,
    PaymentError,
    PaymentProviders,
    PaymentRequest,
    PaymentStart,
    PaymentState,
    Redirect,
    RefundState,
    StripeEvent,
)
from verso.settings import get_settings

STRIPE_SESSION_MINUTES = 30  # Stripe's shortest Checkout Session; the stock hold may be shorter
CANCEL_SESSION_JOB = "orders.cancel_payment"
EXPIRE_JOB = "orders.expire_holds"

_built: tuple[PaymentConfig, PaymentProviders] | None = None


async def payment_providers(session: AsyncSession) -> PaymentProviders:
    """The providers for today's settings (keys from the environment, bank details from the shop's
    settings); rebuilt only when those change, so Stripe's connection pool is kept between calls."""
    global _built
    settings, shop = get_settings(), await checkout_settings(session)
    config = PaymentConfig(
        stripe_secret_key=settings.stripe_secret_key,
        stripe_publishable_key=settings.stripe_publishable_key,
        stripe_webhook_secret=settings.stripe_webhook_secret,
        stripe_api_base=settings.stripe_api_base,
        stripe_timeout_seconds=settings.stripe_timeout_seconds,
        stripe_max_network_retries=settings.stripe_max_network_retries,
        bank_account_holder=shop.bank_account_holder,
        bank_iban=shop.bank_iban,
        bank_bic=shop.bank_bic,
        bank_name=shop.bank_name,
        pickup_enabled=shop.pickup_offered,
    )
    if _built is None or _built[0] != config:
        old, _built = _built, (config, PaymentProviders(config))
        if old is not None:
            await old[1].aclose()
    return _built[1]


@on_reset
def forget_payment_providers() -> None:
    """Drop the built providers (tests; a new event loop needs a new connection pool)."""
    global _built
    _built = None


def _absolute(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def instructions_of(started: AwaitStaff) -> dict[str, Any]:
    """What an offline payment asks the customer to do, as the payment stores it and the email shows it."""
    return {"text": started.instructions, "details": [list(d) for d in started.details]}


async def start_payment(
    session: AsyncSession,
    order: Order,
    provider_key: str,
    *,
    providers: PaymentProviders | None = None,
    return_paths: tuple[str, str] | None = None,
) -> PaymentStart:
    """Open a payment for ``order.amount_due``. Raises :class:`PaymentError` when the provider
    refuses; the order stays pending and may try again. ``return_paths`` (paid, cancelled) send a
    card payer back somewhere other than the order page and checkout (a booking's own pages).

    A card payment leaves the process: the order is committed, then the Payment row (its id is the
    idempotency key), then the provider's answer. An offline one does not: its row is written in the
    caller's transaction, which commits it with the order."""
    providers = providers or await payment_providers(session)
    provider = providers.get(provider_key)
    leaves = provider_key in CARD_PROVIDERS
    now = clock.utcnow()
    payment = Payment(
        id=uuid7(),
        order_id=order.id,
        provider=provider_key,
        amount=order.amount_due,
        currency=order.currency,
        state="pending",
        expires_at=now + timedelta(minutes=STRIPE_SESSION_MINUTES) if provider_key == "stripe" else None,
    )
    session.add(payment)
    if leaves:
        await session.commit()
    request = PaymentRequest(
        amount=order.amount_due,
        currency=order.currency,
        order_reference=order.number,
        customer_email=order.email,
        success_url=_absolute(return_paths[0] if return_paths else order_path(order.number) + "&paid=1"),
        cancel_url=_absolute(return_paths[1] if return_paths else "/checkout?cancelled=1"),
        idempotency_key=str(payment.id),
        description=f"Order {order.number} at {business_cache.current().name}",
        expires_at=payment.expires_at,
        locale=business_cache.current().locale,
    )
    started = await provider.start(request)
    payment.reference = started.reference
    if isinstance(started, Redirect):
        payment.redirect_url = started.url
    elif isinstance(started, AwaitStaff):
        payment.instructions = instructions_of(started)
    if leaves:
        await session.commit()
    return started


async def latest_payment(session: AsyncSession, order_id: UUID) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.created_at.desc()).limit(1)
    )


# ---- the Stripe webhook ---------------------------------------------------------------------
async def _first_time(session: AsyncSession, event: StripeEvent) -> bool:
    """Record the event id; False when it was handled before (a replay changes nothing)."""
    try:
        async with session.begin_nested():
            session.add(PaymentEvent(provider="stripe", event_id=event.id, kind=event.type))
            await session.flush()
    except IntegrityError:
        return False
    return True


async def _order_for(session: AsyncSession, event: StripeEvent) -> tuple[Order | None, Payment | None]:
    payment = None
    if event.session_id:
        payment = await session.scalar(select(Payment).where(Payment.reference == event.session_id))
    if payment is None and event.payment_intent_id:
        payment = await session.scalar(
            select(Payment).where(Payment.payment_intent_id == event.payment_intent_id)
        )
    order_id = payment.order_id if payment else None
    if order_id is None and event.order_reference:
        order_id = await session.scalar(select(Order.id).where(Order.number == event.order_reference))
    return (await load_order(session, order_id) if order_id else None), payment


async def handle_stripe_event(session: AsyncSession, event: StripeEvent) -> str:
    """Act on a verified event once; returns what happened (for the log and tests). Commits."""
    if event.ignored:
        return "ignored"
    if not await _first_time(session, event):
        await session.rollback()
        return "duplicate"
    if event.is_subscription:
        from verso.domains.orders.services._subscriptions import handle_subscription_event  # (a cycle)

        return await handle_subscription_event(session, event)
    order, payment = await _order_for(session, event)
    if order is None:
        await session.commit()
        return "unknown order"
    if payment is not None and event.payment_intent_id:
        payment.payment_intent_id = event.payment_intent_id
    outcome = "noted"
    if event.state is PaymentState.PAID and order.status == "pending":
        if event.amount is not None and event.amount < order.amount_due:
            record(
                session,
                order,
                "payment_short",
                f"Stripe reported {event.amount} for {order.amount_due} due: check the payment.",
                internal=True,
            )
            outcome = "short"
        else:
            if payment is not None:
                payment.state = "paid"
            draft_cart = await session.scalar(
                select(CheckoutDraft.cart_id).where(CheckoutDraft.pending_order_id == order.id)
            )
            await mark_paid(session, order, how="card, Stripe", cart_id=draft_cart)
            outcome = "paid"
    elif event.state is PaymentState.PROCESSING and payment is not None:
        payment.state = "processing"
        record(session, order, "payment_processing", "The payment is on its way (a delayed payment method).")
    elif event.state in (PaymentState.CANCELLED, PaymentState.FAILED) and order.status == "pending":
        if payment is not None:
            payment.state = event.state.value
        if event.state is PaymentState.CANCELLED:
            await release_unpaid(session, order, reason="The card payment session expired unpaid.")
            outcome = "released"
        else:
            record(
                session, order, "payment_failed", event.failure_message or "A card payment attempt failed."
            )
            outcome = "failed"
    await session.commit()
    return outcome


# ---- jobs -----------------------------------------------------------------------------------
@job(REFUND_JOB, max_attempts=5)
async def refund_payment_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Send a card refund to the provider (idempotent by the refund's id) and record the answer."""
    session = ctx.session
    row = await session.get(Refund, UUID(payload["refund_id"]))
    if row is None or row.state != "pending":
        return
    order = await session.get(Order, row.order_id)
    payment = await latest_payment(session, row.order_id)
    if order is None or payment is None or not payment.reference:
        if row is not None:
            row.state = "failed"
        return
    providers = await payment_providers(session)
    try:
        result = await providers.get(payment.provider).refund(
            payment.reference,
            row.amount - row.gift_card_credit,
            order.currency,
            idempotency_key=f"refund-{row.id}",
        )
    except PaymentError as exc:
        if ctx.is_last_attempt:
            async with ctx.open_session() as failed:
                refund = await failed.get(Refund, row.id)
                stored = await failed.get(Order, order.id)
                if refund is not None and stored is not None:
                    refund.state = "failed"
                    record(failed, stored, "refund_failed", f"The card refund failed: {exc}.", internal=True)
                    await failed.commit()
        raise
    row.provider_reference = result.refund_id
    row.state = "succeeded" if result.state is RefundState.SUCCEEDED else result.state.value


@job(CANCEL_SESSION_JOB, max_attempts=3)
async def cancel_payment_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Close an expired order's open Stripe session so it can no longer be paid."""
    payment = await ctx.session.get(Payment, UUID(payload["payment_id"]))
    if payment is None or not payment.reference or payment.state != "pending":
        return
    providers = await payment_providers(ctx.session)
    await providers.get(payment.provider).cancel(payment.reference)
    payment.state = "cancelled"


async def expire_holds(session: AsyncSession) -> int:
    """Release every card order whose stock hold ran out unpaid (the caller commits); returns how
    many. Their open Stripe sessions are closed by a job after commit."""
    now = clock.utcnow()
    orders = (
        await session.scalars(
            select(Order)
            .where(Order.status == "pending", Order.hold_expires_at < now)
            .options(selectinload(Order.lines))
            .limit(200)
        )
    ).all()
    released = 0
    for order in orders:
        if await release_unpaid(session, order, reason="The stock hold ran out before payment."):
            released += 1
            payment = await latest_payment(session, order.id)
            if payment is not None and payment.provider == "stripe" and payment.state == "pending":
                await enqueue(
                    session,
                    CANCEL_SESSION_JOB,
                    {"payment_id": str(payment.id)},
                    idempotency_key=f"cancel:{payment.id}",
                )
    return released


@job(EXPIRE_JOB, max_attempts=3)
async def expire_holds_job(payload: dict[str, Any], ctx: JobContext) -> None:
    await expire_holds(ctx.session)


PAYMENT_JOBS = [
    refund_payment_job,
    cancel_payment_job,
    expire_holds_job,
    cron("orders.expire-holds", "* * * * *", EXPIRE_JOB),
]
