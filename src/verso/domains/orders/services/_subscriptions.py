"""Subscriptions: a product with a Stripe price, subscribed to through Stripe Checkout, billed and renewed
by Stripe. Verso keeps a copy (status and current period) that Stripe's webhook events keep up to date;
the customer stops renewal from /account, staff see the list.

As with one-off payments, no Stripe call runs inside a transaction with pending writes: the row is
committed first (its id is the idempotency key and the reference Stripe carries back), then Stripe is
called, then its answer is saved. Events can arrive in any order, so a stale one never moves a
subscription back to ``incomplete``, revives a ``canceled`` one, or moves its period backwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.services import CurrentUser
from verso.domains.orders.models import Subscription
from verso.domains.orders.models._payments import SUBSCRIPTION_STATUSES
from verso.domains.orders.services._payments import _absolute, payment_providers
from verso.domains.shop.models import Product
from verso.lib.payments import (
    SESSION_COMPLETED,
    SESSION_EXPIRED,
    PaymentConfig,
    PaymentError,
    PaymentState,
    Redirect,
    StripeEvent,
    StripeSubscription,
    SubscriptionRequest,
)
from verso.lib.tables import Column, Filter, Page, TableQuery, paginate
from verso.settings import get_settings

LIVE = ("trialing", "active", "past_due")
# Stripe's statuses that Verso's five do not name: an abandoned first payment ended it, an unpaid or
# paused one waits for the customer to pay (paused: a trial ended without a payment method).
_STRIPE_STATUSES = {"incomplete_expired": "canceled", "unpaid": "past_due", "paused": "past_due"}

UNAVAILABLE = "Subscriptions are not available right now: card payments are not set up."
NOT_A_SUBSCRIPTION = "This product is not a subscription."
NO_PRICE = "This subscription cannot be started yet: the shop has not linked it to a Stripe price."
NOT_FOR_SALE = "This product is not for sale right now."
ENDED = "This subscription has already ended."

STATUS_FILTER = Filter(
    "status",
    "Status",
    [("", "Any status"), *((s, s.replace("_", " ").capitalize()) for s in SUBSCRIPTION_STATUSES)],
)
STAFF_COLUMNS = [
    Column("email", "Customer"),
    Column("product", "Product"),
    Column("status", "Status"),
    Column("current_period_end", "Period ends", sortable=True),
    Column("created_at", "Started", sortable=True),
]
_SORTS = {"created_at": Subscription.created_at, "current_period_end": Subscription.current_period_end}


class SubscriptionError(Exception):
    """A refusal to show the customer as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def stripe_ready() -> bool:
    """Subscriptions need Stripe's keys (from the environment, so this never changes while running)."""
    settings = get_settings()
    return PaymentConfig(
        stripe_secret_key=settings.stripe_secret_key, stripe_webhook_secret=settings.stripe_webhook_secret
    ).stripe_configured


def subscription_refusal(product: Product) -> str | None:
    """Why ``product`` cannot be subscribed to now, or ``None``."""
    if not product.is_subscription:
        return NOT_A_SUBSCRIPTION
    if not product.is_active:
        return NOT_FOR_SALE
    if not product.stripe_price_id:
        return NO_PRICE
    if not stripe_ready():
        return UNAVAILABLE
    return None


async def start_subscription(session: AsyncSession, customer: CurrentUser, product_id: UUID) -> Redirect:
    """Open Stripe Checkout for one subscription to ``product_id``; raises :class:`SubscriptionError`.
    The row starts ``incomplete`` and stays out of the customer's list until Stripe confirms it."""
    product = await session.get(Product, product_id)
    if product is None:
        raise SubscriptionError(NOT_FOR_SALE)
    refusal = subscription_refusal(product)
    if refusal:
        raise SubscriptionError(refusal)
    if await session.scalar(
        select(Subscription.id).where(
            Subscription.customer_id == customer.id,
            Subscription.product_id == product.id,
            Subscription.status.in_(LIVE),
        )
    ):
        raise SubscriptionError(
            f"You already subscribe to {product.name}: see Subscriptions in your account."
        )
    row = Subscription(
        customer_id=customer.id,
        email=customer.email,
        product_id=product.id,
        product_name=product.name,
        stripe_price_id=product.stripe_price_id,
        status="incomplete",
    )
    session.add(row)
    await session.commit()
    request = SubscriptionRequest(
        price_id=row.stripe_price_id,
        reference=str(row.id),
        customer_email=row.email,
        success_url=_absolute("/account/subscriptions?subscribed=1"),
        cancel_url=_absolute(f"/shop/p/{product.slug}"),
        idempotency_key=f"subscribe-{row.id}",
    )
    providers = await payment_providers(session)
    try:
        started = await providers.stripe.start_subscription(request)
    except PaymentError as exc:
        row.note = f"Checkout could not start: {exc.detail}"
        await session.commit()
        raise SubscriptionError(exc.message) from exc
    row.checkout_reference = started.reference
    await session.commit()
    return started


# ---- the webhook ----------------------------------------------------------------------------
async def _row_for(session: AsyncSession, event: StripeEvent) -> Subscription | None:
    """By Stripe's subscription id, else by the reference Verso gave Stripe, else by the session."""
    if event.subscription_id:
        found = await session.scalar(
            select(Subscription).where(Subscription.stripe_subscription_id == event.subscription_id)
        )
        if found is not None:
            return found
    reference = event.subscription_reference or (event.subscription.reference if event.subscription else None)
    try:
        row_id = UUID(reference) if reference else None
    except ValueError:
        row_id = None
    if row_id is not None and (found := await session.get(Subscription, row_id)) is not None:
        return found
    if event.session_id:
        return await session.scalar(
            select(Subscription).where(Subscription.checkout_reference == event.session_id)
        )
    return None


def _apply(row: Subscription, stripe: StripeSubscription) -> None:
    """Copy what Stripe says now, unless the event is older than what the row already knows."""
    status = _STRIPE_STATUSES.get(stripe.status, stripe.status)
    if status not in SUBSCRIPTION_STATUSES:
        status = row.status
    ended, restarting = row.status == "canceled", status == "incomplete" and row.status != "incomplete"
    if not ended and not restarting:
        row.status = status
    row.stripe_subscription_id = stripe.id
    row.stripe_customer_id = stripe.customer_id or row.stripe_customer_id
    end = stripe.current_period_end
    if end is not None and (row.current_period_end is None or end >= row.current_period_end):
        row.current_period_start, row.current_period_end = stripe.current_period_start, end
        row.cancel_at_period_end = stripe.cancel_at_period_end


async def handle_subscription_event(session: AsyncSession, event: StripeEvent) -> str:
    """Act on a subscription event (already recorded as seen by the caller); returns what happened.
    Commits."""
    row = await _row_for(session, event)
    outcome = "unknown subscription"
    if row is not None:
        outcome = "noted"
        if event.subscription is not None:
            _apply(row, event.subscription)
            outcome = row.status
        elif event.type == SESSION_COMPLETED:
            row.checkout_reference = event.session_id or row.checkout_reference
            row.stripe_subscription_id = event.subscription_id or row.stripe_subscription_id
            row.stripe_customer_id = event.customer_id or row.stripe_customer_id
            if row.status == "incomplete" and event.state is PaymentState.PAID:
                row.status = "active"  # the first invoice is paid; subscription events bring the period
            outcome = "subscribed"
        elif event.type == SESSION_EXPIRED and row.status == "incomplete" and not row.stripe_subscription_id:
            row.status = "canceled"
            row.note = "The checkout expired before payment."
            outcome = "expired"
    await session.commit()
    return outcome


# ---- the customer's subscriptions -------------------------------------------------------------
async def customer_subscriptions(session: AsyncSession, customer_id: UUID) -> list[Subscription]:
    """The customer's subscriptions that Stripe confirmed (abandoned checkouts are left out)."""
    rows = await session.scalars(
        select(Subscription)
        .where(Subscription.customer_id == customer_id, Subscription.stripe_subscription_id != "")
        .order_by(Subscription.created_at.desc())
    )
    return list(rows.all())


async def customer_subscription(
    session: AsyncSession, customer_id: UUID, subscription_id: UUID
) -> Subscription | None:
    """One of the customer's own subscriptions; ``None`` for anyone else's."""
    row = await session.get(Subscription, subscription_id)
    return row if row is not None and row.customer_id == customer_id and row.stripe_subscription_id else None


async def _set_renewal(
    session: AsyncSession, customer_id: UUID, subscription_id: UUID, *, cancel: bool
) -> Subscription | None:
    row = await customer_subscription(session, customer_id, subscription_id)
    if row is None:
        return None
    if row.status == "canceled":
        raise SubscriptionError(ENDED)
    if row.cancel_at_period_end == cancel:
        return row
    stripe = (await payment_providers(session)).stripe
    try:
        if cancel:
            answer = await stripe.cancel_subscription_at_period_end(row.stripe_subscription_id)
        else:
            answer = await stripe.resume_subscription(row.stripe_subscription_id)
    except PaymentError as exc:
        raise SubscriptionError(exc.message) from exc
    _apply(row, answer)
    row.cancel_at_period_end = answer.cancel_at_period_end
    await session.commit()
    return row


async def cancel_at_period_end(
    session: AsyncSession, customer_id: UUID, subscription_id: UUID
) -> Subscription | None:
    """Stop renewal at Stripe (the customer keeps the period paid for); ``None`` when the subscription
    is not the customer's. The webhook confirms; the flag is set here too so the page shows it now."""
    return await _set_renewal(session, customer_id, subscription_id, cancel=True)


async def resume_subscription(
    session: AsyncSession, customer_id: UUID, subscription_id: UUID
) -> Subscription | None:
    """Undo :func:`cancel_at_period_end` before the period ends."""
    return await _set_renewal(session, customer_id, subscription_id, cancel=False)


# ---- staff ------------------------------------------------------------------------------------
def staff_query(params: Mapping[str, Any] | Any) -> TableQuery:
    return TableQuery.from_params(
        params, sortable=_SORTS, default_sort="created_at", default_direction="desc", filters=[STATUS_FILTER]
    )


async def subscription_page(session: AsyncSession, query: TableQuery, *, base_url: str) -> Page[Subscription]:
    """Every subscription, searchable by email and product, filtered by status."""
    return await paginate(
        session,
        select(Subscription),
        query,
        base_url=base_url,
        sort_columns=_SORTS,
        search_columns=[Subscription.email, Subscription.product_name],
        filter_columns={"status": Subscription.status},
        filters=[STATUS_FILTER],
    )
