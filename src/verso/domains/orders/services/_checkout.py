"""Checkout, step by step: contact, delivery address, shipping rate, codes, then pay. What the
customer has entered is kept on a :class:`CheckoutDraft` per cart, so a failed step or a reload loses
nothing, and every page is priced afresh from the cart (``_pricing``).

Paying places the order (``_placing``) and starts the payment (``_payments``): offline methods end
on the order's confirmation page, Stripe sends the customer to its page and the webhook marks the
order paid. Returning from Stripe unpaid and paying again releases the first attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, case, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import CheckoutDraft, Order, SavedAddress
from verso.domains.orders.services._addresses import (
    AddressError,
    address_dict,
    save_address,
    saved_address,
    saved_addresses,
    validate_address,
)
from verso.domains.orders.services._lifecycle import confirm_offline, load_order, mark_paid
from verso.domains.orders.services._payments import instructions_of, payment_providers, start_payment
from verso.domains.orders.services._placing import (
    CARD_PROVIDERS,
    PAY_ON_PICKUP,
    CheckoutError,
    Placement,
    check_ready,
    place_order,
    release_unpaid,
)
from verso.domains.orders.services._pricing import PricedCart, price_cart
from verso.domains.shop.models import Cart
from verso.domains.shop.services import (
    CartOwner,
    acknowledge_prices,
    checkout_settings,
    find_cart,
    normalise_discount_code,
    normalise_gift_card_code,
    owner_cart_id,
    pricing_discounts,
    pricing_gift_cards,
    set_codes,
    view_cart,
)
from verso.lib import clock
from verso.lib.db import update_or_insert
from verso.lib.forms import FormState
from verso.lib.payments import AwaitStaff, PaymentError, PaymentProvider, PaymentProviders, PaymentStart

STEPS = ("contact", "address", "shipping", "pay")
MAX_CODES = 5


@dataclass
class CheckoutState:
    owner: CartOwner
    cart: Cart
    draft: CheckoutDraft
    priced: PricedCart
    providers: list[PaymentProvider]
    addresses: list[SavedAddress]
    customer_email: str

    @property
    def email(self) -> str:
        return self.customer_email or self.draft.email

    @property
    def pickup(self) -> bool:
        """The customer collects the order at the shop: no address, no rate to choose."""
        return self.priced.pickup_location is not None

    @property
    def step(self) -> str:
        """The first step still to do."""
        if not self.email:
            return "contact"
        if self.priced.totals.needs_shipping and not (self.pickup or self.draft.shipping_address):
            return "address"
        if self.priced.totals.needs_shipping and self.priced.totals.shipping is None:
            return "shipping"
        return "pay"

    def done(self, step: str) -> bool:
        return STEPS.index(step) < STEPS.index(self.step)


_DRAFT = select(CheckoutDraft).where(CheckoutDraft.cart_id == bindparam("cart_id"))


async def _draft(session: AsyncSession, cart: Cart) -> CheckoutDraft:
    """The cart's draft; a new one is only added to the session and written with the step's answer
    when the step commits, so on SQLite the write lock is held for one statement, not the step."""
    draft = await session.scalar(_DRAFT, {"cart_id": cart.id})
    if draft is None:
        draft = CheckoutDraft(cart_id=cart.id)
        session.add(draft)
    return draft


async def load_draft(session: AsyncSession, owner: CartOwner) -> tuple[Cart, CheckoutDraft] | None:
    """The cart and what checkout has been told so far, without pricing (the codes step)."""
    cart = await find_cart(session, owner)
    return (cart, await _draft(session, cart)) if cart is not None else None


async def save_answers(
    session: AsyncSession,
    owner: CartOwner,
    values: Mapping[str, Any],
    *,
    unless_set: frozenset[str] = frozenset(),
) -> bool:
    """Write a step's answers to the owner's draft without reading it first: an UPDATE by cart, or,
    on the first step, an INSERT from the cart's row. Columns in ``unless_set`` keep what the draft
    holds unless it is empty. False when the owner has no cart."""
    cart_id = owner_cart_id(owner)
    if cart_id is None:
        return False
    table = CheckoutDraft.__table__
    answers = {**values, "updated_at": clock.utcnow()}
    changes = {k: _kept(table.c[k], v) if k in unless_set else v for k, v in answers.items()}
    source = cart_id.add_columns(*(literal(v, table.c[k].type) for k, v in answers.items()))
    written = await update_or_insert(
        session,
        update(table)
        .where(table.c.cart_id == cart_id.scalar_subquery())
        .values(changes)
        .returning(table.c.id),
        insert(table).from_select(["cart_id", *answers], source).returning(table.c.id),
    )
    for row in list(session.identity_map.values()):
        if isinstance(row, CheckoutDraft):
            session.expire(row)  # a draft loaded earlier in this session reads what was just written
    return written is not None


def _kept(current: Any, new: Any) -> Any:
    """``current`` unless it is empty."""
    return case((current == "", new), else_=current)


async def load_checkout(
    session: AsyncSession, owner: CartOwner, *, customer_email: str = ""
) -> CheckoutState | None:
    """Everything a checkout page shows, priced now; None when there is no cart to check out."""
    cart = await find_cart(session, owner)
    if cart is None:
        return None
    draft = await _draft(session, cart)
    with session.no_autoflush:  # a new draft waits for the commit: these are all reads
        view = await view_cart(session, cart, images=False)
        email = customer_email or draft.email
        priced = await price_cart(
            session,
            view,
            customer_id=owner.customer_id,
            email=email,
            address=draft.shipping_address,
            shipping_rate_id=draft.shipping_rate_id,
            discount_codes=list(cart.discount_codes or []),
            gift_card_codes=list(cart.gift_card_codes or []),
            delivery=draft.delivery or "ship",
        )
        collect = priced.pickup_location is not None
        providers = [
            p for p in (await payment_providers(session)).available() if collect or p.key != PAY_ON_PICKUP
        ]
        addresses = await saved_addresses(session, owner.customer_id) if owner.customer_id else []
    return CheckoutState(owner, cart, draft, priced, providers, addresses, customer_email)


# ---- the steps ------------------------------------------------------------------------------
async def save_contact(
    session: AsyncSession, owner: CartOwner, values: Mapping[str, Any], *, customer_email: str
) -> FormState | None:
    """Who is buying; None when there is no cart to check out."""
    form = FormState(values={key: str(values.get(key, "")).strip() for key in ("email", "name", "phone")})
    email = customer_email or form.values["email"]
    if not customer_email and ("@" not in email or len(email) > 254 or " " in email):
        form.add_error("email", "Enter your email address, like name@example.com.")
    if len(form.values["name"]) > 120:
        form.add_error("name", "Must be at most 120 characters.")
    if len(form.values["phone"]) > 40:
        form.add_error("phone", "Must be at most 40 characters.")
    if form.valid:
        answers = {
            "email": customer_email or email.lower(),
            "name": form.values["name"],
            "phone": form.values["phone"],
        }
        if not await save_answers(session, owner, answers):
            return None
    return form


async def save_delivery_address(
    session: AsyncSession, owner: CartOwner, values: Mapping[str, Any]
) -> FormState | None:
    """Pick up at the shop (when offered), or ship to a saved address picked by id or a typed one
    (validated; a customer may keep it). The rates depend on the address, so the customer chooses
    one again. None when there is no cart."""
    if values.get("delivery") == "pickup":
        return await _collect(session, owner, values)
    customer_id = owner.customer_id
    chosen = str(values.get("saved_address") or "")
    if chosen and customer_id:
        try:
            found = await saved_address(session, customer_id, UUID(chosen))
        except ValueError:
            found = None
        form = FormState(values=dict(values))
        if found is None:
            form.add_error("saved_address", "Choose one of your addresses.")
            return form
        address = address_dict(found)
    else:
        typed, form = validate_address(values)
        if typed is None:
            return form
        if customer_id and values.get("save_address"):
            try:
                await save_address(session, customer_id, typed)
            except AddressError as error:
                form.add_error("save_address", str(error))
                return form
        address = address_dict(typed)
    answers = {
        "delivery": "ship",
        "shipping_address": address,
        "name": address.get("name", ""),
        "shipping_rate_id": None,
    }
    if not await save_answers(session, owner, answers, unless_set=frozenset({"name"})):
        return None
    return form


async def _collect(session: AsyncSession, owner: CartOwner, values: Mapping[str, Any]) -> FormState | None:
    """The customer will collect the order, under a name staff can hand it to; refused when the shop
    does not offer it (any more)."""
    form = FormState(values=dict(values))
    name = str(values.get("pickup_name") or "").strip()
    if not (await checkout_settings(session)).pickup_offered:
        form.add_error(
            "__all__", "Pickup at the shop is not offered at the moment: enter a delivery address."
        )
    elif not name:
        form.add_error("pickup_name", "Enter the name we hand the order over to.")
    elif len(name) > 120:
        form.add_error("pickup_name", "Must be at most 120 characters.")
    if not form.valid:
        return form
    answers = {"delivery": "pickup", "name": name, "shipping_rate_id": None}
    if not await save_answers(session, owner, answers):
        return None
    return form


def choose_rate(state: CheckoutState, rate_id: str) -> str | None:
    try:
        wanted = UUID(rate_id)
    except ValueError:
        return "Choose one of the shipping options."
    if all(option.rate_id != wanted for option in state.priced.totals.shipping_options):
        return "This shipping option is not available for this address and cart. Please choose another."
    state.draft.shipping_rate_id = wanted
    return None


async def apply_code(session: AsyncSession, cart: Cart, text: str) -> str | None:
    """Add a discount code or a gift card code (whichever it is); an error message otherwise. The
    pricing afterwards says whether a known code applies, and why not."""
    discount = normalise_discount_code(text)
    card = normalise_gift_card_code(text)
    if not discount:
        return "Enter a code."
    codes, cards = list(cart.discount_codes or []), list(cart.gift_card_codes or [])
    if len(codes) + len(cards) >= MAX_CODES:
        return f"At most {MAX_CODES} codes per order."
    if await pricing_gift_cards(session, [card]):
        if card not in cards:
            cards.append(card)
    elif any(d.code == discount for d in await pricing_discounts(session, [discount])):
        if discount not in codes:
            codes.append(discount)
    else:
        return f"“{text.strip()[:50]}” is not a valid code."
    await set_codes(session, cart, discount_codes=codes, gift_card_codes=cards)
    return None


async def remove_code(session: AsyncSession, cart: Cart, code: str) -> None:
    await set_codes(
        session,
        cart,
        discount_codes=[c for c in cart.discount_codes or [] if c != code],
        gift_card_codes=[c for c in cart.gift_card_codes or [] if c != code],
    )


# ---- paying ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Paid:
    """Checkout is over: show the order (offline instructions, or paid by gift cards)."""

    order: Order


async def _drop_previous_attempt(session: AsyncSession, draft: CheckoutDraft) -> None:
    if draft.pending_order_id is None:
        return
    previous = await load_order(session, draft.pending_order_id)
    if previous is not None and previous.status == "pending" and previous.payment_provider == "stripe":
        await release_unpaid(session, previous, reason="The customer started checkout again.")
    draft.pending_order_id = None
    await session.commit()


async def pay(
    session: AsyncSession, state: CheckoutState, provider_key: str, note: str = ""
) -> Paid | PaymentStart:
    """Place the order and start its payment. Raises :class:`CheckoutError` with the step to fix."""
    view, draft = state.priced.view, state.draft
    if view.price_changes:
        await acknowledge_prices(session, state.cart, view)
        await session.commit()
        raise CheckoutError(
            "Some prices have changed since you added the items: check the new total and confirm again.",
            "pay",
        )
    placement = Placement(
        customer_id=state.owner.customer_id,
        email=state.email,
        name=draft.name,
        phone=draft.phone,
        address=state.priced.pickup_location or draft.shipping_address,
        delivery="pickup" if state.pickup else "ship",
        provider=provider_key,
        note=note.strip()[:1000],
    )
    check_ready(state.priced, placement, frozenset(p.key for p in state.providers))
    cart_id = state.cart.id
    card = provider_key in CARD_PROVIDERS
    # Read everything outside the session before the placing transaction takes its row locks: on
    # PostgreSQL a read on a second pooled connection while holding them can starve the pool.
    providers = await payment_providers(session)
    await _drop_previous_attempt(session, draft)
    try:
        order = await place_order(session, state.priced, placement, now=clock.utcnow())
        if order.amount_due == 0:
            await mark_paid(session, order, how="gift card", cart_id=cart_id)
        elif card:
            draft.pending_order_id = order.id  # the webhook empties this cart; paying again releases it
            # Back from the card page unpaid, the pay step shows what was chosen (an offline order
            # empties the cart, so nothing reads them there).
            draft.payment_provider, draft.customer_note = provider_key, placement.note
        else:
            await _pay_offline(session, order, provider_key, cart_id, providers)
        await session.commit()
    except CheckoutError:
        await session.rollback()
        raise
    if order.amount_due == 0 or not card:
        return Paid(order)
    try:
        return await start_payment(session, order, provider_key, providers=providers)
    except PaymentError as exc:
        await session.rollback()
        order = await load_order(session, order.id)  # type: ignore[assignment]
        await release_unpaid(session, order, reason=f"The payment could not start: {exc}")
        await session.commit()
        raise _could_not_start() from exc


def _could_not_start() -> CheckoutError:
    return CheckoutError("The payment could not start. Please try again or choose another way to pay.", "pay")


async def _pay_offline(
    session: AsyncSession, order: Order, provider_key: str, cart_id: UUID, providers: PaymentProviders
) -> None:
    """Nothing leaves the process: the payment with its instructions, the confirmation email and the
    emptied cart are written in the placing transaction, so the order is placed whole or not at all."""
    try:
        started = await start_payment(session, order, provider_key, providers=providers)
    except PaymentError as exc:
        raise _could_not_start() from exc
    instructions = instructions_of(started) if isinstance(started, AwaitStaff) else None
    await confirm_offline(session, order, cart_id=cart_id, instructions=instructions)
