"""Reviews over HTTP: the product page's section for anonymous and signed-in visitors, writing and
editing (plain POST and htmx, with inline errors), "More reviews", helpful votes, and the staff
moderation queue (table, fragment, single and bulk actions, reply, permissions)."""

from __future__ import annotations

import re

from sqlalchemy import event, select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.shop.helpers import ACTOR, make_product
from verso.domains.shop.models import Product, Review
from verso.domains.shop.services import ReviewInput, ReviewService
from verso.lib.audit import AuditLog
from verso.lib.db import get_engine

GOOD = {
    "rating": "4",
    "title": "Solid mug",
    "body": "Keeps the coffee warm for ages.",
    "author_name": "Ann B.",
}


async def _customer(client, email: str = "ann@example.com", first: str = "Ann", last: str = "Bell") -> object:
    user = await make_user(email, ["user"], email_verified=True, first_name=first, last_name=last)
    await sign_in(client, email, PASSWORD)
    return user


async def _approved(db_session, product, n: int, start: int = 0) -> list:
    """``n`` approved reviews of ``product`` by new customers."""
    service = ReviewService(session=db_session)
    people = [
        await make_user(f"r{i}@example.com", ["user"], email_verified=True) for i in range(start, start + n)
    ]
    ids = []
    for i, person in enumerate(people, start):
        body = f"Review number {i}: very nice indeed."
        review, _ = await service.submit(
            product, person.id, ReviewInput(1 + i % 5, f"Title {i}", body, f"R{i}")
        )
        ids.append(review.id)
    await service.set_status(ids, "approved", actor=ACTOR)
    await db_session.commit()
    return ids


def _section(html: str) -> str:
    start = html.index('<section id="reviews"')
    return html[start : html.index("</section>", html.index('id="your-review"'))]


async def test_anonymous_visitors_see_approved_reviews_and_a_sign_in_link(client, admin, db_session) -> None:
    product = await make_product(db_session, "Blue mug")
    await _approved(db_session, product, 2)
    pending = await make_user("p@example.com", ["user"], email_verified=True)
    await ReviewService(session=db_session).submit(
        await db_session.get_one(Product, product.id),
        pending.id,
        ReviewInput(1, "Hidden", "Not approved yet.", "P"),
    )
    await db_session.commit()
    page = await client.get("/shop/p/blue-mug")
    assert page.status_code == 200
    assert "Title 0" in page.text and "Title 1" in page.text and "Hidden" not in page.text
    assert (
        'href="/login?next=/shop/p/blue-mug%23reviews"' in page.text
        and "Sign in to write a review" in page.text
    )
    assert "from 2 reviews" in page.text and 'aria-label="Reviews by number of stars"' in page.text
    section = _section(page.text)
    assert "<form" not in section and "csrf" not in section  # nothing personal: the page is cached


async def test_write_edit_and_refuse_a_second_review(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    await _customer(client)
    page = await client.get("/shop/p/blue-mug")
    assert "Write a review" in page.text and 'name="rating" value="5"' in page.text
    assert 'id="f-author_name" name="author_name"' in page.text and 'value="Ann Bell"' in page.text
    sent = await post_form(client, "/shop/p/blue-mug/reviews", GOOD, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/shop/p/blue-mug#reviews"
    shown = await client.get("/shop/p/blue-mug")
    assert "Thanks — your review will appear once approved." in shown.text  # the flash
    assert "Waiting for approval" in shown.text and "Edit your review" in shown.text
    assert "Keeps the coffee warm for ages." in shown.text
    edited = await post_form(client, "/shop/p/blue-mug/reviews", {**GOOD, "rating": "2"}, htmx=True)
    assert (
        edited.status_code == 200
        and "<html" not in edited.text
        and edited.text.startswith('<section id="reviews"')
    )
    assert (
        "Your review was updated" in edited.text and "Your review was updated" in edited.headers["hx-trigger"]
    )
    review = (await db_session.scalars(select(Review))).one()
    assert (review.rating, review.status, review.author_name) == (2, "pending", "Ann B.")
    await ReviewService(session=db_session).set_status([review.id], "approved", actor=ACTOR)
    await db_session.commit()
    again = await post_form(client, "/shop/p/blue-mug/reviews", GOOD)
    assert again.status_code == 422 and "You have already reviewed this product." in again.text
    published = await client.get("/shop/p/blue-mug")
    assert "Published" in published.text and "Edit your review" not in published.text


async def test_invalid_reviews_come_back_with_every_error(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    await _customer(client)
    bad = {"rating": "9", "title": "x" * 200, "body": "short", "author_name": ""}
    page = await post_form(client, "/shop/p/blue-mug/reviews", bad)
    assert page.status_code == 422 and "<html" in page.text and "Reviews of Blue mug" in page.text
    for message in ("Choose from 1 to 5 stars.", "at most 150 characters", "at least 10 characters",
                    "Enter the name to show with your review."):  # fmt: skip
        assert message in page.text
    assert 'aria-invalid="true"' in page.text and "xxxxx" in page.text  # input kept
    fragment = await post_form(client, "/shop/p/blue-mug/reviews", {"body": "Nice"}, htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.text and 'id="reviews"' in fragment.text
    assert "Choose from 1 to 5 stars." in fragment.text
    assert await db_session.scalar(select(Review.id)) is None
    assert (await post_form(client, "/shop/p/nothing/reviews", GOOD)).status_code == 404


async def test_writing_needs_a_signed_in_person(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    await client.get("/shop/p/blue-mug")
    response = await post_form(client, "/shop/p/blue-mug/reviews", GOOD, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    assert await db_session.scalar(select(Review.id)) is None


async def test_more_reviews_page_and_fragment(client, admin, db_session) -> None:
    product = await make_product(db_session, "Blue mug")
    await _approved(db_session, product, 12)
    page = await client.get("/shop/p/blue-mug")
    assert page.text.count('class="review"') == 10
    assert 'hx-get="/shop/p/blue-mug/reviews?page=2"' in page.text and "More reviews" in page.text
    more = await client.get("/shop/p/blue-mug/reviews?page=2", headers={"HX-Request": "true"})
    assert more.status_code == 200 and "<html" not in more.text and more.text.strip().startswith("<li")
    assert more.text.count('class="review"') == 2 and "More reviews" not in more.text
    full = await client.get("/shop/p/blue-mug/reviews?page=2")
    assert "<html" in full.text and "Previous reviews" in full.text and full.text.count('class="review"') == 2
    assert (await client.get("/shop/p/blue-mug/reviews?page=abc")).status_code == 200
    assert (await client.get("/shop/p/no-such-thing/reviews")).status_code == 404


async def test_votes_over_http(client, admin, db_session) -> None:
    product = await make_product(db_session, "Blue mug")
    (review_id,) = await _approved(db_session, product, 1)
    await _customer(client)
    page = await client.get("/shop/p/blue-mug")
    assert f'action="/shop/reviews/{review_id}/vote"' in page.text
    voted = await post_form(client, f"/shop/reviews/{review_id}/vote", {"vote": "helpful"}, htmx=True)
    assert voted.status_code == 200 and voted.text.startswith(
        f'<div class="review-votes" id="votes-{review_id}"'
    )
    assert (
        'value="none" aria-pressed="true"' in voted.text and 'Yes <span class="vote-count">(1)' in voted.text
    )
    changed = await post_form(
        client, f"/shop/reviews/{review_id}/vote", {"vote": "not_helpful"}, follow_redirects=False
    )
    assert (
        changed.status_code == 303 and changed.headers["location"] == f"/shop/p/blue-mug#review-{review_id}"
    )
    review = await db_session.get_one(Review, review_id, populate_existing=True)
    assert (review.helpful_count, review.not_helpful_count) == (0, 1)
    await post_form(client, f"/shop/reviews/{review_id}/vote", {"vote": "none"})
    review = await db_session.get_one(Review, review_id, populate_existing=True)
    assert (review.helpful_count, review.not_helpful_count) == (0, 0)
    assert (await post_form(client, f"/shop/reviews/{review_id}/vote", {"vote": "love"})).status_code == 400


async def test_no_votes_on_ones_own_or_unpublished_reviews(client, admin, db_session) -> None:
    await make_product(db_session, "Blue mug")
    await _customer(client)
    await post_form(client, "/shop/p/blue-mug/reviews", GOOD)
    own = (await db_session.scalars(select(Review))).one()
    assert (await post_form(client, f"/shop/reviews/{own.id}/vote", {"vote": "helpful"})).status_code == 404
    await ReviewService(session=db_session).set_status([own.id], "approved", actor=ACTOR)
    await db_session.commit()
    page = await client.get("/shop/p/blue-mug")
    assert f'action="/shop/reviews/{own.id}/vote"' not in page.text
    refused = await post_form(client, f"/shop/reviews/{own.id}/vote", {"vote": "helpful"}, htmx=True)
    assert refused.status_code == 403 and "own review" in refused.text
    plain = await post_form(
        client, f"/shop/reviews/{own.id}/vote", {"vote": "helpful"}, follow_redirects=False
    )
    assert plain.status_code == 303  # back to the page, with the reason in a message
    assert (await db_session.get_one(Review, own.id, populate_existing=True)).helpful_count == 0


async def test_product_page_queries_do_not_grow_with_reviews(client, admin, db_session) -> None:
    product = await make_product(db_session, "Blue mug")
    await _approved(db_session, product, 2)
    await _customer(client)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def queries() -> int:
        await client.get("/shop/p/blue-mug")  # warm the per-process caches (settings reload every 5 s)
        statements.clear()
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        try:
            assert (await client.get("/shop/p/blue-mug")).status_code == 200
        finally:
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
        return len(statements)

    few = await queries()
    await _approved(db_session, product, 15, start=2)
    assert await queries() == few


# ---- staff -------------------------------------------------------------------------------------
async def _queue(db_session) -> tuple[object, list]:
    mug, pot = await make_product(db_session, "Blue mug"), await make_product(db_session, "Tea pot")
    service = ReviewService(session=db_session)
    people = [await make_user(f"q{i}@example.com", ["user"], email_verified=True) for i in range(3)]
    reviews = [
        (
            await service.submit(
                mug, people[0].id, ReviewInput(5, "Great mug", "Lovely glaze and weight.", "Q0")
            )
        )[0],
        (
            await service.submit(
                mug, people[1].id, ReviewInput(2, "Chipped", "Arrived with a chip on the rim.", "Q1")
            )
        )[0],
        (
            await service.submit(
                pot, people[2].id, ReviewInput(4, "Good pot", "Pours without dripping.", "Q2")
            )
        )[0],
    ]
    await db_session.commit()
    await service.set_status([reviews[2].id], "approved", actor=ACTOR)
    await db_session.commit()
    return mug, [r.id for r in reviews]


async def test_moderation_queue_page_fragment_and_filters(admin_client, db_session) -> None:
    await _queue(db_session)
    page = await admin_client.get("/admin/shop/reviews")
    assert page.status_code == 200 and "<html" in page.text
    assert page.text.index("Great mug") < page.text.index("Good pot")  # pending first
    assert page.text.index("Chipped") < page.text.index("Good pot")
    assert 'href="/admin/shop/reviews"' in page.text  # the nav entry
    fragment = await admin_client.get("/admin/shop/reviews?status=approved", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="reviews-table"' in fragment.text
    assert "Good pot" in fragment.text and "Great mug" not in fragment.text
    found = await admin_client.get("/admin/shop/reviews?q=tea+pot")
    assert "Good pot" in found.text and "Chipped" not in found.text
    rated = await admin_client.get("/admin/shop/reviews?rating=2")
    assert "Chipped" in rated.text and "Great mug" not in rated.text


async def test_approve_reject_bulk_and_ratings(admin_client, db_session) -> None:
    mug, (great, chipped, _good) = await _queue(db_session)
    mug_id = mug.id
    await admin_client.get("/admin/shop/reviews")
    approve = {"action": "approve", "back": "/admin/shop/reviews?q=mug"}
    done = await post_form(
        admin_client, f"/admin/shop/reviews/{great}/status", approve, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/shop/reviews?q=mug"
    product = await db_session.get_one(Product, mug_id, populate_existing=True)
    assert (product.rating_count, product.rating_total) == (1, 5)
    shop_page = await admin_client.get("/shop/p/blue-mug")
    assert "Great mug" in shop_page.text and "Chipped" not in shop_page.text
    bulk = await post_form(
        admin_client, "/admin/shop/reviews/bulk", {"ids": [str(great), str(chipped)], "action": "reject"},
        follow_redirects=False,
    )  # fmt: skip
    assert bulk.status_code == 303
    product = await db_session.get_one(Product, mug_id, populate_existing=True)
    assert (product.rating_count, product.rating_total) == (0, 0)
    actions = (
        await db_session.scalars(select(AuditLog.action).where(AuditLog.target_type == "shop_review"))
    ).all()
    assert actions.count("shop.review.rejected") == 2 and "shop.review.approved" in actions
    junk = await post_form(admin_client, "/admin/shop/reviews/bulk", {"ids": ["nope"], "action": "approve"})
    assert junk.status_code == 200 and "Choose reviews and an action." in junk.text
    assert (
        await post_form(admin_client, f"/admin/shop/reviews/{great}/status", {"action": "burn"})
    ).status_code == 200


async def test_reply_as_the_shop(admin_client, db_session) -> None:
    _mug, (_great, _chipped, good) = await _queue(db_session)
    detail = await admin_client.get(f"/admin/shop/reviews/{good}")
    assert (
        detail.status_code == 200
        and "Pours without dripping." in detail.text
        and 'name="reply"' in detail.text
    )
    too_long = await post_form(
        admin_client, f"/admin/shop/reviews/{good}/reply", {"reply": "x" * 5001}, htmx=True
    )
    assert (
        too_long.status_code == 422
        and "at most 5000 characters" in too_long.text
        and "<html" not in too_long.text
    )
    saved = await post_form(
        admin_client,
        f"/admin/shop/reviews/{good}/reply",
        {"reply": "Thanks, enjoy your tea!"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    shop_page = await admin_client.get("/shop/p/tea-pot")
    assert "Reply from Test Bakery" in shop_page.text and "Thanks, enjoy your tea!" in shop_page.text
    entry = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "shop.review.replied"))).one()
    assert entry.target_id == str(good)
    assert (
        await admin_client.get("/admin/shop/reviews/00000000-0000-7000-8000-000000000000")
    ).status_code == 404


async def test_moderation_needs_the_permission(client, admin, db_session) -> None:
    _mug, (great, *_rest) = await _queue(db_session)
    await make_user("sam@example.com", ["commercial"], email_verified=True)
    await sign_in(client, "sam@example.com", PASSWORD)
    assert (await client.get("/admin/shop/reviews")).status_code == 403
    refused = await post_form(client, f"/admin/shop/reviews/{great}/status", {"action": "approve"})
    assert refused.status_code == 403
    assert (await db_session.get_one(Review, great, populate_existing=True)).status == "pending"
    nav = await client.get("/admin")
    assert not re.search(r'href="/admin/shop/reviews"', nav.text)
