"""A signed-in visitor's own bits of a product page: saved to the wishlist, their review, their votes.

These are the only parts of the page that are not shared (see ``verso.lib.personal``), so they are
read on every request: three small indexed reads through :func:`verso.lib.db.read_rows`, which on
SQLite run without a thread hop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect

from verso.domains.shop.models import Review, ReviewVote, WishlistItem
from verso.domains.shop.services._wishlist import variant_key, wishlist_match
from verso.lib.db import read_rows

_REVIEW_COLUMNS = [attr for attr in sa_inspect(Review).column_attrs if not attr.key.startswith("_")]


@dataclass(frozen=True, slots=True)
class VisitorState:
    saved: bool = False
    own_review: Review | None = None
    votes: dict[UUID, bool] = field(default_factory=dict)  # by review id


# Built once: composing a statement costs more than running it on SQLite.
_SAVED = (
    select(WishlistItem.id)
    .where(*wishlist_match(bindparam("user_id"), bindparam("product_id"), bindparam("variant_key")))
    .limit(1)
)
_OWN = select(*_REVIEW_COLUMNS).where(
    Review.product_id == bindparam("product_id"), Review.user_id == bindparam("user_id")
)
_VOTES = select(ReviewVote.review_id, ReviewVote.helpful).where(
    ReviewVote.user_id == bindparam("user_id"),
    ReviewVote.review_id.in_(bindparam("review_ids", expanding=True)),
)


async def visitor_state(
    user_id: UUID, product_id: UUID, variant_id: UUID | None, review_ids: Sequence[UUID]
) -> VisitorState:
    mine = {"user_id": user_id, "product_id": product_id}
    saved = await read_rows(_SAVED, {**mine, "variant_key": variant_key(variant_id)})
    own = await read_rows(_OWN, mine)
    votes = (
        await read_rows(_VOTES, {"user_id": user_id, "review_ids": list(review_ids)}) if review_ids else []
    )
    return VisitorState(
        saved=bool(saved),
        own_review=Review(**own[0]._asdict()) if own else None,  # transient: read, never written
        votes={review_id: helpful for review_id, helpful in votes},
    )
