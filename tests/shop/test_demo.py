"""The demo shop that ``verso demo`` loads: believable, complete and idempotent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from verso.domains.shop.models import (
    Attribute,
    AttributeValue,
    Bundle,
    BundleItem,
    Category,
    Collection,
    CollectionProduct,
    Product,
    ProductImage,
    ProductTag,
    ProductVariant,
    Review,
)
from verso.domains.shop.services import catalog_version
from verso.lib.audit import AuditLog
from verso.lib.storage import StoredFile

COUNTED = [
    Category,
    Product,
    ProductTag,
    ProductVariant,
    ProductImage,
    Attribute,
    AttributeValue,
    Collection,
    CollectionProduct,
    Bundle,
    BundleItem,
    Review,
    StoredFile,
    AuditLog,
]


async def _counts(session: Any) -> dict[str, Any]:
    counts: dict[str, Any] = {
        model.__name__: await session.scalar(select(func.count()).select_from(model)) for model in COUNTED
    }
    counts["catalog_version"] = await session.scalar(select(catalog_version.c.version))
    counts["ratings"] = sorted(
        (await session.execute(select(Product.slug, Product.rating_count, Product.rating_total))).all()
    )
    return counts


async def test_demo_shop_is_complete_and_idempotent(db_session) -> None:
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    first = await _counts(db_session)
    await load_demo_data("demo password for the tests")
    db_session.expire_all()
    assert await _counts(db_session) == first

    assert first["Category"] >= 3
    assert first["Product"] >= 40
    assert first["ProductVariant"] > 0 and first["ProductImage"] >= first["Product"]
    collections = (await db_session.scalars(select(Collection))).all()
    assert len(collections) == 2 and {c.kind for c in collections} == {"manual", "smart"}
    smart = next(c for c in collections if c.kind == "smart")
    assert smart.rules and all({"field", "op", "value"} <= set(rule) for rule in smart.rules)
    assert first["Bundle"] == 1 and first["BundleItem"] >= 2
    approved = await db_session.scalar(
        select(func.count()).select_from(Review).where(Review.status == "approved")
    )
    assert approved and approved > 0


async def test_every_active_demo_product_has_a_described_picture(db_session) -> None:
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    products = (await db_session.scalars(select(Product).where(Product.status == "active"))).all()
    assert len(products) >= 40
    for product in products:
        images = (
            await db_session.scalars(select(ProductImage).where(ProductImage.product_id == product.id))
        ).all()
        assert images, f"{product.name} has no picture"
        assert all(image.alt_text.strip() for image in images), f"{product.name} has a picture without alt"
        assert sum(image.is_primary for image in images) == 1


async def test_demo_shop_details(db_session) -> None:
    """Variants carry the XL surcharge and own SKUs; ratings agree with the approved reviews."""
    from verso.cli import load_demo_data

    await load_demo_data("demo password for the tests")
    variants = (await db_session.scalars(select(ProductVariant))).all()
    assert {v.attributes["Size"] for v in variants} == {"S", "M", "L", "XL"}
    assert all(v.price_adjustment == (200 if v.attributes["Size"] == "XL" else 0) for v in variants)
    assert all(v.sku for v in variants) and any(v.image_id for v in variants)
    assert any(v.stock == 0 for v in variants) and any(v.stock > 0 for v in variants)
    products = (await db_session.scalars(select(Product))).all()
    assert any(p.is_digital and not p.track_stock for p in products)
    assert any(p.on_sale for p in products) and any(p.status == "draft" for p in products)
    assert any(p.track_stock and p.stock == 0 and p.status == "active" for p in products)
    for product in products:
        ratings = (
            await db_session.scalars(
                select(Review.rating).where(Review.product_id == product.id, Review.status == "approved")
            )
        ).all()
        assert (product.rating_count, product.rating_total) == (len(ratings), sum(ratings))
