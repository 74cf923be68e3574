"""Collections: manual lists in a chosen order, and smart ones whose rules select products.

A smart collection's rules are stored as ``{"field", "op", "value"}`` dicts and evaluated as one SQL
condition on ``Product`` (:func:`rules_clause`), so a collection page is an ordinary listing: the
same filters, sort and pages, and the same fixed number of queries whatever the catalogue's size.
Methods change the session and leave the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Category, Collection, CollectionProduct, Product
from verso.domains.shop.models._merch import COLLECTION_SORTS
from verso.domains.shop.services._collection_rules import collection_clause, is_valid_rule, rules_clause
from verso.domains.shop.services._products import ProductError, clean_tags
from verso.domains.shop.services._version import catalog_changed
from verso.lib import clock
from verso.lib.audit import Actor, audit, diff
from verso.lib.slugs import is_slug, unique_slug
from verso.lib.tables import escape_like

MAX_RULES = 20
KINDS = {"manual": "Manual (you choose the products)", "smart": "Smart (rules choose the products)"}
MATCHES = {"all": "All conditions", "any": "Any condition"}


def live_clause(model: Any, now: datetime) -> ColumnElement[bool]:
    """Rows of ``model`` (a collection or a bundle) whose date window holds ``now``."""
    return and_(
        or_(model.starts_at.is_(None), model.starts_at <= now),
        or_(model.ends_at.is_(None), model.ends_at > now),
    )


def window_status(row: Any, now: datetime) -> str:
    """``scheduled`` (starts later), ``ended`` or ``live``: where ``now`` falls in the row's window."""
    if row.starts_at is not None and clock.as_utc(row.starts_at) > now:
        return "scheduled"
    if row.ends_at is not None and clock.as_utc(row.ends_at) <= now:
        return "ended"
    return "live"


def is_live(row: Any, now: datetime) -> bool:
    """:func:`live_clause` for a loaded row."""
    return window_status(row, now) == "live"


@dataclass
class CollectionInput:
    """Every editable field of a collection; rules already in their stored form."""

    name: str
    slug: str = ""
    description: str = ""
    kind: str = "manual"
    match: str = "all"
    rules: list[dict[str, Any]] = field(default_factory=list)
    sort: str = "manual"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    show_on_homepage: bool = False
    position: int = 0
    seo_title: str = ""
    seo_description: str = ""

    def rule_errors(self) -> dict[str, str]:
        """Rules that need no database. Rule problems are keyed ``rule-<index>``."""
        errors: dict[str, str] = {}
        if not " ".join(self.name.split()):
            errors["name"] = "This field is required."
        if self.slug and not is_slug(self.slug):
            errors["slug"] = "Use lower-case letters, digits and single hyphens (e.g. summer-edit)."
        if self.kind not in KINDS:
            errors["kind"] = "Choose manual or smart."
        if self.match not in MATCHES:
            errors["match"] = "Choose all or any."
        if self.sort not in COLLECTION_SORTS:
            errors["sort"] = "Choose one of the options."
        elif self.kind == "smart" and self.sort == "manual":
            errors["sort"] = "A smart collection has no manual order: choose another sort."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "Must be after the start."
        if self.kind == "smart":
            if not self.rules:
                errors["rules"] = "Add at least one condition."
            elif len(self.rules) > MAX_RULES:
                errors["rules"] = f"Use at most {MAX_RULES} conditions."
            for index, rule in enumerate(self.rules):
                if not is_valid_rule(rule):
                    errors[f"rule-{index}"] = "Complete this condition."
        return errors


_AUDITED = (
    "name",
    "slug",
    "kind",
    "match",
    "rules",
    "sort",
    "starts_at",
    "ends_at",
    "show_on_homepage",
    "position",
)


def _snapshot(collection: Collection) -> dict[str, Any]:
    return {key: getattr(collection, key) for key in _AUDITED}


def _normalised(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules as stored: tags cleaned the way product tags are, so ``Summer`` finds ``summer``."""
    out = []
    for rule in rules:
        value = rule.get("value")
        if rule.get("field") == "tag" and isinstance(value, str):
            value = (clean_tags([value]) or [""])[0]
        out.append({"field": rule.get("field"), "op": rule.get("op"), "value": value})
    return out


@dataclass(frozen=True)
class Preview:
    """How many active products a set of rules selects, and the first few of them."""

    count: int
    sample: list[Product]


class CollectionService(SQLAlchemyAsyncRepositoryService[Collection]):
    class Repo(SQLAlchemyAsyncRepository[Collection]):
        model_type = Collection

    repository_type = Repo

    async def _check(self, data: CollectionInput, collection: Collection | None) -> dict[str, str]:
        session = self.repository.session
        errors = data.rule_errors()
        if data.slug and "slug" not in errors:
            clash = select(Collection.id).where(Collection.slug == data.slug)
            if collection is not None:
                clash = clash.where(Collection.id != collection.id)
            if await session.scalar(clash):
                errors["slug"] = "Another collection uses this address."
        wanted = {
            UUID(str(rule["value"]))
            for index, rule in enumerate(data.rules)
            if rule.get("field") == "category" and f"rule-{index}" not in errors
        }
        if wanted and data.kind == "smart":
            known = set((await session.scalars(select(Category.id).where(Category.id.in_(wanted)))).all())
            for index, rule in enumerate(data.rules):
                if rule.get("field") == "category" and UUID(str(rule["value"])) not in known:
                    errors.setdefault(f"rule-{index}", "Choose a category from the list.")
        return errors

    async def save_collection(
        self, collection: Collection | None, data: CollectionInput, *, actor: Actor
    ) -> Collection:
        if errors := await self._check(data, collection):
            raise ProductError(errors)
        session = self.repository.session
        before = _snapshot(collection) if collection else {}
        name = " ".join(data.name.split())
        slug = data.slug or (collection.slug if collection else "")
        if not slug:
            slug = await unique_slug(session, Collection.slug, name, max_length=140)
        if collection is None:
            collection = Collection()
            session.add(collection)
        collection.name, collection.slug, collection.description = name, slug, data.description.strip()
        collection.kind, collection.match, collection.sort = data.kind, data.match, data.sort
        collection.rules = _normalised(data.rules) if data.kind == "smart" else []
        collection.starts_at, collection.ends_at = data.starts_at, data.ends_at
        collection.show_on_homepage, collection.position = data.show_on_homepage, data.position
        collection.seo_title, collection.seo_description = (
            data.seo_title.strip(),
            data.seo_description.strip(),
        )
        await session.flush()
        audit(
            session,
            actor,
            "shop.collection.updated" if before else "shop.collection.created",
            target_type="collection",
            target_id=collection.id,
            target_label=collection.name,
            changes=diff(before, _snapshot(collection)),
        )
        catalog_changed(session)
        return collection

    async def delete_collection(self, collection: Collection, *, actor: Actor) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            "shop.collection.deleted",
            target_type="collection",
            target_id=collection.id,
            target_label=collection.name,
            changes=diff(_snapshot(collection), {}),
        )
        await session.delete(collection)
        await session.flush()
        catalog_changed(session)

    async def preview(self, match: str, rules: Sequence[Mapping[str, Any]], *, sample: int = 5) -> Preview:
        """What the shop would show for these rules: the count of active products and a few names."""
        session = self.repository.session
        condition = and_(Product.status == "active", rules_clause(match, rules))
        count = await session.scalar(select(func.count()).select_from(Product).where(condition)) or 0
        first = (
            await session.scalars(select(Product).where(condition).order_by(Product.name).limit(sample))
            if count
            else []
        )
        return Preview(count, list(first))

    async def live_by_slug(self, slug: str) -> Collection | None:
        """The collection a visitor may open now: known slug, inside its date window."""
        return await self.repository.session.scalar(
            select(Collection).where(Collection.slug == slug, live_clause(Collection, clock.utcnow()))
        )

    # ---- a manual collection's products ----------------------------------------------------
    async def members(self, collection: Collection) -> list[Product]:
        """The products of a manual collection in their chosen order (drafts included: staff view)."""
        rows = await self.repository.session.scalars(
            select(Product)
            .join(CollectionProduct, CollectionProduct.product_id == Product.id)
            .where(CollectionProduct.collection_id == collection.id)
            .order_by(CollectionProduct.position, Product.name)
        )
        return list(rows.all())

    async def _links(self, collection: Collection) -> list[CollectionProduct]:
        return list(
            (
                await self.repository.session.scalars(
                    select(CollectionProduct)
                    .where(CollectionProduct.collection_id == collection.id)
                    .order_by(CollectionProduct.position, CollectionProduct.id)
                )
            ).all()
        )

    def _changed(self, collection: Collection, action: str, product: Product, actor: Actor) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            action,
            target_type="collection",
            target_id=collection.id,
            target_label=collection.name,
            changes={"product": [None, product.name]},
        )
        catalog_changed(session)

    async def add_product(self, collection: Collection, product_id: UUID, *, actor: Actor) -> Product:
        """Put a product at the end of a manual collection (adding it twice changes nothing)."""
        session = self.repository.session
        product = await session.get(Product, product_id)
        if product is None:
            raise ProductError({"product_id": "Choose a product from the list."})
        if collection.kind != "manual":
            raise ProductError({"product_id": "A smart collection chooses its products by its rules."})
        links = await self._links(collection)
        if any(link.product_id == product_id for link in links):
            return product
        last = max((link.position for link in links), default=-1)
        session.add(CollectionProduct(collection_id=collection.id, product_id=product_id, position=last + 1))
        await session.flush()
        self._changed(collection, "shop.collection.product_added", product, actor)
        return product

    async def move_product(
        self, collection: Collection, product_id: UUID, offset: int, *, actor: Actor
    ) -> None:
        """Move a product one place up (``-1``) or down (``1``); positions are renumbered 0..n-1."""
        links = await self._links(collection)
        index = next((i for i, link in enumerate(links) if link.product_id == product_id), None)
        if index is None:
            raise ProductError({"product_id": "This product is not in the collection."})
        target = max(0, min(len(links) - 1, index + offset))
        links.insert(target, links.pop(index))
        for position, link in enumerate(links):
            link.position = position
        await self.repository.session.flush()
        product = await self.repository.session.get(Product, product_id)
        assert product is not None
        self._changed(collection, "shop.collection.product_moved", product, actor)

    async def remove_product(self, collection: Collection, product_id: UUID, *, actor: Actor) -> None:
        session = self.repository.session
        link = await session.scalar(
            select(CollectionProduct).where(
                CollectionProduct.collection_id == collection.id, CollectionProduct.product_id == product_id
            )
        )
        product = await session.get(Product, product_id)
        if link is None or product is None:
            raise ProductError({"product_id": "This product is not in the collection."})
        await session.delete(link)
        await session.flush()
        self._changed(collection, "shop.collection.product_removed", product, actor)


async def find_products(
    session: AsyncSession, q: str, *, exclude: Sequence[UUID] = (), limit: int = 10
) -> list[Product]:
    """Products whose name or SKU contains ``q`` (staff pickers: add to a collection, a bundle...)."""
    q = q.strip()[:100]
    if not q:
        return []
    pattern = f"%{escape_like(q)}%"
    stmt = (
        select(Product)
        .where(
            or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\")),
            Product.id.not_in(exclude) if exclude else true(),
        )
        .order_by(Product.name)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def collections_of(
    session: AsyncSession, product_ids: Sequence[UUID], collection_ids: Sequence[UUID]
) -> dict[UUID, frozenset[UUID]]:
    """Which of ``collection_ids`` each product belongs to now (manual or smart): what a discount
    for given collections needs. One query per collection asked about, none when none are."""
    found: dict[UUID, set[UUID]] = {product_id: set() for product_id in product_ids}
    if not product_ids or not collection_ids:
        return {product_id: frozenset() for product_id in product_ids}
    collections = (await session.scalars(select(Collection).where(Collection.id.in_(collection_ids)))).all()
    for collection in collections:
        members = await session.scalars(
            select(Product.id).where(Product.id.in_(product_ids), collection_clause(collection))
        )
        for product_id in members:
            found[product_id].add(collection.id)
    return {product_id: frozenset(ids) for product_id, ids in found.items()}
