"""A signed-in visitor's own bits of a product page: saved to the wishlist, their review, their votes.

These are the only parts of the page that are not shared (see ``verso.lib.personal``), so they are
read on every request: one small indexed read for the wishlist and the review (and one for the votes
when the page shows reviews) through :func:`verso.lib.db.read_rows`, which on SQLite runs without a
thread hop; each read costs more in SQLAlchemy than in the database, so there are as few as can be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import and_, bindparam, exists, literal, select
from sqlalchemy import inspect as sa_inspect

from verso.domains.shop.models import Review, ReviewVote
from verso.domains.shop.services._wishlist import variant_key, wishlist_match
from verso.lib.db import read_rows

_REVIEW_COLUMNS = [attr for attr in sa_inspect(Review).column_attrs if not attr.key.startswith("_")]


@dataclass(frozen=True, slots=True)
class VisitorState:
    saved: bool = False
    own_review: Review | None = None
    votes: dict[UUID, bool] = field(default_factory=dict)  # by review id


# Built once: composing a statement costs more than running it on SQLite.
# Saved or not, and the visitor's own review (its columns empty when there is none), in one row.
_SAVED_AND_OWN = select(
    exists()
    .where(*wishlist_match(bindparam("user_id"), bindparam("product_id"), bindparam("variant_key")))
    .label("saved"),
    *_REVIEW_COLUMNS,
).select_from(
    select(literal(1).label("one"))
    .subquery("visitor")
    .outerjoin(
        Review, and_(Review.product_id == bindparam("product_id"), Review.user_id == bindparam("user_id"))
    )
)
_VOTES = select(ReviewVote.review_id, ReviewVote.helpful).where(
    ReviewVote.user_id == bindparam("user_id"),
    ReviewVote.review_id.in_(bindparam("review_ids", expanding=True)),
)


async def visitor_state(
    user_id: UUID, product_id: UUID, variant_id: UUID | None, review_ids: Sequence[UUID]
) -> VisitorState:
    mine = await read_rows(
        _SAVED_AND_OWN, {"user_id": user_id, "product_id": product_id, "variant_key": variant_key(variant_id)}
    )
    own = mine[0]._asdict()
    saved = own.pop("saved")
    votes = (
        await read_rows(_VOTES, {"user_id": user_id, "review_ids": list(review_ids)}) if review_ids else []
    )
    return VisitorState(
        saved=bool(saved),
        own_review=Review(**own) if own["id"] is not None else None,  # transient: read, never written
        votes={review_id: helpful for review_id, helpful in votes},
    )
