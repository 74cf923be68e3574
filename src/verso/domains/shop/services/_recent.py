"""Recently viewed products, per visitor (signed in or not), kept in a signed cookie.

The cookie holds the last :data:`KEEP` product ids, newest first, with an HMAC so a visitor cannot
plant ids in it; anything that does not verify or parse is ignored. Nothing is stored server-side,
and the product page itself stays the same for every visitor: the list is a separate fragment.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from litestar.datastructures import Cookie
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Product, ProductImage
from verso.domains.shop.services._products import ProductService, in_stock_clause
from verso.settings import get_settings

COOKIE = "verso_recent"
KEEP = 12
MAX_AGE = 90 * 24 * 3600
_MAX_LENGTH = 1024


def _signature(body: str) -> str:
    key = f"verso-recently-viewed:{get_settings().secret_key}".encode()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def encode(ids: list[UUID]) -> str:
    body = ".".join(i.hex for i in ids[:KEEP])
    return f"{body}~{_signature(body)}"


def decode(value: str | None) -> list[UUID]:
    """The ids in a cookie value, newest first; a tampered, malformed or oversized value gives none."""
    if not value or len(value) > _MAX_LENGTH or "~" not in value:
        return []
    body, _, signature = value.rpartition("~")
    if not hmac.compare_digest(signature, _signature(body)):
        return []
    ids: list[UUID] = []
    for part in body.split(".") if body else []:
        try:
            ids.append(UUID(hex=part))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))[:KEEP]


def remember(ids: list[UUID], product_id: UUID) -> list[UUID]:
    """``ids`` with ``product_id`` moved (or added) to the front, at most :data:`KEEP`."""
    return [product_id, *(i for i in ids if i != product_id)][:KEEP]


def cookie(ids: list[UUID]) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=encode(ids),
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().https,
    )


@dataclass(frozen=True)
class RecentProduct:
    product: Product
    image: ProductImage | None
    in_stock: bool


async def recent_products(
    session: AsyncSession, ids: list[UUID], *, current: UUID | None = None
) -> tuple[list[RecentProduct], bool]:
    """The active products among ``ids`` in their order, without ``current``, and whether
    ``current`` is an active product (only then is the view worth remembering). Two queries: the
    products with their stock, then their pictures."""
    wanted = [*ids, current] if current is not None else ids
    if not wanted:
        return [], False
    rows = (
        await session.execute(
            select(Product, in_stock_clause()).where(Product.id.in_(wanted), Product.status == "active")
        )
    ).all()
    found = {product.id: (product, bool(stocked)) for product, stocked in rows}
    shown = [found[i] for i in ids if i in found and i != current]
    images = await ProductService(session=session).primary_images([product.id for product, _ in shown])
    items = [RecentProduct(product, images.get(product.id), stocked) for product, stocked in shown]
    return items, current in found
