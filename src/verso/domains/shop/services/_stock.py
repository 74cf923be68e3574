"""Taking and returning stock with one conditional UPDATE each, never check-then-write: when N
buyers race for the last K units, exactly K updates match a row. A product with active variants
keeps its stock on the variants; a product that does not track stock is never short.

The storefront shows "Only N left" below :data:`LOW_STOCK`, so a change that crosses into (or
within) that range bumps the catalogue version and cached pages show it on the next request; a
change far above it does not, so busy checkouts don't empty the caches."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Product, ProductVariant
from verso.domains.shop.services._version import catalog_changed

LOW_STOCK = 5


def _target(product_id: UUID, variant_id: UUID | None) -> tuple[type[Product] | type[ProductVariant], UUID]:
    return (ProductVariant, variant_id) if variant_id is not None else (Product, product_id)


async def tracks_stock(session: AsyncSession, product_id: UUID) -> bool:
    return bool(await session.scalar(select(Product.track_stock).where(Product.id == product_id)))


# Whether the product of the row being updated tracks its stock (the variant's product's, for a variant).
_TRACKED = {
    Product: Product.track_stock.is_(True),
    ProductVariant: select(Product.track_stock)
    .where(Product.id == ProductVariant.product_id)
    .scalar_subquery()
    .is_(True),
}


async def take_stock(session: AsyncSession, product_id: UUID, variant_id: UUID | None, quantity: int) -> bool:
    """Take ``quantity`` units if that many are left; False (and nothing taken) otherwise. One
    statement when the stock is tracked and suffices, the usual case at checkout."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    model, row_id = _target(product_id, variant_id)
    left = await session.scalar(
        update(model)
        .where(model.id == row_id, model.stock >= quantity, _TRACKED[model])
        .values(stock=model.stock - quantity)
        .returning(model.stock)
        .execution_options(synchronize_session=False)
    )
    if left is None:  # too few left, or a product that does not track stock and is never short
        return not await tracks_stock(session, product_id)
    if left <= LOW_STOCK:
        catalog_changed(session)
    return True


async def return_stock(
    session: AsyncSession, product_id: UUID, variant_id: UUID | None, quantity: int
) -> None:
    """Put ``quantity`` units back (a released hold, a cancelled or refunded order)."""
    if quantity <= 0 or not await tracks_stock(session, product_id):
        return
    model, row_id = _target(product_id, variant_id)
    left = await session.scalar(
        update(model)
        .where(model.id == row_id)
        .values(stock=model.stock + quantity)
        .returning(model.stock)
        .execution_options(synchronize_session=False)
    )
    if left is not None and left - quantity <= LOW_STOCK:
        catalog_changed(session)
