"""Subscriptions over HTTP against the Stripe stand-in: Subscribe on the product page, Stripe Checkout,
the webhook events that set the status and period (in any order, each once), cancelling at period end
and resuming from /account, someone else's subscription answering 404, the staff list, and the
refusals (no Stripe, no price, not a subscription, already subscribed)."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import func, select

from tests.factories import ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, make_user, post_form, sign_in
from tests.orders.helpers import post_stripe_event
from tests.shop.helpers import make_product
from verso.domains.orders.models import PaymentEvent, Subscription

FEB_1, MAR_1 = 1_769_904_000, 1_772_323_200  # 2026-02-01 and 2026-03-01, 00:00 UTC


async def _club(db_session, **changes):
    fields = {"is_subscription": True, "stripe_price_id": "price_club", "track_stock": False}
    product = await make_product(db_session, "Coffee club", price=900, **fields)
    if changes:  # states the product form refuses (a subscription without a price) are set directly
        for name, value in changes.items():
            setattr(product, name, value)
        await db_session.commit()
    return product


async def _customer(client, email: str = "ann@example.com"):
    user = await make_user(email, ["user"], email_verified=True)
    await sign_in(client, email, PASSWORD)
    return user


async def _subscribe(client, db_session, stripe_on, product) -> Subscription:
    """Subscribe from the product page and pay on the stand-in's Checkout: the row, Stripe's events
    not yet delivered."""
    stripe_on.add_price("price_club", 900)
    page = await client.get(f"/shop/p/{product.slug}")
    assert 'action="/subscriptions"' in page.text and ">Subscribe</button>" in page.text
    started = await post_form(
        client,
        "/subscriptions",
        {"product_id": str(product.id), "from": f"/shop/p/{product.slug}"},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text[:2000]
    row = await db_session.scalar(select(Subscription))
    assert started.headers["location"] == f"{stripe_on.base_url}/c/pay/{row.checkout_reference}"
    return row


async def test_subscribe_and_the_webhook_makes_it_active(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    user = await _customer(client)
    row = await _subscribe(client, db_session, stripe_on, product)
    assert (row.status, row.customer_id, row.email, row.product_name) == (
        "incomplete",
        user.id,
        user.email,
        "Coffee club",
    )
    [call] = stripe_on.calls("POST", "/v1/checkout/sessions")
    assert (
        call.params["client_reference_id"] == str(row.id)
        and call.params["customer_email"] == "ann@example.com"
    )
    assert call.params["success_url"].endswith("/account/subscriptions?subscribed=1")
    waiting = await client.get("/account/subscriptions?subscribed=1")
    assert "as soon as Stripe confirms" in waiting.text and "Coffee club" not in waiting.text

    assert await post_stripe_event(client, stripe_on.complete_session(row.checkout_reference)) == "subscribed"
    await db_session.refresh(row)
    stripe_id = stripe_on.sessions[row.checkout_reference]["subscription"]
    assert (row.status, row.stripe_subscription_id) == ("active", stripe_id)
    assert row.stripe_customer_id == stripe_on.subscriptions[stripe_id]["customer"]
    created = stripe_on.subscription_event(stripe_id, "customer.subscription.created", period=(FEB_1, MAR_1))
    assert await post_stripe_event(client, created) == "active"
    await db_session.refresh(row)
    assert (row.current_period_start, row.current_period_end) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )

    page = await client.get("/account/subscriptions")
    assert page.status_code == 200 and "Coffee club" in page.text and ">Active<" in page.text
    assert "1 Mar 2026, 01:00" in page.text  # midnight UTC, in the business's Paris time
    fragment = await client.get("/account/subscriptions", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="subscriptions">') and "<html" not in fragment.text


async def test_status_follows_the_events_and_a_replay_changes_nothing(
    client, admin, db_session, stripe_on
) -> None:
    product = await _club(db_session)
    await _customer(client)
    row = await _subscribe(client, db_session, stripe_on, product)
    completed = stripe_on.complete_session(row.checkout_reference)
    stripe_id = completed["data"]["object"]["subscription"]
    # Stripe does not promise an order: the subscription's event may come before the session's.
    created = stripe_on.subscription_event(stripe_id, "customer.subscription.created", period=(FEB_1, MAR_1))
    assert await post_stripe_event(client, created) == "active"
    assert await post_stripe_event(client, completed) == "subscribed"

    past_due = stripe_on.subscription_event(stripe_id, status="past_due")
    assert await post_stripe_event(client, past_due) == "past_due"
    await db_session.refresh(row)
    assert (row.status, row.current_period_end) == ("past_due", datetime(2026, 3, 1, tzinfo=UTC))

    stale = stripe_on.subscription_event(stripe_id, status="active", period=(FEB_1 - 100, FEB_1))
    deleted = stripe_on.subscription_event(stripe_id, "customer.subscription.deleted")
    assert await post_stripe_event(client, deleted) == "canceled"
    assert await post_stripe_event(client, stale) == "canceled"  # an older event never revives it
    await db_session.refresh(row)
    assert (row.status, row.current_period_end) == ("canceled", datetime(2026, 3, 1, tzinfo=UTC))

    seen = await db_session.scalar(select(func.count()).select_from(PaymentEvent))
    row.status = "active"  # were the replay acted on, it would cancel this again
    await db_session.commit()
    assert await post_stripe_event(client, deleted) == "duplicate"
    await db_session.refresh(row)
    assert row.status == "active"
    assert await db_session.scalar(select(func.count()).select_from(PaymentEvent)) == seen == 5


async def test_an_expired_checkout_ends_the_incomplete_row(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    await _customer(client)
    row = await _subscribe(client, db_session, stripe_on, product)
    session = {"id": row.checkout_reference, "object": "checkout.session", "mode": "subscription"}
    session |= {
        "status": "expired",
        "payment_status": "unpaid",
        "metadata": {},
        "client_reference_id": str(row.id),
    }
    assert await post_stripe_event(client, stripe_on.event("checkout.session.expired", session)) == "expired"
    await db_session.refresh(row)
    assert row.status == "canceled" and "expired" in row.note
    assert "Coffee club" not in (await client.get("/account/subscriptions")).text


async def _active(client, db_session, stripe_on, product) -> tuple[Subscription, str]:
    row = await _subscribe(client, db_session, stripe_on, product)
    await post_stripe_event(client, stripe_on.complete_session(row.checkout_reference))
    await db_session.refresh(row)
    stripe_id = row.stripe_subscription_id
    await post_stripe_event(
        client,
        stripe_on.subscription_event(stripe_id, "customer.subscription.created", period=(FEB_1, MAR_1)),
    )
    await db_session.refresh(row)
    return row, stripe_id


async def test_cancel_at_period_end_and_resume_from_the_account(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    await _customer(client)
    row, stripe_id = await _active(client, db_session, stripe_on, product)
    page = await client.get("/account/subscriptions")
    assert f'action="/account/subscriptions/{row.id}/cancel"' in page.text and "data-confirm=" in page.text

    cancelled = await post_form(client, f"/account/subscriptions/{row.id}/cancel", {}, follow_redirects=False)
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/account/subscriptions"
    assert stripe_on.subscriptions[stripe_id]["cancel_at_period_end"] is True
    await db_session.refresh(row)
    assert row.cancel_at_period_end and row.status == "active"
    page = await client.get("/account/subscriptions")
    assert "will not renew" in unescape(page.text) and "Ends at period end" in page.text
    assert f'action="/account/subscriptions/{row.id}/resume"' in page.text
    # Stripe's own event confirms it; then renewal is switched back on.
    assert await post_stripe_event(client, stripe_on.subscription_event(stripe_id)) == "active"
    resumed = await post_form(client, f"/account/subscriptions/{row.id}/resume", {}, htmx=True)
    assert resumed.status_code < 300 and resumed.headers["hx-redirect"] == "/account/subscriptions"
    await db_session.refresh(row)
    assert (
        not row.cancel_at_period_end and stripe_on.subscriptions[stripe_id]["cancel_at_period_end"] is False
    )

    await post_stripe_event(client, stripe_on.subscription_event(stripe_id, "customer.subscription.deleted"))
    ended = await post_form(client, f"/account/subscriptions/{row.id}/cancel", {})
    assert (
        "This subscription has already ended." in ended.text
        and len(stripe_on.calls("POST", "/v1/subscriptions")) == 2
    )


async def test_another_customers_subscription_answers_404(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    await _customer(client)
    row, _ = await _active(client, db_session, stripe_on, product)
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    await _customer(client, "bob@example.com")
    for action in ("cancel", "resume"):
        answer = await post_form(client, f"/account/subscriptions/{row.id}/{action}", {})
        assert answer.status_code == 404
    assert "Coffee club" not in (await client.get("/account/subscriptions")).text
    assert stripe_on.calls("POST", "/v1/subscriptions") == []
    assert (await post_form(client, "/account/subscriptions/not-an-id/cancel", {})).status_code == 404


async def test_without_stripe_the_button_is_not_offered(client, admin, db_session) -> None:
    product = await _club(db_session)
    await _customer(client)
    page = await client.get(f"/shop/p/{product.slug}")
    assert "cannot be started online right now" in page.text and 'action="/subscriptions"' not in page.text
    refused = await post_form(
        client, "/subscriptions", {"product_id": str(product.id), "from": f"/shop/p/{product.slug}"}
    )
    assert refused.status_code == 200 and str(refused.url).endswith(f"/shop/p/{product.slug}")
    assert "Subscriptions are not available right now: card payments are not set up." in refused.text
    assert await db_session.scalar(select(func.count()).select_from(Subscription)) == 0


async def test_anonymous_visitors_are_asked_to_sign_in(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    page = await client.get(f"/shop/p/{product.slug}")
    assert f'href="/login?next=/shop/p/{product.slug}"' in page.text and "Sign in to subscribe" in page.text
    assert 'action="/subscriptions"' not in page.text
    refused = await post_form(
        client, "/subscriptions", {"product_id": str(product.id)}, follow_redirects=False
    )
    assert refused.status_code in (302, 303, 401) and stripe_on.calls("POST", "/v1/checkout/sessions") == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"stripe_price_id": ""}, "has not linked it to a Stripe price"),
        ({"is_subscription": False}, "This product is not a subscription."),
        ({"status": "draft"}, "This product is not for sale right now."),
    ],
)
async def test_products_that_cannot_be_subscribed_to(
    client, admin, db_session, stripe_on, fields, message
) -> None:
    product = await _club(db_session, **fields)
    await _customer(client)
    refused = await post_form(
        client, "/subscriptions", {"product_id": str(product.id), "from": "https://evil.example/"}
    )
    assert str(refused.url).endswith("/shop") and message in unescape(refused.text)
    assert stripe_on.calls("POST", "/v1/checkout/sessions") == []


async def test_one_live_subscription_per_product(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    await _customer(client)
    await _active(client, db_session, stripe_on, product)
    again = await post_form(
        client, "/subscriptions", {"product_id": str(product.id), "from": f"/shop/p/{product.slug}"}
    )
    assert "You already subscribe to Coffee club" in unescape(again.text)
    assert await db_session.scalar(select(func.count()).select_from(Subscription)) == 1


async def test_a_stripe_failure_is_told_and_noted(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    await _customer(client)
    stripe_on.fail_next("api_error")
    refused = await post_form(
        client, "/subscriptions", {"product_id": str(product.id), "from": f"/shop/p/{product.slug}"}
    )
    assert "The payment service is not answering right now." in unescape(refused.text)
    row = await db_session.scalar(select(Subscription))
    assert (
        row.status == "incomplete"
        and row.checkout_reference == ""
        and "api_error" in row.note.lower().replace("apierror", "api_error")
    )


async def test_the_staff_list(client, admin, db_session, stripe_on) -> None:
    product = await _club(db_session)
    await _customer(client)
    await _active(client, db_session, stripe_on, product)
    db_session.add(
        Subscription(
            email="zoe@example.com", product_name="Tea club", stripe_price_id="price_tea", status="past_due"
        )
    )
    await db_session.commit()
    assert (await client.get("/admin/orders/subscriptions")).status_code == 403

    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("verso_csrf")})
    await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    page = await client.get("/admin/orders/subscriptions")
    assert page.status_code == 200 and "ann@example.com" in page.text and "zoe@example.com" in page.text
    assert ">Subscriptions<" in page.text and "1 Mar 2026, 01:00" in page.text
    past_due = await client.get("/admin/orders/subscriptions?status=past_due", headers={"HX-Request": "true"})
    assert (
        "zoe@example.com" in past_due.text
        and "ann@example.com" not in past_due.text
        and "<html" not in past_due.text
    )
    found = await client.get("/admin/orders/subscriptions?q=coffee")
    assert "ann@example.com" in found.text and "zoe@example.com" not in found.text
