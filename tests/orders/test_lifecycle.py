"""The order's rules as services: the transitions, refunds that restock and re-credit gift cards,
cancelling that gives everything back, holds that expire, and a card refund sent to Stripe by a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import post_form
from tests.orders.helpers import add_to_cart, fill_checkout, make_code, make_france_shipping
from tests.shop.helpers import make_product
from verso.domains.orders.models import STATUSES, Order, Payment, Refund
from verso.domains.orders.services._lifecycle import (
    REFUND_JOB,
    TRANSITIONS,
    OrderError,
    RefundInput,
    can_move,
    cancel,
    load_order,
    mark_paid,
    refund,
    start_processing,
)
from verso.domains.orders.services._payments import (
    CANCEL_SESSION_JOB,
    expire_holds,
    forget_payment_providers,
    refund_payment_job,
)
from verso.domains.shop.models import Discount, GiftCard, Product
from verso.domains.shop.services._gift_cards import issue_gift_card
from verso.lib import clock, jobs
from verso.lib.audit import Actor
from verso.lib.email import OutboxEmail

STAFF = Actor(label="staff")


async def _order(client, db_session, *, provider: str = "bank_transfer", code: str | None = None) -> Order:
    """One order for two mugs at 12.50 with 5.00 shipping, placed through checkout."""
    mug = await make_product(db_session, "Blue mug", price=1250, stock=5)
    rate = await make_france_shipping(db_session)
    await add_to_cart(client, mug, 2)
    await fill_checkout(client, rate, code=code)
    placed = await post_form(client, "/checkout/pay", {"provider": provider}, follow_redirects=False)
    assert placed.status_code == 303, placed.text[:2000]
    order_id = await db_session.scalar(select(Order.id))
    return await load_order(db_session, order_id)


def test_the_transitions_are_the_documented_ones() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    assert TRANSITIONS["pending"] == {"paid", "cancelled"}
    assert TRANSITIONS["shipped"] == {"delivered", "refunded"}
    assert not TRANSITIONS["cancelled"] and not TRANSITIONS["refunded"]


async def test_a_refused_transition_changes_nothing(client, admin, db_session) -> None:
    order = await _order(client, db_session)
    assert not can_move(order, "processing")
    with pytest.raises(OrderError, match=r"An order that is pending cannot become processing\."):
        await start_processing(db_session, order, actor=STAFF)
    await db_session.rollback()
    assert (await db_session.scalar(select(Order.status))) == "pending"


async def test_refunds_restock_and_give_back_to_the_gift_card_first(client, admin, db_session) -> None:
    card = await issue_gift_card(
        db_session, amount=1000, currency="EUR", order_id=None, recipient_email="ann@example.com", send=False
    )
    await db_session.commit()
    order = await _order(client, db_session, code=card.code)
    assert (order.total, order.gift_card_total, order.amount_due) == (3000, 1000, 2000)
    await mark_paid(db_session, order, actor=STAFF)
    await db_session.commit()
    assert await db_session.scalar(select(Product.stock)) == 3
    line = order.lines[0]
    row = await refund(
        db_session,
        order,
        RefundInput(amount=1500, reason="One mug broke", restock=True, quantities={line.id: 1}),
        actor=STAFF,
    )
    await db_session.commit()
    assert (row.gift_card_credit, row.state, row.restock) == (
        1000,
        "manual",
        True,
    )  # offline: paid back by hand
    assert await db_session.scalar(select(GiftCard.balance)) == 1000
    assert await db_session.scalar(select(Product.stock)) == 4
    assert (order.refunded_total, order.status, line.refunded_quantity) == (1500, "paid", 1)
    await refund(db_session, order, RefundInput(amount=1500, to_gift_cards=True), actor=STAFF)
    await db_session.commit()
    assert order.status == "refunded" and await db_session.scalar(select(GiftCard.balance)) == 1000
    with pytest.raises(OrderError):
        await refund(db_session, order, RefundInput(amount=1), actor=STAFF)


async def test_cancelling_an_unpaid_order_gives_everything_back(client, admin, db_session) -> None:
    await make_code(db_session, "TEN")
    order = await _order(client, db_session, code="TEN")
    number = order.number
    assert await db_session.scalar(select(Discount.uses)) == 1
    await cancel(db_session, order, actor=STAFF, reason="Customer asked")
    await db_session.commit()
    db_session.expire_all()
    assert await db_session.scalar(select(Order.status)) == "cancelled"
    assert await db_session.scalar(select(Product.stock)) == 5
    assert await db_session.scalar(select(Discount.uses)) == 0
    # The customer was told how to pay: now they are told not to (the reason stays with staff).
    mail = await db_session.scalar(select(OutboxEmail).where(OutboxEmail.template == "orders/cancelled"))
    assert mail.subject == f"Order {number} has been cancelled"
    assert "There is nothing to pay." in mail.text_body and "Customer asked" not in mail.text_body


async def test_cancelling_a_paid_order_refunds_it_and_says_so(client, admin, db_session) -> None:
    order = await _order(client, db_session)
    await mark_paid(db_session, order, actor=STAFF)
    await cancel(db_session, order, actor=STAFF)
    await db_session.commit()
    assert (order.status, order.refunded_total) == ("cancelled", 3000)
    mail = await db_session.scalar(select(OutboxEmail).where(OutboxEmail.template == "orders/cancelled"))
    assert "We are refunding €30.00" in mail.text_body and "nothing to pay" not in mail.text_body


async def test_an_unpaid_card_order_is_cancelled_without_an_email(
    client, admin, db_session, stripe_on
) -> None:
    order = await _order(client, db_session, provider="stripe")
    await cancel(db_session, order, actor=STAFF)
    await db_session.commit()
    cancelled = select(OutboxEmail).where(OutboxEmail.template == "orders/cancelled")
    assert order.status == "cancelled" and await db_session.scalar(cancelled) is None


async def test_an_expired_card_hold_is_released_and_its_session_closed(
    client, admin, db_session, stripe_on
) -> None:
    order = await _order(client, db_session, provider="stripe")
    assert order.hold_expires_at is not None and await db_session.scalar(select(Product.stock)) == 3
    assert await expire_holds(db_session) == 0  # not yet
    clock.freeze(order.hold_expires_at + timedelta(seconds=1))
    assert await expire_holds(db_session) == 1
    await db_session.commit()
    db_session.expire_all()
    assert await db_session.scalar(select(Order.status)) == "cancelled"
    assert await db_session.scalar(select(Product.stock)) == 5
    queued = await db_session.scalar(select(jobs.Job).where(jobs.Job.name == CANCEL_SESSION_JOB))
    assert queued is not None


async def test_a_card_refund_is_sent_to_stripe_by_a_job(client, admin, db_session, stripe_on) -> None:
    order = await _order(client, db_session, provider="stripe")
    payment = await db_session.scalar(select(Payment))
    stripe_on.complete_session(payment.reference)
    await db_session.execute(update(Payment).values(state="paid"))
    await mark_paid(db_session, order, actor=STAFF)
    await db_session.commit()
    await refund(db_session, order, RefundInput(amount=1000, reason="Late"), actor=STAFF)
    await db_session.commit()
    row = await db_session.scalar(select(Refund))
    assert row.state == "pending"
    job = await db_session.scalar(select(jobs.Job).where(jobs.Job.name == REFUND_JOB))
    forget_payment_providers()  # the test client's event loop built them; the job runs on this one
    context = jobs.JobContext(job.id, REFUND_JOB, 1, 5, db_session)
    await refund_payment_job.handler(job.payload, context)
    await db_session.commit()
    await db_session.refresh(row)
    assert row.state == "succeeded" and row.provider_reference.startswith("re_")
    assert stripe_on.calls("POST", "/v1/refunds")[0].params["amount"] == "1000"
