"""Catalogue rules through the services: slugs and redirects, validation, the variant grid, tags,
categories, pictures and the catalogue version that storefront caches rely on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.shop.helpers import ACTOR, make_attribute, make_product, png
from verso.domains.shop.models import Product, ProductVariant
from verso.domains.shop.services import (
    Axis,
    CategoryService,
    ImageService,
    ProductError,
    ProductInput,
    ProductService,
    VariantService,
    catalog_version,
    clean_tags,
    variant_grid,
)


def test_variant_grid_is_the_cartesian_product_in_axis_order() -> None:
    size = Axis("Size", (("s", "S"), ("m", "M"), ("l", "L")))
    colour = Axis("Colour", (("r", "Red"), ("b", "Blue")))
    grid = variant_grid([size, colour])
    assert len(grid) == 6
    assert [label for _id, label in grid[0]] == ["S", "Red"]
    assert [label for _id, label in grid[-1]] == ["L", "Blue"]
    assert variant_grid([]) == []
    assert variant_grid([Axis("Empty", ())]) == []


def test_tags_are_trimmed_lowercased_and_unique() -> None:
    assert clean_tags(["Summer, sale ", "SUMMER", "  gift   wrap"]) == ["gift wrap", "sale", "summer"]


def test_rules_that_need_no_database() -> None:
    bad = ProductInput(name=" ", price=-1, compare_at_price=100, slug="Not A Slug", status="sold")
    errors = bad.rule_errors()
    assert set(errors) >= {"name", "price", "slug", "status"}
    assert "compare_at_price" in ProductInput(name="x", price=500, compare_at_price=500).rule_errors()
    assert "stripe_price_id" in ProductInput(name="x", price=500, is_subscription=True).rule_errors()
    assert ProductInput(name="x", price=500, compare_at_price=700).rule_errors() == {}


async def test_slug_generated_unique_and_old_slug_redirects(db_session) -> None:
    first = await make_product(db_session, "Blue Mug")
    second = await make_product(db_session, "Blue  mug!")
    assert (first.slug, second.slug) == ("blue-mug", "blue-mug-2")
    service = ProductService(session=db_session)
    await service.update_product(
        second, ProductInput(name="Blue mug", price=1250, slug="tall-mug"), actor=ACTOR
    )
    await db_session.commit()
    assert await service.by_slug("blue-mug-2") == (None, "tall-mug")
    found, moved = await service.by_slug("tall-mug")
    assert found is not None and moved is None
    second_id = second.id
    # A former slug is reserved for its product: another product cannot take it...
    with pytest.raises(ProductError) as refused:
        await service.update_product(
            first, ProductInput(name="Blue mug", price=1, slug="blue-mug-2"), actor=ACTOR
        )
    assert "slug" in refused.value.errors
    await db_session.rollback()
    # ...but the product itself can move back, and the redirect goes away.
    second = await db_session.get(Product, second_id)
    await service.update_product(
        second, ProductInput(name="Blue mug", price=1, slug="blue-mug-2"), actor=ACTOR
    )
    await db_session.commit()
    assert (await service.by_slug("blue-mug-2"))[0] is not None
    assert await service.by_slug("tall-mug") == (None, "blue-mug-2")


async def test_duplicate_sku_refused_across_products_and_variants(db_session) -> None:
    await make_product(db_session, "Mug", sku="MUG-1")
    with pytest.raises(ProductError) as refused:
        await ProductService(session=db_session).create_product(
            ProductInput(name="Other", price=100, sku="mug-1"), actor=ACTOR
        )
    assert refused.value.errors == {"sku": "Another product or variant already uses this SKU."}


async def test_variant_grid_generation_keeps_matching_variants(db_session) -> None:
    product = await make_product(db_session, "Tee")
    size = await make_attribute(db_session, "Size", ["S", "M", "L"])
    colour = await make_attribute(db_session, "Colour", ["Red", "Blue"], kind="color")
    variants = VariantService(session=db_session)
    s, m, l_ = (v.id for v in size.values)
    red, blue = (v.id for v in colour.values)
    assert await variants.set_axes(product, {size.id: [s, m], colour.id: [red, blue]}, actor=ACTOR) == 4
    await db_session.commit()
    rows = (
        await db_session.scalars(select(ProductVariant).where(ProductVariant.product_id == product.id))
    ).all()
    assert sorted(v.name for v in rows) == ["Blue / M", "Blue / S", "Red / M", "Red / S"]
    kept = next(v for v in rows if v.name == "Red / S")
    await variants.update_variant(
        kept, sku="TEE-S-RED", price_adjustment=200, stock=7, is_active=True, image_id=None, actor=ACTOR
    )
    await db_session.commit()
    # Attributes come in display order (position, then name). Add L, drop Blue: Red/S keeps its
    # SKU, price and stock; the Blue variants go; Red/L is new.
    product_id, kept_id = product.id, kept.id
    assert await variants.set_axes(product, {size.id: [s, m, l_], colour.id: [red]}, actor=ACTOR) == 3
    await db_session.commit()
    db_session.expire_all()
    rows = (
        await db_session.scalars(select(ProductVariant).where(ProductVariant.product_id == product_id))
    ).all()
    assert sorted(v.name for v in rows) == ["Red / L", "Red / M", "Red / S"]
    again = next(v for v in rows if v.name == "Red / S")
    assert (again.id, again.sku, again.price_adjustment, again.stock) == (kept_id, "TEE-S-RED", 200, 7)
    assert again.attributes == {"Size": "S", "Colour": "Red"}


async def test_values_in_use_cannot_be_removed_from_an_attribute(db_session) -> None:
    from verso.domains.shop.services import AttributeService

    product = await make_product(db_session, "Tee")
    size = await make_attribute(db_session, "Size", ["S", "M"])
    await VariantService(session=db_session).set_axes(
        product, {size.id: [v.id for v in size.values]}, actor=ACTOR
    )
    await db_session.commit()
    with pytest.raises(ProductError) as refused:
        await AttributeService(session=db_session).save_attribute(
            size, "Size", "select", [("S", "")], actor=ACTOR
        )
    assert "used by product variants" in refused.value.errors["values"]


async def test_category_cannot_sit_inside_its_own_subtree(db_session) -> None:
    categories = CategoryService(session=db_session)
    blank = {
        "slug": "",
        "description": "",
        "position": 0,
        "seo_title": "",
        "seo_description": "",
        "actor": ACTOR,
    }
    home = await categories.save_category(None, name="Home", parent_id=None, **blank)
    kitchen = await categories.save_category(None, name="Kitchen", parent_id=home.id, **blank)
    await db_session.commit()
    assert (home.slug, kitchen.slug) == ("home", "kitchen")
    with pytest.raises(ProductError) as refused:
        await categories.save_category(home, name="Home", parent_id=kitchen.id, **blank)
    assert "parent_id" in refused.value.errors
    home_id = home.id
    await db_session.rollback()
    with pytest.raises(ProductError):
        await categories.delete_category(await db_session.get(type(home), home_id), actor=ACTOR)


async def test_pictures_checked_by_content_first_is_primary(db_session) -> None:
    product = await make_product(db_session, "Lamp")
    images = ImageService(session=db_session)
    with pytest.raises(ProductError) as refused:
        await images.add_image(
            product, b"not an image at all", filename="lamp.png", alt_text="A lamp", actor=ACTOR
        )
    assert "image" in refused.value.errors
    with pytest.raises(ProductError) as no_alt:
        await images.add_image(product, png(), filename="lamp.png", alt_text="  ", actor=ACTOR)
    assert "alt_text" in no_alt.value.errors
    first = await images.add_image(
        product, png("#ff0000"), filename="a.png", alt_text="Red lamp", actor=ACTOR
    )
    second = await images.add_image(
        product, png("#00ff00"), filename="b.png", alt_text="Green lamp", actor=ACTOR
    )
    await db_session.commit()
    assert first.is_primary and not second.is_primary
    await images.update_image(second, alt_text="Green lamp", image_type="lifestyle", primary=True)
    await images.move(second, -1)
    await db_session.commit()
    ordered = await images.for_product(product.id)
    assert [i.id for i in ordered] == [second.id, first.id]
    assert [i.is_primary for i in ordered] == [True, False]
    await images.remove(ordered[0], actor=ACTOR)
    await db_session.commit()
    assert [(i.id, i.is_primary) for i in await images.for_product(product.id)] == [(first.id, True)]


async def test_every_catalogue_change_increments_the_version_in_its_transaction(db_session) -> None:
    async def version() -> int:
        return await db_session.scalar(select(catalog_version.c.version)) or 0

    before = await version()
    product_id = (await make_product(db_session, "Mug")).id
    assert await version() == before + 1
    service = ProductService(session=db_session)
    change = ProductInput(name="Mug", price=1250, stock=3, status="active")
    await service.update_product(await service.full(product_id), change, actor=ACTOR)
    await db_session.rollback()
    assert await version() == before + 1  # rolled back: no change, no bump
    await service.update_product(await service.full(product_id), change, actor=ACTOR)
    await db_session.commit()
    assert await version() == before + 2
