"""Review rules through the service: one review per customer and product, edits only while pending,
input rules, exact rating aggregates through any sequence of moderation, vote rules and exact counts,
the shop's reply, and a fixed number of queries for the product page's section."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event, func, select

from tests.factories import make_user
from tests.shop.helpers import ACTOR, make_product
from verso.domains.shop.models import Product, Review, ReviewVote
from verso.domains.shop.services import ReviewError, ReviewInput, ReviewService, catalog_version
from verso.domains.shop.services._reviews import clean_text
from verso.lib.audit import AuditLog
from verso.lib.db import get_engine


def _input(rating: int = 5, body: str = "Really good, would buy again.", **more: str) -> ReviewInput:
    return ReviewInput(
        rating=rating, title=more.get("title", ""), body=body, author_name=more.get("author", "Ann")
    )


async def _customers(n: int) -> list:
    return [await make_user(f"c{i}@example.com", ["user"], email_verified=True) for i in range(n)]


async def _exact(db_session) -> dict:
    """(count, total) per product: the counters, and what the approved reviews say."""
    db_session.expire_all()
    counters = {
        p.id: (p.rating_count, p.rating_total) for p in (await db_session.scalars(select(Product))).all()
    }
    rows = await db_session.execute(
        select(Review.product_id, func.count(), func.coalesce(func.sum(Review.rating), 0))
        .where(Review.status == "approved")
        .group_by(Review.product_id)
    )
    truth = dict.fromkeys(counters, (0, 0)) | {pid: (count, total) for pid, count, total in rows}
    return {"counters": counters, "truth": truth}


def test_input_rules_and_cleaning() -> None:
    assert _input().rule_errors() == {}
    errors = ReviewInput(rating=0, title="x" * 151, body="short", author_name="  ").rule_errors()
    assert set(errors) == {"rating", "title", "body", "author_name"}
    assert "at least 10" in errors["body"]
    assert ReviewInput(rating=6, title="", body="y" * 5001, author_name="A" * 81).rule_errors().keys() == {
        "rating",
        "body",
        "author_name",
    }
    cleaned = ReviewInput(
        rating=4, title="  Nice\x00 one \n", body="Line one\r\n\r\n\r\n\r\nLine\x07 two  ", author_name=" Bo "
    )
    assert (cleaned.title, cleaned.body, cleaned.author_name) == ("Nice one", "Line one\n\nLine two", "Bo")
    assert clean_text("a\tb\x1bc") == "a bc"


async def test_one_review_per_product_editable_while_pending(admin, db_session) -> None:
    product = await make_product(db_session)
    product_id = product.id
    (ann,) = await _customers(1)
    service = ReviewService(session=db_session)
    review, created = await service.submit(product, ann.id, _input(4, title="First"))
    await db_session.commit()
    assert created and review.status == "pending" and review.verified_purchase is False
    edited, created = await service.submit(product, ann.id, _input(2, title="Changed my mind"))
    await db_session.commit()
    assert not created and edited.id == review.id and (edited.rating, edited.title) == (2, "Changed my mind")
    assert await db_session.scalar(select(func.count()).select_from(Review)) == 1
    await service.set_status([review.id], "approved", actor=ACTOR)
    await db_session.commit()
    review_id = review.id  # the rollback below expires the objects
    with pytest.raises(ReviewError) as refused:
        await service.submit(product, ann.id, _input(5, title="Sneaky edit"))
    assert "already reviewed" in str(refused.value)
    await db_session.rollback()
    assert await db_session.scalar(select(Review.title).where(Review.id == review_id)) == "Changed my mind"
    with pytest.raises(ReviewError) as invalid:
        await service.submit(await db_session.get_one(Product, product_id), ann.id, _input(9))
    assert "rating" in invalid.value.errors


async def test_draft_products_take_no_reviews(admin, db_session) -> None:
    draft = await make_product(db_session, "Secret", status="draft")
    (ann,) = await _customers(1)
    with pytest.raises(ReviewError):
        await ReviewService(session=db_session).submit(draft, ann.id, _input())


async def test_aggregates_stay_exact_through_any_moderation(admin, db_session) -> None:
    mug, pot = await make_product(db_session, "Mug"), await make_product(db_session, "Pot")
    people = await _customers(6)
    service = ReviewService(session=db_session)
    reviews = []
    for i, person in enumerate(people):
        for product in (mug, pot):
            review, _ = await service.submit(product, person.id, _input(1 + (i * 3 + len(product.name)) % 5))
            reviews.append(review.id)
    await db_session.commit()
    rng = random.Random(20261122)
    version = await db_session.scalar(select(catalog_version.c.version))
    for _ in range(40):
        chosen = rng.sample(reviews, rng.randint(1, 5))
        status = rng.choice(["approved", "rejected", "pending", "approved"])
        await service.set_status(chosen, status, actor=ACTOR)
        await db_session.commit()
        state = await _exact(db_session)
        assert state["counters"] == state["truth"]
    assert await db_session.scalar(select(catalog_version.c.version)) > (version or 0)
    # Approving what is already approved changes nothing (and is not counted twice).
    approved = (await db_session.scalars(select(Review.id).where(Review.status == "approved"))).all()
    before = await _exact(db_session)
    assert await service.set_status(list(approved), "approved", actor=ACTOR) == 0
    await db_session.commit()
    assert await _exact(db_session) == before


async def test_moderation_is_audited(admin, db_session) -> None:
    product = await make_product(db_session)
    (ann,) = await _customers(1)
    service = ReviewService(session=db_session)
    review, _ = await service.submit(product, ann.id, _input(3, title="Fine"))
    await db_session.commit()
    assert await service.set_status([review.id], "approved", actor=ACTOR) == 1
    assert await service.set_status([review.id], "rejected", actor=ACTOR) == 1
    await db_session.commit()
    entries = (
        await db_session.scalars(
            select(AuditLog).where(AuditLog.target_type == "shop_review").order_by(AuditLog.id)
        )
    ).all()
    assert [e.action for e in entries] == ["shop.review.approved", "shop.review.rejected"]
    assert (
        entries[1].changes == {"status": ["approved", "rejected"]} and entries[0].target_label == "Fine (Ann)"
    )
    with pytest.raises(ReviewError):
        await service.set_status([review.id], "deleted", actor=ACTOR)


async def test_vote_rules_and_exact_counts(admin, db_session) -> None:
    product = await make_product(db_session)
    author, bo, cy = await _customers(3)
    service = ReviewService(session=db_session)
    review, _ = await service.submit(product, author.id, _input())
    await db_session.commit()
    with pytest.raises(LookupError):  # not approved yet
        await service.vote(review.id, bo.id, True)
    await service.set_status([review.id], "approved", actor=ACTOR)
    await db_session.commit()
    with pytest.raises(ReviewError) as own:
        await service.vote(review.id, author.id, True)
    assert "own review" in str(own.value)

    async def counts() -> tuple[int, int, int]:
        fresh = await db_session.get_one(Review, review.id, populate_existing=True)
        votes = await db_session.scalar(select(func.count()).select_from(ReviewVote))
        return fresh.helpful_count, fresh.not_helpful_count, votes

    # (who, their vote, then (helpful, not helpful, vote rows))
    steps = [(bo, True, (1, 0, 1)), (cy, True, (2, 0, 2)), (bo, True, (2, 0, 2)), (bo, False, (1, 1, 2)),
             (cy, None, (0, 1, 1)), (cy, None, (0, 1, 1)), (bo, None, (0, 0, 0)),
             (cy, False, (0, 1, 1))]  # fmt: skip
    for person, choice, expected in steps:
        _review, mine = await service.vote(review.id, person.id, choice)
        await db_session.commit()
        assert mine is choice and await counts() == expected
        assert await service.my_vote(review.id, person.id) is choice


async def test_reply_is_audited_and_removable(admin, db_session) -> None:
    product = await make_product(db_session)
    (ann,) = await _customers(1)
    service = ReviewService(session=db_session)
    review, _ = await service.submit(product, ann.id, _input())
    await service.reply(review, "  Thank you, Ann!  ", actor=ACTOR)
    await db_session.commit()
    assert review.reply == "Thank you, Ann!" and review.replied_at is not None
    with pytest.raises(ReviewError):
        await service.reply(review, "x" * 5001, actor=ACTOR)
    await service.reply(review, "", actor=ACTOR)
    await db_session.commit()
    assert review.reply == "" and review.replied_at is None
    actions = (
        await db_session.scalars(select(AuditLog.action).where(AuditLog.target_type == "shop_review"))
    ).all()
    assert sorted(actions) == ["shop.review.replied", "shop.review.reply_removed"]


async def test_the_section_reads_a_fixed_number_of_queries(admin, db_session) -> None:
    product = await make_product(db_session)
    people = await _customers(14)
    service = ReviewService(session=db_session)

    async def add(persons: list) -> None:
        ids = []
        for i, person in enumerate(persons):
            review, _ = await service.submit(product, person.id, _input(1 + i % 5))
            ids.append(review.id)
        await service.set_status(ids, "approved", actor=ACTOR)
        await db_session.commit()

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async def queries(user_id) -> int:
        statements.clear()
        event.listen(get_engine().sync_engine, "before_cursor_execute", count)
        try:
            section = await service.section(product.id, user_id=user_id)
        finally:
            event.remove(get_engine().sync_engine, "before_cursor_execute", count)
        assert section.reviews
        return len(statements)

    await add(people[:2])
    few = (await queries(None), await queries(people[-1].id))
    await add(people[2:13])
    assert (await queries(None), await queries(people[-1].id)) == few == (2, 4)
    section = await service.section(product.id, user_id=None)
    assert len(section.reviews) == 10 and section.has_more and section.summary.total == 13
    assert sum(count for _stars, count, _percent in section.summary.rows) == 13
    last = await service.section(product.id, user_id=None, page=2)
    assert len(last.reviews) == 3 and not last.has_more
    assert {r.id for r in last.reviews}.isdisjoint({r.id for r in section.reviews})
