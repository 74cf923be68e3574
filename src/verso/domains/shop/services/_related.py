"""Related products: for one product, others the shop suggests, by kind (cross-sell, up-sell,
accessory, frequently bought together) and in a chosen order. Links go one way: the staff decide
what each product page suggests. Methods change the session and leave the commit to the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Product, ProductImage, RelatedProduct
from verso.domains.shop.models._merch import RELATION_KINDS
from verso.domains.shop.services._products import ProductError, ProductService, in_stock_clause
from verso.domains.shop.services._version import catalog_changed
from verso.lib.audit import Actor, audit

MAX_PER_KIND = 24
# How the shop titles each kind for visitors, in the order the product page shows them.
PUBLIC_TITLES = {
    "frequently_bought_together": "Frequently bought together",
    "accessory": "Accessories",
    "up_sell": "You might prefer",
    "cross_sell": "You may also like",
}


@dataclass
class RelatedGroup:
    kind: str
    title: str
    products: list[Product]


@dataclass
class Related:
    """A product page's suggestions, grouped by kind, with the pictures and stock the cards show."""

    groups: list[RelatedGroup] = field(default_factory=list)
    images: dict[UUID, ProductImage] = field(default_factory=dict)
    stock: dict[UUID, bool] = field(default_factory=dict)


async def related_products(session: AsyncSession, product_id: UUID) -> Related:
    """The active products ``product_id`` suggests: three queries whatever their number."""
    rows = (
        await session.execute(
            select(RelatedProduct.kind, Product)
            .join(Product, Product.id == RelatedProduct.related_id)
            .where(RelatedProduct.product_id == product_id, Product.status == "active")
            .order_by(RelatedProduct.kind, RelatedProduct.position, Product.name)
        )
    ).all()
    if not rows:
        return Related()
    grouped: dict[str, list[Product]] = {}
    for kind, product in rows:
        if kind in PUBLIC_TITLES and len(grouped.setdefault(kind, [])) < MAX_PER_KIND:
            grouped[kind].append(product)
    ids = [p.id for products in grouped.values() for p in products]
    stocked = await session.scalars(select(Product.id).where(Product.id.in_(ids), in_stock_clause()))
    return Related(
        groups=[RelatedGroup(k, t, grouped[k]) for k, t in PUBLIC_TITLES.items() if grouped.get(k)],
        images=await ProductService(session=session).primary_images(ids),
        stock=dict.fromkeys(stocked.all(), True),
    )


class RelatedService(SQLAlchemyAsyncRepositoryService[RelatedProduct]):
    class Repo(SQLAlchemyAsyncRepository[RelatedProduct]):
        model_type = RelatedProduct

    repository_type = Repo

    async def for_product(self, product_id: UUID) -> list[tuple[RelatedProduct, Product]]:
        """Every link of a product (drafts included: the staff see what is hidden) by kind and order."""
        rows = await self.repository.session.execute(
            select(RelatedProduct, Product)
            .join(Product, Product.id == RelatedProduct.related_id)
            .where(RelatedProduct.product_id == product_id)
            .order_by(RelatedProduct.kind, RelatedProduct.position, Product.name)
        )
        return [(link, product) for link, product in rows.all()]

    async def _kind_links(self, product_id: UUID, kind: str) -> list[RelatedProduct]:
        rows = await self.repository.session.scalars(
            select(RelatedProduct)
            .where(RelatedProduct.product_id == product_id, RelatedProduct.kind == kind)
            .order_by(RelatedProduct.position, RelatedProduct.id)
        )
        return list(rows.all())

    def _audit(self, product: Product, action: str, actor: Actor, changes: dict[str, Any]) -> None:
        session = self.repository.session
        audit(
            session,
            actor,
            action,
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes=changes,
        )
        catalog_changed(session)

    async def add(self, product: Product, related_id: UUID, kind: str, *, actor: Actor) -> Product:
        """Suggest ``related_id`` on ``product``'s page as ``kind``, last in that kind's order."""
        session = self.repository.session
        errors: dict[str, str] = {}
        if kind not in RELATION_KINDS:
            errors["kind"] = "Choose a kind of suggestion."
        related = await session.get(Product, related_id)
        if related is None:
            errors["related_id"] = "Choose a product from the list."
        elif related_id == product.id:
            errors["related_id"] = "A product cannot suggest itself."
        if errors:
            raise ProductError(errors)
        assert related is not None
        links = await self._kind_links(product.id, kind)
        if any(link.related_id == related_id for link in links):
            raise ProductError({"related_id": f"{related.name} is already suggested here."})
        if len(links) >= MAX_PER_KIND:
            raise ProductError({"related_id": f"Suggest at most {MAX_PER_KIND} products of one kind."})
        session.add(
            RelatedProduct(
                product_id=product.id,
                related_id=related_id,
                kind=kind,
                position=max((link.position for link in links), default=-1) + 1,
            )
        )
        await session.flush()
        self._audit(product, "shop.related.added", actor, {RELATION_KINDS[kind]: [None, related.name]})
        return related

    async def _link(self, product: Product, link_id: UUID) -> RelatedProduct:
        link = await self.repository.session.get(RelatedProduct, link_id)
        if link is None or link.product_id != product.id:
            raise ProductError({"related_id": "This suggestion is gone."})
        return link

    async def move(self, product: Product, link_id: UUID, offset: int, *, actor: Actor) -> None:
        link = await self._link(product, link_id)
        links = await self._kind_links(product.id, link.kind)
        index = links.index(link)
        links.insert(max(0, min(len(links) - 1, index + offset)), links.pop(index))
        for position, each in enumerate(links):
            each.position = position
        await self.repository.session.flush()
        self._audit(product, "shop.related.moved", actor, {"kind": [None, link.kind]})

    async def remove(self, product: Product, link_id: UUID, *, actor: Actor) -> None:
        session = self.repository.session
        link = await self._link(product, link_id)
        related = await session.get(Product, link.related_id)
        await session.delete(link)
        await session.flush()
        label = RELATION_KINDS.get(link.kind, link.kind)
        self._audit(
            product, "shop.related.removed", actor, {label: [related.name if related else None, None]}
        )
