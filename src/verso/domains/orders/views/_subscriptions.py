"""Subscriptions: the product page's Subscribe button (``POST /subscriptions``, off to Stripe Checkout),
the customer's /account/subscriptions with "Cancel at period end" (and "Keep my subscription" until
then), and the staff list at /admin/orders/subscriptions. Anyone else's subscription answers 404."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from verso.domains.identity.deps import require_user
from verso.domains.identity.permissions import AUTHENTICATED
from verso.domains.orders.services._subscriptions import (
    STAFF_COLUMNS,
    SubscriptionError,
    cancel_at_period_end,
    customer_subscriptions,
    resume_subscription,
    staff_query,
    start_subscription,
    stripe_ready,
    subscription_page,
)
from verso.lib.db import DbSession
from verso.lib.htmx import add_context_processor, redirect, render
from verso.server.navigation import NavEntry

OPTS = {"setup_gate": True, "module": "shop"}
ACCOUNT = "/account/subscriptions"
STAFF_BASE = "/admin/orders/subscriptions"
T = "orders/subscriptions/"


def _offered(_request: Request[Any, Any, Any]) -> dict[str, Any]:
    """``subscriptions_offered`` for the product page's buy box (settings only: no query)."""
    return {"subscriptions_offered": stripe_ready()}


add_context_processor(_offered)


def _back(value: object) -> str:
    """Where a refusal returns: the product page the form was on (never another site)."""
    text = str(value or "")
    return text if text.startswith("/shop/") and not text.startswith("//") else "/shop"


@post("/subscriptions", permission=AUTHENTICATED, **OPTS)
async def subscribe(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data = await request.form()
    back = _back(data.get("from"))
    try:
        product_id = UUID(str(data.get("product_id")))
    except ValueError:
        return redirect(request, back, message="Choose a subscription from the shop.", level="error")
    try:
        started = await start_subscription(db_session, require_user(request), product_id)
    except SubscriptionError as error:
        return redirect(request, back, message=error.message, level="error")
    return redirect(request, started.url)


@get(ACCOUNT, permission=AUTHENTICATED, **OPTS)
async def subscriptions_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    rows = await customer_subscriptions(db_session, require_user(request).id)
    context = {"subscriptions": rows, "subscribed": request.query_params.get("subscribed") == "1"}
    return render(request, T + "account.html", context, block="subscriptions")


async def _change(
    request: Request[Any, Any, Any], db_session: DbSession, subscription_id: UUID, *, cancel: bool
) -> Any:
    change = cancel_at_period_end if cancel else resume_subscription
    try:
        row = await change(db_session, require_user(request).id, subscription_id)
    except SubscriptionError as error:
        return redirect(request, ACCOUNT, message=error.message, level="error")
    if row is None:
        raise NotFoundException("No such subscription.")
    if cancel:
        message = f"{row.product_name} will not renew: it ends at the end of the current period."
    else:
        message = f"{row.product_name} will renew as usual."
    return redirect(request, ACCOUNT, message=message)


@post(f"{ACCOUNT}/{{subscription_id:uuid}}/cancel", permission=AUTHENTICATED, **OPTS)
async def subscription_cancel(
    request: Request[Any, Any, Any], db_session: DbSession, subscription_id: FromPath[UUID]
) -> Any:
    return await _change(request, db_session, subscription_id, cancel=True)


@post(f"{ACCOUNT}/{{subscription_id:uuid}}/resume", permission=AUTHENTICATED, **OPTS)
async def subscription_resume(
    request: Request[Any, Any, Any], db_session: DbSession, subscription_id: FromPath[UUID]
) -> Any:
    return await _change(request, db_session, subscription_id, cancel=False)


@get(STAFF_BASE, permission="orders.read", nav=NavEntry("Shop", "Subscriptions", 92, "cart"), **OPTS)
async def staff_subscriptions(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    page = await subscription_page(db_session, staff_query(request.query_params), base_url=STAFF_BASE)
    return render(request, T + "staff.html", {"page": page, "columns": STAFF_COLUMNS}, block="table")


routes = [subscribe, subscriptions_page, subscription_cancel, subscription_resume, staff_subscriptions]
