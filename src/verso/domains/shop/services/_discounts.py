"""Discounts: what staff set up, what checkout reads, and every use recorded.

Staff edit :class:`Discount` rows through :class:`DiscountService`. Checkout reads them as
``pricing.Discount`` values (:func:`pricing_discounts`, :func:`discount_uses`) and, when an order
takes a discount, records the use with one conditional UPDATE (:func:`record_discount_use`), so
``maximum_uses`` holds however many buyers race for the last use, on SQLite and PostgreSQL. Nothing
here commits: the caller's business action does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, and_, case, delete, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop import pricing
from verso.domains.shop.models import Collection, Product
from verso.domains.shop.models._promotions import (
    APPLIES_TO,
    DISCOUNT_KINDS,
    ELIGIBILITY,
    Discount,
    DiscountUsage,
)
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import Reader, catalog_changed, per_version
from verso.lib import clock
from verso.lib.audit import Actor, audit, diff

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,49}")
STATUSES = ("active", "scheduled", "expired", "inactive")
_FIELDS = (
    "name", "code", "kind", "value", "buy_quantity", "get_quantity", "minimum_order", "maximum_discount",
    "maximum_uses", "per_customer_limit", "starts_at", "ends_at", "applies_to", "eligibility",
    "combinable", "is_active",
)  # fmt: skip


def normalise_discount_code(code: str) -> str:
    """Discount codes are stored and matched upper-case, without surrounding spaces."""
    return code.strip().upper()


@dataclass
class DiscountInput:
    """A discount as staff typed it, already converted: ``value`` is basis points for a percentage or
    buy X get Y, minor units for a fixed amount; an empty code means automatic."""

    name: str
    kind: str = "percentage"
    value: int = 0
    code: str = ""
    buy_quantity: int = 1
    get_quantity: int = 1
    minimum_order: int = 0
    maximum_discount: int | None = None
    maximum_uses: int | None = None
    per_customer_limit: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    applies_to: str = "all"
    product_ids: list[UUID] = field(default_factory=list)
    collection_ids: list[UUID] = field(default_factory=list)
    eligibility: str = "all"
    combinable: bool = False
    is_active: bool = True

    def rule_errors(self) -> dict[str, str]:
        """The rules that need no database, by form field."""
        errors: dict[str, str] = {}
        if not " ".join(self.name.split()):
            errors["name"] = "This field is required."
        code = normalise_discount_code(self.code)
        if code and not CODE.fullmatch(code):
            errors["code"] = (
                "Use letters, digits, - and _ only (at most 50), starting with a letter or digit."
            )
        if self.kind not in DISCOUNT_KINDS:
            errors["kind"] = "Choose one of the options."
        elif self.kind in ("percentage", "buy_x_get_y") and not 0 < self.value <= pricing.FULL:
            errors["percent" if self.kind == "percentage" else "get_percent"] = (
                "Enter a percentage above 0 and at most 100."
            )
        elif self.kind == "fixed_amount" and self.value <= 0:
            errors["amount"] = "Enter an amount above zero."
        if self.kind == "buy_x_get_y":
            for name, quantity in (("buy_quantity", self.buy_quantity), ("get_quantity", self.get_quantity)):
                if not 1 <= quantity <= 1000:
                    errors[name] = "Enter a whole number from 1 to 1000."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "Must be after the start."
        if self.applies_to not in APPLIES_TO:
            errors["applies_to"] = "Choose one of the options."
        elif self.applies_to == "products" and not self.product_ids:
            errors["product_ids"] = "Choose at least one product, or apply the discount to everything."
        elif self.applies_to == "collections" and not self.collection_ids:
            errors["collection_ids"] = "Choose at least one collection, or apply the discount to everything."
        if self.eligibility not in ELIGIBILITY:
            errors["eligibility"] = "Choose one of the options."
        return errors


def discount_status(discount: Discount, now: datetime) -> str:
    """``inactive`` (switched off), ``scheduled`` (starts later), ``expired`` (ended) or ``active``."""
    if not discount.is_active:
        return "inactive"
    if discount.starts_at is not None and clock.as_utc(discount.starts_at) > now:
        return "scheduled"
    if discount.ends_at is not None and clock.as_utc(discount.ends_at) <= now:
        return "expired"
    return "active"


def status_clause(status: str, now: datetime) -> ColumnElement[bool]:
    """:func:`discount_status` as a SQL condition, for the staff table's filter."""
    started = or_(Discount.starts_at.is_(None), Discount.starts_at <= now)
    ended = and_(Discount.ends_at.is_not(None), Discount.ends_at <= now)
    on = Discount.is_active.is_(True)
    return {
        "inactive": Discount.is_active.is_(False),
        "scheduled": and_(on, ~started),
        "expired": and_(on, started, ended),
        "active": and_(on, started, ~ended),
    }[status]


def _snapshot(discount: Discount) -> dict[str, Any]:
    return {
        **{name: getattr(discount, name) for name in _FIELDS},
        "product_ids": sorted(discount.product_ids or []),
        "collection_ids": sorted(discount.collection_ids or []),
    }


class DiscountService(SQLAlchemyAsyncRepositoryService[Discount]):
    """Staff actions on discounts (the session is changed, the caller commits)."""

    class Repo(SQLAlchemyAsyncRepository[Discount]):
        model_type = Discount

    repository_type = Repo

    async def _check(self, data: DiscountInput, discount: Discount | None) -> dict[str, str]:
        session = self.repository.session
        errors = data.rule_errors()
        code = normalise_discount_code(data.code)
        if code and "code" not in errors:
            clash = select(Discount.id).where(Discount.code == code)
            if discount is not None:
                clash = clash.where(Discount.id != discount.id)
            if await session.scalar(clash):
                errors["code"] = f"Another discount already uses the code {code}."
        for name, model, wanted in (
            ("product_ids", Product, data.product_ids if data.applies_to == "products" else []),
            ("collection_ids", Collection, data.collection_ids if data.applies_to == "collections" else []),
        ):
            if not wanted or name in errors:
                continue
            found = set((await session.scalars(select(model.id).where(model.id.in_(wanted)))).all())
            if set(wanted) - found:
                errors[name] = "Some of the chosen items no longer exist: choose again."
        return errors

    async def save_discount(
        self, discount: Discount | None, data: DiscountInput, *, actor: Actor
    ) -> Discount:
        """Create or update a discount; :class:`ProductError` lists every problem by field."""
        if errors := await self._check(data, discount):
            raise ProductError(errors)
        session = self.repository.session
        before = _snapshot(discount) if discount else {}
        if discount is None:
            discount = Discount(uses=0)
            session.add(discount)
        discount.name = " ".join(data.name.split())
        discount.code = normalise_discount_code(data.code) or None
        discount.kind = data.kind
        discount.value = 0 if data.kind == "free_shipping" else data.value
        bxgy = data.kind == "buy_x_get_y"
        discount.buy_quantity = data.buy_quantity if bxgy else 1
        discount.get_quantity = data.get_quantity if bxgy else 1
        discount.minimum_order = max(0, data.minimum_order)
        discount.maximum_discount = data.maximum_discount
        discount.maximum_uses, discount.per_customer_limit = data.maximum_uses, data.per_customer_limit
        discount.starts_at, discount.ends_at = data.starts_at, data.ends_at
        discount.applies_to = data.applies_to
        discount.product_ids = (
            [str(i) for i in dict.fromkeys(data.product_ids)] if data.applies_to == "products" else []
        )
        discount.collection_ids = (
            [str(i) for i in dict.fromkeys(data.collection_ids)] if data.applies_to == "collections" else []
        )
        discount.eligibility, discount.combinable = data.eligibility, data.combinable
        discount.is_active = data.is_active
        try:
            await session.flush()
        except IntegrityError as exc:  # another discount took the code meanwhile
            raise ProductError({"code": f"Another discount already uses the code {discount.code}."}) from exc
        catalog_changed(session)  # checkout keeps the automatic discounts per catalogue version
        audit(
            session,
            actor,
            "shop.discount.updated" if before else "shop.discount.created",
            target_type="discount",
            target_id=discount.id,
            target_label=discount.code or discount.name,
            changes=diff(before, _snapshot(discount)),
        )
        return discount

    async def set_active(self, discount: Discount, active: bool, *, actor: Actor) -> None:
        """Switch a discount on or off (an inactive code is unknown to checkout)."""
        if discount.is_active == active:
            return
        discount.is_active = active
        catalog_changed(self.repository.session)
        audit(
            self.repository.session,
            actor,
            "shop.discount.activated" if active else "shop.discount.deactivated",
            target_type="discount",
            target_id=discount.id,
            target_label=discount.name,
            changes={"is_active": [not active, active]},
        )

    async def delete_discount(self, discount: Discount, *, actor: Actor) -> None:
        """Delete a discount nobody used; a used one keeps its history and can only be deactivated."""
        session = self.repository.session
        used = await session.scalar(select(func.count()).where(DiscountUsage.discount_id == discount.id))
        if used or discount.uses:
            raise ProductError(
                {"__all__": "This discount has been used, so it is kept: deactivate it instead."}
            )
        audit(
            session,
            actor,
            "shop.discount.deleted",
            target_type="discount",
            target_id=discount.id,
            target_label=discount.name,
            changes=diff(_snapshot(discount), {}),
        )
        await session.delete(discount)
        catalog_changed(session)


# ---- what checkout calls ----------------------------------------------------------------------
def as_pricing(row: Any) -> pricing.Discount:
    """A discount row (an ORM row or a Core row of its columns) as the pure pricing functions see it."""
    return pricing.Discount(
        id=row.id,
        name=row.name,
        kind=row.kind,
        value=row.value,
        code=row.code,
        buy_quantity=row.buy_quantity,
        get_quantity=row.get_quantity,
        minimum_order=row.minimum_order,
        maximum_discount=row.maximum_discount,
        maximum_uses=row.maximum_uses,
        uses=row.uses,
        per_customer_limit=row.per_customer_limit,
        starts_at=clock.as_utc(row.starts_at) if row.starts_at else None,
        ends_at=clock.as_utc(row.ends_at) if row.ends_at else None,
        applies_to=row.applies_to,
        product_ids=frozenset(UUID(str(i)) for i in row.product_ids or []),
        collection_ids=frozenset(UUID(str(i)) for i in row.collection_ids or []),
        eligibility=row.eligibility,
        combinable=row.combinable,
    )


_ACTIVE = Discount.is_active.is_(True)
_ORDER = (Discount.created_at, Discount.id)
_AUTOMATIC = select(*Discount.__table__.c).where(_ACTIVE, Discount.code.is_(None)).order_by(*_ORDER)


async def _read_automatic(read: Reader) -> tuple[pricing.Discount, ...]:
    return tuple(as_pricing(row) for row in await read(_AUTOMATIC))


async def pricing_discounts(session: AsyncSession, codes: Sequence[str]) -> tuple[pricing.Discount, ...]:
    """The active automatic discounts (oldest first), then the active discounts whose code is one of
    ``codes`` (any case), in the order typed. Dates and limits are left to ``pricing``, which explains
    them to the customer; an inactive code is simply unknown.

    The automatic ones are kept per catalogue version (staff changes bump it), so a checkout without
    codes reads nothing; but their use counts change with every order, so while one of them has a
    usage limit they are read fresh, like the typed codes always are."""
    wanted = list(dict.fromkeys(c for c in (normalise_discount_code(c) for c in codes) if c))
    automatic = await per_version(session, "automatic_discounts", _read_automatic)
    limited = any(d.maximum_uses is not None for d in automatic)
    if not wanted and not limited:
        return automatic
    coded = Discount.code.in_(wanted) if wanted else false()
    rows = (
        await session.scalars(
            select(Discount)
            .where(_ACTIVE, or_(Discount.code.is_(None), coded) if limited else coded)
            .order_by(*_ORDER)
        )
    ).all()
    if limited:
        automatic = tuple(as_pricing(r) for r in rows if r.code is None)
    by_code = {r.code: as_pricing(r) for r in rows if r.code is not None}
    return (*automatic, *(by_code[c] for c in wanted if c in by_code))


def _usage_owner(customer_id: UUID | None, email: str) -> ColumnElement[bool]:
    """Usage rows that belong to this buyer: their account's, or their (lower-cased) email's."""
    by_email = DiscountUsage.email == email.strip().lower()
    return or_(DiscountUsage.customer_id == customer_id, by_email) if customer_id else by_email


async def discount_uses(session: AsyncSession, *, customer_id: UUID | None, email: str) -> dict[UUID, int]:
    """How many times this buyer used each discount (for ``per_customer_limit``). A signed-in customer
    also owns the uses made as a guest with their email, so a limit cannot be dodged by signing out."""
    rows = await session.execute(
        select(DiscountUsage.discount_id, func.count())
        .where(_usage_owner(customer_id, email))
        .group_by(DiscountUsage.discount_id)
    )
    return {discount_id: count for discount_id, count in rows.all()}


async def record_discount_use(
    session: AsyncSession,
    *,
    discount_id: UUID,
    order_id: UUID,
    customer_id: UUID | None,
    email: str,
    amount: int,
) -> bool:
    """Count one use of a discount for an order; False when its usage limit, or this buyer's, was
    reached meanwhile (the caller rolls back, which also returns the use taken here).

    One conditional UPDATE takes the use (a concurrent buyer waits for the row, then sees the new
    count), and the usage row is written only when it succeeded: never check-then-write. The same
    row lock serialises every use of this discount, so the buyer's own uses, counted after it, are
    exact: two orders of one buyer racing for a once-per-customer code get it once. The caller
    commits (or rolls back) promptly: until then its transaction holds the row (the SQLite write lock)."""
    taken = await session.execute(
        update(Discount)
        .where(
            Discount.id == discount_id,
            or_(Discount.maximum_uses.is_(None), Discount.uses < Discount.maximum_uses),
        )
        .values(uses=Discount.uses + 1)
        .returning(Discount.per_customer_limit)
        .execution_options(synchronize_session="fetch")
    )
    row = taken.first()
    if row is None:
        return False
    if row.per_customer_limit is not None:
        used = await session.scalar(
            select(func.count()).where(
                DiscountUsage.discount_id == discount_id, _usage_owner(customer_id, email)
            )
        )
        if (used or 0) >= row.per_customer_limit:
            return False
    session.add(
        DiscountUsage(
            discount_id=discount_id,
            order_id=order_id,
            customer_id=customer_id,
            email=email.strip().lower(),
            amount=max(0, amount),
        )
    )
    await session.flush()
    return True


async def release_discount_uses(session: AsyncSession, order_id: UUID) -> None:
    """Give back an order's discount uses (cancelled before payment). Deleting the usage rows first
    makes a second release of the same order a no-op; counts never go below zero."""
    released = Counter(
        (
            await session.execute(
                delete(DiscountUsage)
                .where(DiscountUsage.order_id == order_id)
                .returning(DiscountUsage.discount_id)
            )
        ).scalars()
    )
    for discount_id, count in released.items():
        await session.execute(
            update(Discount)
            .where(Discount.id == discount_id)
            .values(uses=case((Discount.uses > count, Discount.uses - count), else_=0))
            .execution_options(synchronize_session="fetch")
        )
