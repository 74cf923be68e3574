"""Wishlists: products, or one variant of a product, that a signed-in customer saved for later.

Every method takes the owner's id and filters on it, so nobody reaches another person's items by
changing an id. Methods change the session; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from verso.domains.shop.models import (
    AttributeValue,
    Product,
    ProductImage,
    ProductVariant,
    WishlistItem,
    variant_value,
)
from verso.domains.shop.services._products import in_stock_clause
from verso.domains.shop.services._variants import effective_price

MAX_ITEMS = 200


class WishlistError(Exception):
    """A refused wishlist change, with a message fit to show the person."""


@dataclass(frozen=True)
class WishlistEntry:
    """One saved item as the wishlist page shows it."""

    item: WishlistItem
    product: Product
    variant: ProductVariant | None
    image: ProductImage | None
    price: int
    in_stock: bool
    url: str

    @property
    def available(self) -> bool:
        """Still on sale: the product is active and so is the saved variant."""
        return self.product.is_active and (self.variant is None or self.variant.is_active)


def product_url(slug: str, choice: list[tuple[UUID, UUID]]) -> str:
    """The product page with a variant preselected (``v-<attribute id>=<value id>`` per attribute)."""
    query = urlencode([(f"v-{attribute_id}", str(value_id)) for attribute_id, value_id in choice])
    return f"/shop/p/{slug}" + (f"?{query}" if query else "")


def variant_key(variant_id: UUID | None) -> str:
    """How a wishlist entry names its variant: "" for the product itself (so it can be unique)."""
    return str(variant_id) if variant_id else ""


def wishlist_match(user_id: Any, product_id: Any, key: Any) -> tuple[Any, ...]:
    """The conditions that find one person's wishlist entry for a product and ``variant_key``
    (values, or bind parameters for a statement built once)."""
    return (
        WishlistItem.user_id == user_id,
        WishlistItem.product_id == product_id,
        WishlistItem.variant_key == key,
    )


class WishlistService(SQLAlchemyAsyncRepositoryService[WishlistItem]):
    class Repo(SQLAlchemyAsyncRepository[WishlistItem]):
        model_type = WishlistItem

    repository_type = Repo

    async def is_saved(self, user_id: UUID, product_id: UUID, variant_id: UUID | None) -> bool:
        found = await self.repository.session.scalar(
            select(WishlistItem.id).where(*wishlist_match(user_id, product_id, variant_key(variant_id)))
        )
        return found is not None

    async def add(self, user_id: UUID, product_id: UUID, variant_id: UUID | None) -> None:
        """Save a product on sale, or one of its active variants. Saving twice changes nothing."""
        session = self.repository.session
        product = await session.get(Product, product_id)
        if product is None or not product.is_active:
            raise WishlistError("This product is not available.")
        if variant_id is not None:
            variant = await session.get(ProductVariant, variant_id)
            if variant is None or variant.product_id != product_id or not variant.is_active:
                raise WishlistError("This option of the product is not available.")
        if await self.is_saved(user_id, product_id, variant_id):
            return
        count = await session.scalar(
            select(func.count()).select_from(WishlistItem).where(WishlistItem.user_id == user_id)
        )
        if (count or 0) >= MAX_ITEMS:
            raise WishlistError(f"Your wishlist is full ({MAX_ITEMS} items). Remove something first.")
        session.add(
            WishlistItem(
                user_id=user_id,
                product_id=product_id,
                variant_id=variant_id,
                variant_key=variant_key(variant_id),
            )
        )
        try:
            await session.flush()
        except IntegrityError as exc:  # saved from another tab at the same moment (the caller rolls back)
            raise WishlistError("This item is already in your wishlist.") from exc

    async def remove(self, user_id: UUID, product_id: UUID, variant_id: UUID | None) -> bool:
        """Unsave a product (or variant) from its page; ``False`` when it was not saved."""
        removed = await self.repository.session.execute(
            delete(WishlistItem).where(*wishlist_match(user_id, product_id, variant_key(variant_id)))
        )
        return bool(removed.rowcount)  # type: ignore[attr-defined]

    async def remove_item(self, user_id: UUID, item_id: UUID) -> bool:
        """Remove one item of the owner's list; ``False`` for an id that is not theirs."""
        removed = await self.repository.session.execute(
            delete(WishlistItem).where(WishlistItem.id == item_id, WishlistItem.user_id == user_id)
        )
        return bool(removed.rowcount)  # type: ignore[attr-defined]

    async def entries(self, user_id: UUID) -> list[WishlistEntry]:
        """The owner's items, newest first, with picture, price, stock and a link that preselects
        the saved variant: three queries whatever the list's length."""
        session = self.repository.session
        chosen = aliased(ProductVariant)  # in_stock_clause() looks at the product's variants itself
        rows = (
            await session.execute(
                select(WishlistItem, Product, chosen, in_stock_clause())
                .join(Product, Product.id == WishlistItem.product_id)
                .outerjoin(chosen, chosen.id == WishlistItem.variant_id)
                .where(WishlistItem.user_id == user_id)
                .order_by(WishlistItem.created_at.desc(), WishlistItem.id.desc())
            )
        ).all()
        if not rows:
            return []
        variant_ids = [variant.id for _item, _product, variant, _stocked in rows if variant is not None]
        images = await self._images({product.id for _item, product, _variant, _stocked in rows})
        choices = await self._choices(variant_ids)
        entries = []
        for item, product, variant, stocked in rows:
            image = images.get(variant.image_id) if variant and variant.image_id else None
            if variant is not None:
                stocked = not product.track_stock or (variant.is_active and variant.stock > 0)
            entries.append(
                WishlistEntry(
                    item=item,
                    product=product,
                    variant=variant,
                    image=image or images.get(product.id),
                    price=effective_price(product, variant),
                    in_stock=bool(stocked),
                    url=product_url(product.slug, choices.get(variant.id, []) if variant else []),
                )
            )
        return entries

    async def _images(self, product_ids: set[UUID]) -> dict[UUID, ProductImage]:
        """The products' pictures keyed by picture id (a variant's own) and by product id (the main
        one: flagged primary, else the first)."""
        rows = await self.repository.session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id.in_(product_ids))
            .order_by(ProductImage.product_id, ProductImage.is_primary.desc(), ProductImage.position)
        )
        found: dict[UUID, ProductImage] = {}
        for image in rows:
            found[image.id] = image
            found.setdefault(image.product_id, image)
        return found

    async def _choices(self, variant_ids: list[UUID]) -> dict[UUID, list[tuple[UUID, UUID]]]:
        """``(attribute id, value id)`` pairs of each variant, for the product page's picker."""
        if not variant_ids:
            return {}
        rows = await self.repository.session.execute(
            select(variant_value.c.variant_id, AttributeValue.attribute_id, AttributeValue.id)
            .join(AttributeValue, AttributeValue.id == variant_value.c.value_id)
            .where(variant_value.c.variant_id.in_(variant_ids))
        )
        choices: dict[UUID, list[tuple[UUID, UUID]]] = {}
        for variant_id, attribute_id, value_id in rows:
            choices.setdefault(variant_id, []).append((attribute_id, value_id))
        return choices
