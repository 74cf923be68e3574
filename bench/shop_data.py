"""Generate a large catalogue for the storefront benchmarks (issue 4): by default 10,000 active
products with 5 variants each (50,000 variants), 3 tags, a picture and a category apiece.

Rows go through the ORM in batches, one commit per batch, so every session hook the catalogue relies
on (the search index, the catalogue version) runs exactly as it does for staff edits.

Usage (against the database of ``VERSO_DATA_DIR``/``VERSO_DATABASE_URL``, already migrated):
``python bench/shop_data.py [--products 10000] [--variants 5]``. Idempotent per slug prefix: a second
run with the same numbers adds nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import time
from typing import TYPE_CHECKING

from sqlalchemy import func, select

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from verso.domains.shop.models import AttributeValue

WORDS = (
    "linen cotton wool canvas leather ceramic oak walnut brass copper glass paper cedar bamboo hemp "
    "denim velvet marble slate stone clay silk jute cork felt"
).split()
THINGS = (
    "shirt tee hoodie jacket scarf beanie tote mug bowl plate vase lamp notebook journal pen candle "
    "cushion blanket apron towel basket planter tray frame clock"
).split()
ADJECTIVES = (
    "classic soft bold quiet bright everyday heavy light warm cool rustic modern vintage minimal"
).split()
SIZES = ("XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")
COLOURS = {"Sand": "#d8c3a5", "Moss": "#6b7f4a", "Ink": "#1f2a44", "Rust": "#b5522f", "Chalk": "#f2efe9"}
PREFIX = "bench-"


def _picture() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (216, 195, 165)).save(buffer, format="PNG")
    return buffer.getvalue()


async def _attribute(db: AsyncSession, name: str, kind: str, values: dict[str, str]) -> list[AttributeValue]:
    from verso.domains.shop.models import Attribute, AttributeValue

    found = await db.scalar(select(Attribute).where(Attribute.name == name))
    if found is None:
        found = Attribute(name=name, kind=kind, position=50)
        db.add(found)
        await db.flush()
        for position, (value, swatch) in enumerate(values.items()):
            db.add(AttributeValue(attribute_id=found.id, value=value, swatch=swatch, position=position))
        await db.flush()
    return list(
        (
            await db.scalars(
                select(AttributeValue)
                .where(AttributeValue.attribute_id == found.id)
                .order_by(AttributeValue.position)
            )
        ).all()
    )


async def generate(products: int, variants: int, batch: int = 500) -> int:
    """Add the products that are missing; returns how many were added."""
    from verso.domains.shop.models import (
        Category,
        Product,
        ProductAttribute,
        ProductImage,
        ProductTag,
        ProductVariant,
    )
    from verso.domains.shop.services import catalog_changed
    from verso.lib.db import session_factory
    from verso.lib.richtext import render_markdown
    from verso.lib.storage import store_image

    rng = random.Random(4)
    async with session_factory()() as db:
        have = await db.scalar(select(func.count()).where(Product.slug.startswith(PREFIX)))
        if have >= products:
            return 0
        sizes = await _attribute(db, "Bench size", "size", {s: "" for s in SIZES[: max(variants, 1)]})
        colours = await _attribute(db, "Bench colour", "color", COLOURS)
        parents = []
        for name in ("Bench apparel", "Bench home", "Bench paper"):
            slug = PREFIX + name.split()[1]
            parent = await db.scalar(select(Category).where(Category.slug == slug))
            if parent is None:
                parent = Category(name=name, slug=slug)
                db.add(parent)
            parents.append(parent)
        await db.flush()
        leaves = []
        for index, thing in enumerate(THINGS):
            slug = f"{PREFIX}{thing}s"
            leaf = await db.scalar(select(Category).where(Category.slug == slug))
            if leaf is None:
                leaf = Category(name=f"{thing.title()}s", slug=slug, parent_id=parents[index % 3].id)
                db.add(leaf)
            leaves.append(leaf)
        stored = await store_image(db, _picture(), filename="bench.png")
        picture = (stored.digest, stored.width, stored.height)
        # Plain values read now: committed objects expire, and async code cannot lazy-load them.
        size_labels = [(v, v.value, v.attribute_id) for v in sizes[:variants]]
        size_ids = [str(v.id) for v in sizes[:variants]]
        colour_labels = [(v, v.value, v.id, v.attribute_id) for v in colours]
        leaf_ids = [leaf.id for leaf in leaves]
        await db.commit()

        for start in range(have, products, batch):
            for number in range(start, min(start + batch, products)):
                thing = THINGS[number % len(THINGS)]
                name = f"{rng.choice(ADJECTIVES).title()} {rng.choice(WORDS)} {thing} {number}"
                description = (
                    f"A {rng.choice(ADJECTIVES)} {thing} in {rng.choice(WORDS)}, made to last. "
                    f"Pairs well with our {rng.choice(WORDS)} {rng.choice(THINGS)}s."
                )
                price = rng.randrange(500, 20_000, 50)
                product = Product(
                    name=name,
                    slug=f"{PREFIX}{number}",
                    description=description,
                    description_html=render_markdown(description),
                    price=price,
                    compare_at_price=price + 1000 if number % 7 == 0 else None,
                    sku=f"BEN-{number:06d}",
                    status="active",
                    track_stock=True,
                    stock=0,
                    category_id=leaf_ids[number % len(leaf_ids)],
                    sold_count=rng.randrange(0, 500),
                )
                product.tags = [ProductTag(tag=tag) for tag in {rng.choice(WORDS) for _ in range(3)}]
                product.images = [
                    ProductImage(
                        digest=picture[0],
                        alt_text=f"{name}, front",
                        is_primary=True,
                        width=picture[1],
                        height=picture[2],
                    )
                ]
                colour, colour_name, colour_id, colour_attribute = colour_labels[number % len(colour_labels)]
                product.variants = [
                    ProductVariant(
                        name=f"{label} / {colour_name}",
                        sku=f"BEN-{number:06d}-{label}",
                        price_adjustment=200 if label in ("XL", "XXL") else 0,
                        stock=rng.randrange(0, 40),
                        attributes={"Bench size": label, "Bench colour": colour_name},
                        position=position,
                        values=[size, colour],
                    )
                    for position, (size, label, _attribute) in enumerate(size_labels)
                ]
                db.add(product)
                await db.flush()
                db.add_all(
                    [
                        ProductAttribute(
                            product_id=product.id,
                            attribute_id=size_labels[0][2],
                            value_ids=size_ids,
                            position=0,
                        ),
                        ProductAttribute(
                            product_id=product.id,
                            attribute_id=colour_attribute,
                            value_ids=[str(colour_id)],
                            position=1,
                        ),
                    ]
                )
            catalog_changed(db)
            await db.commit()
    return products - have


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    added = asyncio.run(generate(args.products, args.variants))
    print(f"added {added} products in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
