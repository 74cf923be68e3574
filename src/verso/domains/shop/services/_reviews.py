"""Product reviews: one per customer and product, shown once staff approve it, voted helpful or not by
other customers, answered publicly by the shop.

The product's ``rating_count`` and ``rating_total`` count approved reviews only. They move by exact
deltas in the transaction that changes a status, and only for reviews whose status really changed:
each status update is conditional on the old status, so two moderators approving the same review at
once count it once. Vote counts work the same way. Methods change the session; callers commit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from verso.domains.shop.models import Product, Review, ReviewVote
from verso.domains.shop.models._engagement import REVIEW_STATUSES
from verso.domains.shop.services._version import catalog_changed
from verso.lib import clock
from verso.lib.audit import Actor, audit
from verso.lib.forms import NON_FIELD, FormState, form_from

PER_PAGE = 10
MAX_TITLE, MAX_BODY, MIN_BODY, MAX_AUTHOR, MAX_REPLY = 150, 5000, 10, 80, 5000
MODERATION = {"approve": "approved", "reject": "rejected"}  # staff action -> the status it sets
ALREADY_REVIEWED = "You have already reviewed this product."
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ReviewError(Exception):
    """A refused review action: ``errors`` maps form fields to messages fit to show the person."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class VoteChanged(ReviewError):
    """The person's vote changed in another request meanwhile (another tab): nothing was counted."""


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Plain text as people meant it: no control characters, no runs of blank lines, trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = " ".join(text.split())
    text = _CONTROL.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass(frozen=True)
class ReviewInput:
    """What a customer writes. Texts are cleaned on construction (see :func:`clean_text`)."""

    rating: int
    title: str
    body: str
    author_name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", clean_text(self.title))
        object.__setattr__(self, "body", clean_text(self.body, multiline=True))
        object.__setattr__(self, "author_name", clean_text(self.author_name))

    def rule_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not 1 <= self.rating <= 5:
            errors["rating"] = "Choose from 1 to 5 stars."
        if len(self.title) > MAX_TITLE:
            errors["title"] = f"Must be at most {MAX_TITLE} characters."
        if len(self.body) < MIN_BODY:
            errors["body"] = f"Tell other customers a little more (at least {MIN_BODY} characters)."
        elif len(self.body) > MAX_BODY:
            errors["body"] = f"Must be at most {MAX_BODY} characters."
        if not self.author_name:
            errors["author_name"] = "Enter the name to show with your review."
        elif len(self.author_name) > MAX_AUTHOR:
            errors["author_name"] = f"Must be at most {MAX_AUTHOR} characters."
        return errors


def default_author(display_name: str) -> str:
    """The name a review form suggests: the person's name, never their email address."""
    return "" if "@" in display_name else display_name[:MAX_AUTHOR]


@dataclass(frozen=True)
class RatingSummary:
    """Approved reviews per number of stars."""

    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def average(self) -> float | None:
        total = self.total
        return round(sum(stars * n for stars, n in self.counts.items()) / total, 1) if total else None

    @property
    def rows(self) -> list[tuple[int, int, int]]:
        """``(stars, count, percent)`` from 5 stars down to 1, for the distribution bars."""
        total = self.total or 1
        return [
            (s, self.counts.get(s, 0), round(100 * self.counts.get(s, 0) / total)) for s in range(5, 0, -1)
        ]


@dataclass
class ReviewSection:
    """Everything a product page shows about reviews, for one visitor."""

    product_id: UUID
    summary: RatingSummary
    reviews: list[Review]
    page: int
    has_more: bool
    own: Review | None = None
    votes: dict[UUID, bool] = field(default_factory=dict)  # the visitor's votes, by review id

    @property
    def next_page(self) -> int:
        return self.page + 1

    def form(self, display_name: str) -> FormState:
        """The review form as it first shows: the visitor's pending review to edit, or a new one
        signed with their name."""
        own = self.own
        if own is None:
            return form_from({"author_name": default_author(display_name)})
        values = {
            "rating": str(own.rating),
            "title": own.title,
            "body": own.body,
            "author_name": own.author_name,
        }
        return form_from(values)


class ReviewService(SQLAlchemyAsyncRepositoryService[Review]):
    class Repo(SQLAlchemyAsyncRepository[Review]):
        model_type = Review

    repository_type = Repo

    # ---- reading ---------------------------------------------------------------------------------
    async def section(self, product_id: UUID, *, user_id: UUID | None, page: int = 1) -> ReviewSection:
        """One page of approved reviews (most helpful first), the star distribution and, for a
        signed-in visitor, their own review and their votes: at most four queries, however many
        reviews the product has."""
        session = self.repository.session
        page = max(1, min(page, 10_000))
        counts = dict(
            (
                await session.execute(
                    select(Review.rating, func.count())
                    .where(Review.product_id == product_id, Review.status == "approved")
                    .group_by(Review.rating)
                )
            ).all()
        )
        rows = list(
            (
                await session.scalars(
                    select(Review)
                    .where(Review.product_id == product_id, Review.status == "approved")
                    .order_by(Review.helpful_count.desc(), Review.created_at.desc(), Review.id.desc())
                    .offset((page - 1) * PER_PAGE)
                    .limit(PER_PAGE + 1)
                )
            ).all()
        )
        section = ReviewSection(
            product_id, RatingSummary(counts), rows[:PER_PAGE], page, has_more=len(rows) > PER_PAGE
        )
        if user_id is not None:
            section.own = await self.own_review(product_id, user_id)
            ids = [r.id for r in section.reviews]
            if ids:
                section.votes = dict(
                    (
                        await session.execute(
                            select(ReviewVote.review_id, ReviewVote.helpful).where(
                                ReviewVote.user_id == user_id, ReviewVote.review_id.in_(ids)
                            )
                        )
                    ).all()
                )
        return section

    async def own_review(self, product_id: UUID, user_id: UUID) -> Review | None:
        return await self.repository.session.scalar(
            select(Review).where(Review.product_id == product_id, Review.user_id == user_id)
        )

    async def my_vote(self, review_id: UUID, user_id: UUID) -> bool | None:
        return await self.repository.session.scalar(
            select(ReviewVote.helpful).where(ReviewVote.review_id == review_id, ReviewVote.user_id == user_id)
        )

    # ---- customers ------------------------------------------------------------------------------
    async def submit(self, product: Product, user_id: UUID, data: ReviewInput) -> tuple[Review, bool]:
        """Write a review (pending moderation), or change one that is still pending. Returns the
        review and whether it is new. A moderated review is final: a second one is refused."""
        errors = data.rule_errors()
        if errors:
            raise ReviewError(errors)
        if not product.is_active:
            raise ReviewError({NON_FIELD: "This product cannot be reviewed."})
        session = self.repository.session
        fields = {
            "rating": data.rating,
            "title": data.title,
            "body": data.body,
            "author_name": data.author_name,
        }
        own = await self.own_review(product.id, user_id)
        if own is None:
            review = Review(product_id=product.id, user_id=user_id, status="pending", **fields)
            session.add(review)
            try:
                await session.flush()
            except IntegrityError as exc:  # the same person, twice at once (the caller rolls back)
                raise ReviewError({NON_FIELD: ALREADY_REVIEWED}) from exc
            return review, True
        # Only while pending, checked in the UPDATE itself: an edit never slips past a moderator.
        edited = await session.execute(
            update(Review)
            .where(Review.id == own.id, Review.status == "pending")
            .values(**fields, updated_at=clock.utcnow())
            .execution_options(synchronize_session="fetch")
        )
        if edited.rowcount == 0:  # type: ignore[attr-defined]
            raise ReviewError({NON_FIELD: ALREADY_REVIEWED})
        await session.refresh(own)
        return own, False

    async def vote(self, review_id: UUID, user_id: UUID, helpful: bool | None) -> tuple[Review, bool | None]:
        """Vote a review helpful (``True``) or not (``False``), change the vote, or withdraw it
        (``None``). One vote per person and review; not on one's own review; approved reviews of
        products on sale only. Returns the review with its new counts and the person's vote."""
        session = self.repository.session
        review = await session.scalar(
            select(Review)
            .join(Product, Product.id == Review.product_id)
            .where(Review.id == review_id, Review.status == "approved", Product.status == "active")
        )
        if review is None:
            raise LookupError("No such review.")
        if review.user_id == user_id:
            raise ReviewError({NON_FIELD: "You cannot vote on your own review."})
        current = await self.my_vote(review_id, user_id)
        if current == helpful:
            return review, current
        mine = (ReviewVote.review_id == review_id, ReviewVote.user_id == user_id)
        if current is None:
            session.add(ReviewVote(review_id=review_id, user_id=user_id, helpful=helpful))
            try:
                await session.flush()
            except IntegrityError as exc:  # a vote from another tab landed first (the caller rolls back)
                raise VoteChanged({NON_FIELD: "Your vote changed meanwhile. Reload the page."}) from exc
        else:
            stmt: Any = delete(ReviewVote) if helpful is None else update(ReviewVote).values(helpful=helpful)
            changed = await session.execute(
                stmt.where(*mine, ReviewVote.helpful == current).execution_options(synchronize_session=False)
            )
            if changed.rowcount == 0:
                raise VoteChanged({NON_FIELD: "Your vote changed meanwhile. Reload the page."})
        delta = {True: 0, False: 0}
        if current is not None:
            delta[current] -= 1
        if helpful is not None:
            delta[helpful] += 1
        await session.execute(
            update(Review)
            .where(Review.id == review_id)
            .values(
                helpful_count=Review.helpful_count + delta[True],
                not_helpful_count=Review.not_helpful_count + delta[False],
            )
            .execution_options(synchronize_session=False)
        )
        await session.refresh(review)
        catalog_changed(session)  # the counts show on the (cached) product page
        return review, helpful

    # ---- staff ------------------------------------------------------------------------------------
    async def set_status(self, ids: list[UUID], status: str, *, actor: Actor) -> int:
        """Approve, reject (or return to pending) reviews; returns how many changed. Each changed
        review is audited, and its product's rating moves by exactly its stars."""
        if status not in REVIEW_STATUSES:
            raise ReviewError({NON_FIELD: "Choose approve or reject."})
        session = self.repository.session
        ids = list(dict.fromkeys(ids))[:500]
        deltas: dict[UUID, list[int]] = defaultdict(lambda: [0, 0])
        changed = 0
        for old in (s for s in REVIEW_STATUSES if s != status):
            rows = (
                await session.execute(
                    update(Review)
                    .where(Review.id.in_(ids), Review.status == old)
                    .values(status=status, updated_at=clock.utcnow())
                    .returning(Review.id, Review.product_id, Review.rating, Review.title, Review.author_name)
                )
            ).all()
            for review_id, product_id, rating, title, author in rows:
                sign = 1 if status == "approved" else -1 if old == "approved" else 0
                deltas[product_id][0] += sign
                deltas[product_id][1] += sign * rating
                audit(
                    session,
                    actor,
                    f"shop.review.{status}",
                    target_type="shop_review",
                    target_id=review_id,
                    target_label=f"{title or 'Review'} ({author})",
                    changes={"status": [old, status]},
                )
            changed += len(rows)
        for product_id, (count, total) in deltas.items():
            if count or total:
                await session.execute(
                    update(Product)
                    .where(Product.id == product_id)
                    .values(
                        rating_count=Product.rating_count + count, rating_total=Product.rating_total + total
                    )
                )  # loaded products (and reviews, above) take the new values: the updates are evaluated
        if changed:
            catalog_changed(session)
        return changed

    async def reply(self, review: Review, text: str, *, actor: Actor) -> None:
        """Answer a review publicly as the shop; an empty text removes the answer."""
        text = clean_text(text, multiline=True)
        if len(text) > MAX_REPLY:
            raise ReviewError({"reply": f"Must be at most {MAX_REPLY} characters."})
        if text == review.reply:
            return
        before = review.reply
        review.reply = text
        review.replied_at = clock.utcnow() if text else None
        audit(
            self.repository.session,
            actor,
            "shop.review.replied" if text else "shop.review.reply_removed",
            target_type="shop_review",
            target_id=review.id,
            target_label=f"{review.title or 'Review'} ({review.author_name})",
            changes={"reply": [before, text]},
        )
        await self.repository.session.flush()
        if review.status == "approved":
            catalog_changed(self.repository.session)
