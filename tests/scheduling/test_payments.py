"""Paying for a priced appointment through the orders module: the choices offered, a card payment
holding the time until Stripe's signed webhook confirms it, a deposit with the rest due at the
appointment, a bank transfer confirmed when staff mark the order paid, an unpaid hold releasing the
seat, refunds on cancellation less the policy's fee, and the sweep that settles what an event
missed."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from tests.factories import post_form
from tests.orders.helpers import post_stripe_event
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.orders.models import Order, Payment, Refund
from verso.domains.orders.services import load_order
from verso.domains.orders.services._payments import expire_holds
from verso.domains.orders.services._staff import staff_mark_paid
from verso.domains.scheduling.models import Appointment, Attendee, StaffMember, WaitlistEntry
from verso.domains.scheduling.services import manage_token, settle_payments
from verso.domains.shop.services import checkout_settings, save_checkout_settings
from verso.lib import clock
from verso.lib.audit import SYSTEM
from verso.lib.email import OutboxEmail
from verso.lib.events import bus

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday, 08:00 in Paris
START = "2026-12-03T09:00:00Z"  # Thursday 10:00 in Paris: beyond the 24-hour policy windows


async def _setup(db_session, **fields):
    clock.freeze(NOW)
    staff = await make_staff(db_session)
    return await make_type(db_session, [staff], price=2500, cancellation_fee=1000, **fields)


def _details(**overrides) -> dict[str, str]:
    base = {"start": START, "staff": "", "tz": "Europe/Paris", "name": "Ada Client", "phone": ""}
    return {**base, "email": "ada@example.com", **overrides}


async def _payment_becomes(db_session, status: str) -> Attendee:
    """The attendee once the orders module's event reached scheduling (delivered on the app's own
    event loop, after the webhook's answer)."""
    for _ in range(100):
        attendee = await _attendee(db_session)
        if attendee.payment_status == status:
            return attendee
        await asyncio.sleep(0.05)
    raise AssertionError(f"payment stayed {attendee.payment_status}, expected {status}")


async def _subjects(db_session) -> list[str]:
    return list((await db_session.scalars(select(OutboxEmail.subject).order_by(OutboxEmail.id))).all())


async def _attendee(db_session) -> Attendee:
    attendee = await db_session.scalar(select(Attendee).execution_options(populate_existing=True))
    assert attendee is not None
    return attendee


async def _book_by_card(client, db_session, stripe_on):
    started = await post_form(
        client, "/book/haircut/details", _details(payment="stripe"), follow_redirects=False
    )
    assert started.status_code == 303, started.text[:1500]
    payment = await db_session.scalar(select(Payment))
    assert started.headers["location"] == payment.redirect_url
    return payment


async def test_the_details_step_offers_the_ways_to_pay(client, admin, db_session, stripe_on) -> None:
    await _setup(db_session)
    page = await client.get(f"/book/haircut/details?start={START}")
    assert 'value="stripe"' in page.text and 'value="at_appointment"' in page.text
    text = page.text.replace("\u00a0", " ")
    assert "Pay €25.00 now by card" in text
    assert "Cancel free of charge up to 24 hours before; later cancellations cost €10.00." in text
    refused = await post_form(client, "/book/haircut/details", _details(payment="bitcoin"))
    assert refused.status_code == 422 and "Choose how to pay." in refused.text
    assert 'value="Ada Client"' in refused.text  # nothing typed is lost
    assert (await db_session.scalar(select(func.count()).select_from(Attendee))) == 0


async def test_a_free_type_asks_nothing(client, admin, db_session) -> None:
    clock.freeze(NOW)
    staff = await make_staff(db_session)
    await make_type(db_session, [staff])
    page = await client.get(f"/book/haircut/details?start={START}")
    assert 'name="payment"' not in page.text


async def test_a_card_payment_holds_the_time_until_the_webhook_confirms_it(
    client, admin, db_session, stripe_on
) -> None:
    await _setup(db_session)
    payment = await _book_by_card(client, db_session, stripe_on)
    attendee = await _attendee(db_session)
    order = await db_session.get(Order, attendee.order_id)
    assert (attendee.payment_status, attendee.price, attendee.online_amount) == ("pending", 2500, 2500)
    assert (order.status, order.amount_due, order.hold_expires_at) == (
        "pending",
        2500,
        NOW + timedelta(minutes=15),
    )
    assert await _subjects(db_session) == []  # the booking is confirmed only once paid
    token = manage_token(attendee.id)
    waiting = await client.get(f"/book/done/{token}")
    assert "Complete your payment" in waiting.text and "held until 08:15" in waiting.text
    assert "booking-qr" not in waiting.text
    back = await client.get(f"/book/done/{token}?paid=1")
    assert "Confirming your payment" in back.text

    await post_stripe_event(client, stripe_on.complete_session(payment.reference))
    attendee = await _payment_becomes(db_session, "paid")
    subjects = await _subjects(db_session)
    assert any(s.startswith("Booked: Haircut") for s in subjects), subjects
    done = await client.get(f"/book/done/{token}")
    assert "You are booked" in done.text and "Paid online" in done.text and "booking-qr" in done.text


async def test_a_deposit_is_paid_online_and_the_rest_at_the_appointment(
    client, admin, db_session, stripe_on
) -> None:
    await _setup(db_session, deposit_kind="percent", deposit_value=20)
    page = await client.get(f"/book/haircut/details?start={START}")
    assert 'value="at_appointment"' not in page.text  # a deposit that can be paid online must be
    payment = await _book_by_card(client, db_session, stripe_on)
    assert payment.amount == 500
    await post_stripe_event(client, stripe_on.complete_session(payment.reference))
    attendee = await _payment_becomes(db_session, "paid")
    done = await client.get(f"/book/done/{manage_token(attendee.id)}")
    text = done.text.replace("\u00a0", " ")
    assert "Paid online: <strong>€5.00</strong>" in text and "To pay at the appointment: €20.00" in text


async def test_an_unpaid_hold_gives_the_time_back(client, admin, db_session, stripe_on) -> None:
    kind = await _setup(db_session)
    await _book_by_card(client, db_session, stripe_on)
    clock.freeze(NOW + timedelta(minutes=16))
    assert await expire_holds(db_session) == 1
    await db_session.commit()
    await bus.drain()
    attendee = await _attendee(db_session)
    appointment = await db_session.get(Appointment, attendee.appointment_id, populate_existing=True)
    assert (attendee.status, attendee.payment_status) == ("cancelled", "released")
    assert appointment.status == "cancelled" and appointment.seats_taken == 0
    again = await post_form(client, f"/book/{kind.slug}/details", _details(payment="at_appointment"))
    assert again.status_code in (200, 303)  # the time is free again
    assert (await db_session.scalar(select(func.count()).select_from(Attendee))) == 2


async def test_paying_at_the_appointment_books_at_once(client, admin, db_session) -> None:
    await _setup(db_session)
    done = await post_form(client, "/book/haircut/details", _details(payment="at_appointment"))
    assert done.status_code == 200 and "You are booked" in done.text
    attendee = await _attendee(db_session)
    assert (attendee.payment_status, attendee.price, attendee.order_id) == ("none", 2500, None)
    assert "paid at the appointment" in done.text
    assert (await db_session.scalar(select(func.count()).select_from(Order))) == 0


async def _offer_bank_transfer(db_session) -> None:
    settings = await checkout_settings(db_session)
    await save_checkout_settings(
        db_session,
        dataclasses.replace(
            settings, bank_account_holder="Salon SARL", bank_iban="FR1420041010050500013M02606"
        ),
        actor=SYSTEM,
    )
    await db_session.commit()


async def test_a_bank_transfer_confirms_now_and_is_paid_when_staff_say_so(client, admin, db_session) -> None:
    await _setup(db_session)
    await _offer_bank_transfer(db_session)
    done = await post_form(client, "/book/haircut/details", _details(payment="bank_transfer"))
    assert done.status_code == 200 and "Awaiting your transfer" in done.text and "FR14" in done.text
    subjects = await _subjects(db_session)
    assert any(s.startswith("Booked: Haircut") for s in subjects)
    assert any("VRS-2026-" in s for s in subjects)  # the order email with the bank details
    attendee = await _attendee(db_session)
    order = await load_order(db_session, attendee.order_id)
    await staff_mark_paid(db_session, order, actor=SYSTEM)
    await db_session.commit()
    await bus.drain()
    assert (await _attendee(db_session)).payment_status == "paid"


async def test_cancelling_before_the_transfer_closes_the_order_with_one_email(
    client, admin, db_session
) -> None:
    await _setup(db_session)
    await _offer_bank_transfer(db_session)
    await post_form(client, "/book/haircut/details", _details(payment="bank_transfer"))
    attendee = await _attendee(db_session)
    await post_form(client, f"/book/manage/{manage_token(attendee.id)}/cancel", {})
    order = await db_session.get(Order, attendee.order_id, populate_existing=True)
    assert ((await _attendee(db_session)).payment_status, order.status) == ("released", "cancelled")
    # The booking's cancellation notice tells the customer; the order sends no second email.
    cancelled = select(OutboxEmail).where(OutboxEmail.template == "orders/cancelled")
    assert await db_session.scalar(cancelled) is None


async def test_cancelling_refunds_what_was_paid_less_the_late_fee(
    client, admin, db_session, stripe_on
) -> None:
    await _setup(db_session)
    payment = await _book_by_card(client, db_session, stripe_on)
    await post_stripe_event(client, stripe_on.complete_session(payment.reference))
    attendee = await _payment_becomes(db_session, "paid")
    clock.freeze(datetime(2026, 12, 3, 8, 0, tzinfo=UTC))  # an hour before: the 24-hour fee applies
    cancelled = await post_form(client, f"/book/manage/{manage_token(attendee.id)}/cancel", {})
    assert cancelled.status_code == 200 and "fee of €10.00" in cancelled.text.replace("\u00a0", " ")
    attendee = await _attendee(db_session)
    refund = await db_session.scalar(select(Refund))
    assert (attendee.status, attendee.payment_status, attendee.fee_due) == ("cancelled", "refunded", 1000)
    assert refund.amount == 1500


async def test_cancelling_in_time_refunds_everything(client, admin, db_session, stripe_on) -> None:
    await _setup(db_session)
    payment = await _book_by_card(client, db_session, stripe_on)
    await post_stripe_event(client, stripe_on.complete_session(payment.reference))
    attendee = await _payment_becomes(db_session, "paid")
    await post_form(client, f"/book/manage/{manage_token(attendee.id)}/cancel", {})
    refund = await db_session.scalar(select(Refund))
    order = await db_session.get(Order, attendee.order_id, populate_existing=True)
    assert refund.amount == 2500 and order.status == "refunded"


async def test_cancelling_before_paying_closes_the_order(client, admin, db_session, stripe_on) -> None:
    await _setup(db_session)
    await _book_by_card(client, db_session, stripe_on)
    attendee = await _attendee(db_session)
    await post_form(client, f"/book/manage/{manage_token(attendee.id)}/cancel", {})
    attendee = await _attendee(db_session)
    order = await db_session.get(Order, attendee.order_id, populate_existing=True)
    assert (attendee.payment_status, order.status) == ("released", "cancelled")
    assert (await db_session.scalar(select(func.count()).select_from(Refund))) == 0


async def test_the_sweep_settles_what_an_event_missed(client, admin, db_session, stripe_on) -> None:
    await _setup(db_session)
    await _book_by_card(client, db_session, stripe_on)
    attendee = await _attendee(db_session)
    order = await db_session.get(Order, attendee.order_id)
    order.status = "paid"  # as if the process stopped between the order's commit and the event
    await db_session.commit()
    assert await settle_payments(db_session, now=clock.utcnow()) == 1
    await db_session.commit()
    assert (await _attendee(db_session)).payment_status == "paid"
    assert await settle_payments(db_session, now=clock.utcnow()) == 0


async def test_a_waitlist_offer_for_a_priced_type_is_paid_like_a_booking(
    client, admin, db_session, stripe_on
) -> None:
    kind = await _setup(db_session)
    staff = await db_session.scalar(select(StaffMember))
    entry = WaitlistEntry(
        type_id=kind.id,
        day=date(2026, 12, 3),
        name="Wendy",
        email="wendy@example.com",
        status="offered",
        offered_start=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
        offered_staff_id=staff.id,
        offer_expires_at=NOW + timedelta(hours=2),
    )
    db_session.add(entry)
    await db_session.commit()
    url = f"/book/claim/{manage_token(entry.id, 'claim')}"
    page = await client.get(url)
    assert 'value="stripe"' in page.text and 'value="at_appointment"' in page.text
    refused = await post_form(client, url, {"payment": "cheque"})
    assert refused.status_code == 422 and "Choose how to pay." in refused.text
    claimed = await post_form(client, url, {"payment": "stripe"}, follow_redirects=False)
    payment = await db_session.scalar(select(Payment))
    assert claimed.status_code == 303 and claimed.headers["location"] == payment.redirect_url
    attendee = await _attendee(db_session)
    assert (attendee.email, attendee.payment_status, payment.amount) == ("wendy@example.com", "pending", 2500)
