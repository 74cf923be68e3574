"""The checkout page: one page with a section per step (contact, delivery, shipping, codes, review
and pay). Each section is a plain form that posts to its own URL and comes back to /checkout (303);
htmx swaps the page's ``#checkout`` fragment instead. A step with errors answers 422 with the page and
the errors inline; what was typed is kept."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.orders.services._checkout import (
    STEPS,
    CheckoutState,
    Paid,
    apply_code,
    choose_rate,
    load_checkout,
    load_draft,
    pay,
    remove_code,
    save_contact,
    save_delivery_address,
)
from verso.domains.orders.services._figures import checkout_figures
from verso.domains.orders.services._links import order_path
from verso.domains.orders.services._placing import CheckoutError
from verso.domains.shop.services import CART_COOKIE, CartOwner
from verso.lib.countries import country_options
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from
from verso.lib.htmx import is_htmx, redirect, render
from verso.lib.payments import Redirect as ProviderRedirect

SHOP = {"module": "shop"}
BASE = "/checkout"


def _owner(request: Request[Any, Any, Any]) -> CartOwner:
    user = request.scope.get("user")
    return CartOwner(customer_id=user.id if user else None, token=request.cookies.get(CART_COOKIE))


async def _state(request: Request[Any, Any, Any], db_session: AsyncSession) -> CheckoutState | None:
    user = request.scope.get("user")
    return await load_checkout(db_session, _owner(request), customer_email=user.email if user else "")


def _forms(state: CheckoutState) -> dict[str, FormState]:
    draft = state.draft
    return {
        "contact": form_from({"email": state.email, "name": draft.name, "phone": draft.phone}),
        "address": form_from(
            {
                "delivery": "pickup" if state.pickup else "ship",
                "pickup_name": draft.name,
                **(
                    draft.shipping_address
                    or {"country": _default_country(), "name": draft.name, "phone": draft.phone}
                ),
            }
        ),
        "codes": form_from({}),
        "shipping": form_from({}),
        "pay": form_from({"provider": _chosen_provider(state), "note": draft.customer_note}),
    }


def _chosen_provider(state: CheckoutState) -> str:
    """The way to pay chosen before, while still offered (pay on pickup goes with collecting);
    else the first."""
    offered = [provider.key for provider in state.providers]
    return (
        state.draft.payment_provider if state.draft.payment_provider in offered else next(iter(offered), "")
    )


def _default_country() -> str:
    locale = business_cache.current().locale
    return locale.split("_")[1].upper() if "_" in locale else ""


def _page(
    request: Request[Any, Any, Any],
    state: CheckoutState,
    *,
    open_step: str | None = None,
    forms: dict[str, FormState] | None = None,
    problem: str = "",
    status: int = 200,
) -> Any:
    editing = open_step if open_step in (*STEPS, "codes") else None
    context = {
        "state": state,
        "totals": state.priced.totals,
        "summary": checkout_figures(state.priced),
        "open": editing or state.step,
        "forms": {**_forms(state), **(forms or {})},
        "countries": country_options(business_cache.current().locale),
        "problem": problem,
        "cancelled": request.query_params.get("cancelled") == "1",
    }
    return render(request, "orders/checkout/index.html", context, block="checkout", status_code=status)


def _empty(request: Request[Any, Any, Any]) -> Any:
    return redirect(request, "/cart", message="Your cart is empty.", level="warning")


@get(BASE, permission=PUBLIC, **SHOP)
async def checkout_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    state = await _state(request, db_session)
    if state is None or state.priced.view.empty:
        return _empty(request)
    if state.priced.view.problems:
        return redirect(
            request, "/cart", message="Some items in your cart need your attention first.", level="warning"
        )
    await db_session.commit()  # the draft, created on the first visit
    return _page(request, state, open_step=request.query_params.get("edit"))


async def _after(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    form: FormState,
    step: str,
) -> Any:
    """Commit and go back to the page, or show the step again with its errors."""
    if form.valid:
        await db_session.commit()
        if is_htmx(request):
            fresh = await _state(request, db_session)
            return _page(request, fresh) if fresh else _empty(request)
        return Redirect(BASE, status_code=HTTP_303_SEE_OTHER)
    await db_session.rollback()
    fresh = await _state(request, db_session)
    if fresh is None:
        return _empty(request)
    return _page(request, fresh, open_step=step, forms={step: form}, status=HTTP_422_UNPROCESSABLE_ENTITY)


async def _draft(request: Request[Any, Any, Any], db_session: AsyncSession) -> Any:
    return await load_draft(db_session, _owner(request))


@post(f"{BASE}/contact", permission=PUBLIC, **SHOP)
async def checkout_contact(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    user = request.scope.get("user")
    data = await request.form()
    form = await save_contact(db_session, _owner(request), data, customer_email=user.email if user else "")
    return _empty(request) if form is None else await _after(request, db_session, form, "contact")


@post(f"{BASE}/address", permission=PUBLIC, **SHOP)
async def checkout_address(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    form = await save_delivery_address(db_session, _owner(request), await request.form())
    return _empty(request) if form is None else await _after(request, db_session, form, "address")


@post(f"{BASE}/shipping", permission=PUBLIC, **SHOP)
async def checkout_shipping(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    state = await _state(request, db_session)
    if state is None:
        return _empty(request)
    data = await request.form()
    form = FormState(values={"rate": str(data.get("rate") or "")})
    if error := choose_rate(state, form.values["rate"]):
        form.add_error("rate", error)
    return await _after(request, db_session, form, "shipping")


@post(f"{BASE}/codes", permission=PUBLIC, **SHOP)
async def checkout_code(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    found = await _draft(request, db_session)
    if found is None:
        return _empty(request)
    data = await request.form()
    form = FormState(values={"code": str(data.get("code") or "")[:60]})
    if error := await apply_code(db_session, found[0], form.values["code"]):
        form.add_error("code", error)
    return await _after(request, db_session, form, "codes")


@post(f"{BASE}/codes/remove", permission=PUBLIC, **SHOP)
async def checkout_code_remove(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    found = await _draft(request, db_session)
    if found is None:
        return _empty(request)
    await remove_code(db_session, found[0], str((await request.form()).get("code") or ""))
    return await _after(request, db_session, FormState(), "codes")


@post(f"{BASE}/pay", permission=PUBLIC, **SHOP)
async def checkout_pay(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    state = await _state(request, db_session)
    if state is None or state.priced.view.empty:
        return _empty(request)
    data = await request.form()
    provider, note = str(data.get("provider") or "")[:20], str(data.get("note") or "")[:1000]
    try:
        outcome = await pay(db_session, state, provider, note)
    except CheckoutError as error:
        fresh = await _state(request, db_session)
        if fresh is None or fresh.priced.view.empty:
            return _empty(request)
        if error.step == "cart":
            return redirect(request, "/cart", message=error.message, level="error")
        form = form_from({"provider": provider, "note": note})
        form.add_error("provider" if error.step == "pay" else "__all__", error.message)
        return _page(
            request,
            fresh,
            open_step=error.step,
            forms={"pay": form},
            problem=error.message,
            status=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(outcome, Paid):
        return redirect(request, order_path(outcome.order.number), message="Thank you: your order is placed.")
    assert isinstance(outcome, ProviderRedirect)
    return redirect(request, outcome.url)


routes = [
    checkout_page,
    checkout_contact,
    checkout_address,
    checkout_shipping,
    checkout_code,
    checkout_code_remove,
    checkout_pay,
]
