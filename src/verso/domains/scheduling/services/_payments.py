"""Paying for a priced appointment through the orders module: the booking holds its seat while an
order for the online part (the whole price, or the type's deposit) waits for its payment; the rest,
if any, is paid at the appointment. Staff see, mark paid and refund these orders on the orders
screens. Cancelling a paid booking refunds what was paid online, less any fee the policy keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order
from verso.domains.orders.services import (
    CARD_PROVIDERS,
    OrderError,
    Placement,
    RefundInput,
    ServiceCharge,
    instructions_of,
    latest_payment,
    load_order,
    payment_providers,
    place_service_order,
    refund,
    refundable,
    send_order_email,
    start_payment,
)
from verso.domains.orders.services import cancel as cancel_order
from verso.domains.scheduling.models import AppointmentType, Attendee
from verso.domains.scheduling.services._notices import confirm_booking
from verso.domains.scheduling.services._tokens import manage_token
from verso.domains.shop.services import checkout_settings
from verso.lib import clock
from verso.lib.audit import Actor
from verso.lib.money import format_money
from verso.lib.payments import Redirect

AT_APPOINTMENT = "at_appointment"  # not an orders provider: nothing is paid online


@dataclass(frozen=True, slots=True)
class PayChoice:
    key: str
    label: str
    hint: str


def deposit_due(kind: AppointmentType) -> int | None:
    """The deposit a priced type asks for, in minor units (None when it takes none)."""
    if not kind.price or kind.deposit_kind == "none" or kind.deposit_value <= 0:
        return None
    if kind.deposit_kind == "percent":
        return min(kind.price, (kind.price * kind.deposit_value + 50) // 100)
    return min(kind.price, kind.deposit_value)


def online_part(kind: AppointmentType) -> int:
    """What paying online takes now: the deposit when the type asks for one, else the whole price."""
    return deposit_due(kind) or kind.price or 0


def money(amount: int) -> str:
    business = business_cache.current()
    return format_money(amount, business.currency, business.locale)


async def payment_choices(session: AsyncSession, kind: AppointmentType) -> list[PayChoice]:
    """How a customer may pay for ``kind``: the orders module's online methods that are set up,
    and paying at the appointment unless the type asks for a deposit that can be paid online.
    Empty for a free type."""
    if not kind.price:
        return []
    deposit = deposit_due(kind)
    now_part = money(online_part(kind))
    rest = f"; the remaining {money(kind.price - deposit)} at the appointment" if deposit else ""
    hints = {
        "stripe": f"Pay {now_part} now by card{rest}. Your time is held while you pay.",
        "bank_transfer": f"Transfer {now_part}{rest}. We send the bank details by email.",
    }
    online = [
        PayChoice(p.key, p.label, hints[p.key])
        for p in (await payment_providers(session)).available()
        if p.key in hints
    ]
    if deposit and online:
        return online
    return [*online, PayChoice(AT_APPOINTMENT, "Pay at the appointment", f"Pay {money(kind.price)} there.")]


async def may_pay_later(session: AsyncSession, kind: AppointmentType) -> bool:
    """Whether ``kind`` may be booked without paying online (free, or paid at the appointment): the
    only way a customer's API key may book it, since the API takes no payment."""
    choices = await payment_choices(session, kind)
    return not choices or any(c.key == AT_APPOINTMENT for c in choices)


async def _request_payment(session: AsyncSession, attendee: Attendee, provider: str) -> UUID | None:
    """Ask for the online part of a new booking (loaded with its appointment and type) through a
    pending order; the booking waits for it. Returns the order's id, or None when nothing is paid
    online. Flushed; the caller commits, then starts the payment with the orders module."""
    kind = attendee.appointment.type
    if not kind.price or provider == AT_APPOINTMENT:
        return None
    settings = await checkout_settings(session)
    staff = attendee.appointment.staff.display_name
    when = clock.to_zone(attendee.appointment.start_at, business_cache.current().timezone)
    order = await place_service_order(
        session,
        ServiceCharge(
            name=f"{kind.name} (deposit)" if deposit_due(kind) else kind.name,
            detail=f"{when:%Y-%m-%d %H:%M} with {staff}",
            amount=online_part(kind),
            currency=business_cache.current().currency,
            hold_minutes=settings.hold_minutes,
        ),
        Placement(
            customer_id=attendee.customer_id,
            email=attendee.email,
            name=attendee.name,
            phone=attendee.phone,
            address=None,
            provider=provider,
        ),
        now=clock.utcnow(),
    )
    attendee.order_id, attendee.online_amount, attendee.payment_status = order.id, order.total, "pending"
    await session.flush()
    return order.id


async def finish_booking(session: AsyncSession, attendee: Attendee, provider: str, *, now: datetime) -> bool:
    """After :func:`book` (the attendee loaded with its appointment and type): ask for the online
    part through ``provider`` and confirm the booking, unless a card payment must come first (it
    confirms on payment). True when the caller, after committing, must open the payment."""
    order_id = await _request_payment(session, attendee, provider)
    if order_id is None or provider not in CARD_PROVIDERS:
        await confirm_booking(session, attendee, now=now)
    return order_id is not None


async def start_online_payment(session: AsyncSession, attendee: Attendee, provider: str) -> str | None:
    """Open the payment of a booking's committed order: the card page to send the customer to, or
    None for an offline method (its instructions are emailed; the caller commits). Raises the
    orders module's ``PaymentError`` when the provider refuses; the booking keeps waiting."""
    assert attendee.order_id is not None
    order = await load_order(session, attendee.order_id)
    assert order is not None
    token = manage_token(attendee.id)
    started = await start_payment(
        session, order, provider, return_paths=(f"/book/done/{token}?paid=1", f"/book/manage/{token}")
    )
    if isinstance(started, Redirect):
        return started.url
    await send_order_email(session, order, "placed", instructions=instructions_of(started))
    return None


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A booking's money in words for its pages: what it costs, what was paid online, what is left
    for the appointment, and what to do while a payment is awaited."""

    status: str
    price: int
    online: int
    at_appointment: int
    fee_due: int
    fee_label: str  # what the fee is for: a no-show or a late cancellation
    provider: str
    number: str
    hold_until: str  # the card payment's deadline in the customer's zone, or ""
    instructions: dict[str, Any]


def _deadline(order: Order | None, zone: str) -> str:
    if order is None or order.hold_expires_at is None or order.status != "pending":
        return ""
    return clock.to_zone(order.hold_expires_at, zone).strftime("%H:%M")


async def payment_view(session: AsyncSession, attendee: Attendee) -> PaymentView | None:
    """None for a free booking."""
    if not attendee.price and not attendee.fee_due:
        return None
    order = await load_order(session, attendee.order_id) if attendee.order_id else None
    payment = await latest_payment(session, order.id) if order is not None else None
    paid_online = attendee.online_amount if attendee.payment_status in ("pending", "paid") else 0
    return PaymentView(
        status=attendee.payment_status,
        price=attendee.price,
        online=attendee.online_amount,
        at_appointment=max(0, attendee.price - paid_online),
        fee_due=attendee.fee_due,
        fee_label="No-show fee" if attendee.status == "no_show" else "Cancellation fee",
        provider=order.payment_provider if order is not None else AT_APPOINTMENT,
        number=order.number if order is not None else "",
        hold_until=_deadline(order, attendee.timezone),
        instructions=payment.instructions if payment is not None else {},
    )


def carry_payment(old: Attendee, new: Attendee) -> None:
    """A group seat given up for one in another session keeps what was paid for it."""
    new.price, new.online_amount, new.fee_due = old.price, old.online_amount, old.fee_due
    new.order_id, new.payment_status = old.order_id, old.payment_status
    old.order_id, old.payment_status = None, "none"


def canceller(attendee: Attendee, *, by_staff: bool) -> Actor:
    """Who an order's timeline names for a refund that a cancelled booking caused."""
    return Actor(label="Staff, on the calendar" if by_staff else f"{attendee.name}, online")


async def settle_on_cancel(session: AsyncSession, attendee: Attendee, *, fee: int, actor: Actor) -> None:
    """A booking is cancelled: record the ``fee`` the policy charged, refund what was paid online
    less that fee, or close the order still waiting for its payment. Flushed."""
    attendee.fee_due = max(attendee.fee_due, fee)
    if attendee.order_id is None or attendee.payment_status not in ("pending", "paid"):
        return
    order = await load_order(session, attendee.order_id)
    if order is None:
        return
    if attendee.payment_status == "pending":
        attendee.payment_status = "released"
        if order.status == "pending":
            # The booking's own cancellation notice tells the customer: no second email.
            await cancel_order(session, order, actor=actor, reason="The booking was cancelled", notify=False)
        return
    back = min(refundable(order), max(0, attendee.online_amount - fee))
    attendee.payment_status = "refunded"
    if back > 0:
        try:
            await refund(session, order, RefundInput(amount=back, reason="Booking cancelled"), actor=actor)
        except OrderError:  # staff already refunded or cancelled it on the order's page
            return
    await session.flush()
