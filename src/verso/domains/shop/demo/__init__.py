"""The demo shop: a small homeware, apparel and stationery studio. Idempotent.

Everything goes through the shop's services (slugs, rules, audit), keyed by slug or name: a second
run finds each thing in place and changes nothing. Pictures are drawn with Pillow (deterministic per
product) and stored through the media store like any upload. The identity demo (run earlier, domains
load in name order) made the customers who leave the reviews; without them the reviews are left out.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.services import UserService
from verso.domains.shop.demo._catalogue import (
    BUNDLE,
    BUNDLE_ITEMS,
    BUNDLE_OFF,
    CATEGORIES,
    COLOURS,
    GIFT_GUIDE,
    MANUAL_COLLECTION,
    PRODUCTS,
    RELATED,
    REVIEWS,
    SIZES,
    SKU_PREFIX,
    SMART_COLLECTION,
    SMART_RULES,
    WISHLIST,
    XL_SURCHARGE,
    Item,
)
from verso.domains.shop.demo._commerce import load_commerce
from verso.domains.shop.demo._pictures import draw_product
from verso.domains.shop.models import (
    Attribute,
    Bundle,
    Category,
    Collection,
    Product,
    ProductVariant,
)
from verso.domains.shop.services import (
    AttributeService,
    BundleInput,
    BundleService,
    CategoryService,
    CollectionInput,
    CollectionService,
    ImageService,
    ItemChange,
    ProductInput,
    ProductService,
    RelatedService,
    ReviewInput,
    ReviewService,
    VariantService,
    WishlistService,
)
from verso.lib.audit import Actor
from verso.lib.slugs import slugify

ACTOR = Actor(label="demo")


async def load(session: AsyncSession, *, admin_password: str) -> None:
    categories = await _categories(session)
    size, colour = await _attributes(session)
    products: dict[str, Product] = {}
    for item in PRODUCTS:
        products[item.name] = await _product(session, item, categories, size, colour)
    await _collections(session, products)
    await _bundle(session, products)
    await _related(session, products)
    await _reviews(session, products)
    await _wishlists(session, products)
    await load_commerce(session, products)


async def _categories(session: AsyncSession) -> dict[str, Category]:
    service = CategoryService(session=session)
    found: dict[str, Category] = {}
    for name, parent, position, description in CATEGORIES:
        category = await session.scalar(select(Category).where(Category.slug == slugify(name, 140)))
        if category is None:
            category = await service.save_category(
                None,
                name=name,
                slug="",
                parent_id=found[parent].id if parent else None,
                description=description,
                position=position,
                seo_title="",
                seo_description=description,
                actor=ACTOR,
            )
        found[name] = category
    return found


async def _attributes(session: AsyncSession) -> tuple[Attribute, Attribute]:
    service = AttributeService(session=session)
    existing = {a.name.lower(): a for a in await service.all_with_values()}
    wanted = [("Size", "size", [(s, "") for s in SIZES]), ("Colour", "color", list(COLOURS.items()))]
    for name, kind, values in wanted:
        if name.lower() not in existing:
            await service.save_attribute(None, name, kind, values, actor=ACTOR)
    existing = {a.name.lower(): a for a in await service.all_with_values()}
    return existing["size"], existing["colour"]


def _description(item: Item) -> str:
    bullets = "\n".join(f"- {detail}" for detail in item.details)
    footer = (
        "*Instant download after checkout.*"
        if item.digital
        else "*Ships from our studio in Lyon within two working days.*"
    )
    return f"{item.blurb}\n\n**Details**\n\n{bullets}\n\n{footer}\n"


def _sku(item: Item) -> str:
    prefix = SKU_PREFIX.get(item.category, "GEN")
    number = [p.name for p in PRODUCTS if p.category == item.category].index(item.name) + 1
    return f"{prefix}-{number:03d}"


async def _product(
    session: AsyncSession, item: Item, categories: dict[str, Category], size: Attribute, colour: Attribute
) -> Product:
    service = ProductService(session=session)
    slug = slugify(item.name, 200)
    product, moved = await service.by_slug(slug)
    if product is None and moved is not None:
        product, _ = await service.by_slug(moved)
    if product is not None:
        return product
    product = await service.create_product(
        ProductInput(
            name=item.name,
            price=item.price,
            description=_description(item),
            compare_at_price=item.was,
            sku=_sku(item),
            track_stock=not item.digital,
            stock=item.stock,
            weight_grams=item.grams,
            is_digital=item.digital,
            status=item.status,
            seo_description=item.blurb[:320],
            category_id=categories[item.category].id,
            tags=[item.tags],
        ),
        actor=ACTOR,
    )
    pictures = await _add_pictures(session, product, item)
    if item.colours:
        await _variants(session, product, item, size, colour, pictures)
    return product


async def _add_pictures(session: AsyncSession, product: Product, item: Item) -> dict[str, UUID]:
    """Store the product's pictures; returns the picture id per colour (for colour pictures)."""
    images = ImageService(session=session)
    by_colour: dict[str, UUID] = {}
    if item.colour_pictures:
        for name in item.colours:
            image = await images.add_image(
                product,
                draw_product(product.slug, item, COLOURS[name]),
                filename=f"{product.slug}-{slugify(name)}.png",
                alt_text=f"{item.name} in {name.lower()}, shown flat on a plain background",
                actor=ACTOR,
            )
            by_colour[name] = image.id
    else:
        first = COLOURS[item.colours[0]] if item.colours else None
        await images.add_image(
            product,
            draw_product(product.slug, item, first),
            filename=f"{product.slug}.png",
            alt_text=f"{item.name}, illustrated on a plain background",
            actor=ACTOR,
        )
    if item.lifestyle:
        await images.add_image(
            product,
            draw_product(product.slug + "/lifestyle", item, None, lifestyle=True),
            filename=f"{product.slug}-lifestyle.png",
            alt_text=f"{item.name} styled on a table with other pieces from the studio",
            image_type="lifestyle",
            actor=ACTOR,
        )
    return by_colour


async def _variants(
    session: AsyncSession,
    product: Product,
    item: Item,
    size: Attribute,
    colour: Attribute,
    pictures: dict[str, UUID],
) -> None:
    sizes = [v.id for v in size.values if v.value in SIZES]
    colours = [v.id for v in colour.values if v.value in item.colours]
    if not sizes or not colours:
        return
    service = VariantService(session=session)
    await service.set_axes(product, {size.id: sizes, colour.id: colours}, actor=ACTOR)
    variants = (
        await session.scalars(
            select(ProductVariant)
            .where(ProductVariant.product_id == product.id)
            .order_by(ProductVariant.position)
        )
    ).all()
    for variant in variants:
        size_label, colour_label = variant.attributes["Size"], variant.attributes["Colour"]
        si, ci = SIZES.index(size_label), item.colours.index(colour_label)
        stock = max(0, [8, 14, 12, 5][si] - 3 * ci + len(item.name) % 4)
        if (si + ci + len(item.name)) % 7 == 0:
            stock = 0  # a few sold-out combinations
        await service.update_variant(
            variant,
            sku=f"{_sku(item)}-{colour_label[:3].upper()}-{size_label}",
            price_adjustment=XL_SURCHARGE if size_label == "XL" else 0,
            stock=stock,
            is_active=True,
            image_id=pictures.get(colour_label),
            actor=ACTOR,
        )


async def _collections(session: AsyncSession, products: dict[str, Product]) -> None:
    """A smart collection (summer things in stock under €100) and a hand-picked gift guide, both
    featured on the home page."""
    service = CollectionService(session=session)
    name, description = SMART_COLLECTION
    if await _missing(session, Collection, name):
        await service.save_collection(
            None,
            CollectionInput(name=name, description=description, kind="smart", match="all", rules=SMART_RULES,
                            sort="newest", show_on_homepage=True, position=0, seo_description=description),
            actor=ACTOR,
        )  # fmt: skip
    name, description = MANUAL_COLLECTION
    if await _missing(session, Collection, name):
        collection = await service.save_collection(
            None,
            CollectionInput(name=name, description=description, kind="manual", sort="manual",
                            show_on_homepage=True, position=1, seo_description=description),
            actor=ACTOR,
        )  # fmt: skip
        for title in GIFT_GUIDE:
            await service.add_product(collection, products[title].id, actor=ACTOR)
    await session.flush()


async def _bundle(session: AsyncSession, products: dict[str, Product]) -> None:
    """A coffee set, 15% off, with a set of tea towels as an optional extra."""
    name, description = BUNDLE
    if not await _missing(session, Bundle, name):
        return
    service = BundleService(session=session)
    created = await service.save_bundle(
        None,
        BundleInput(name=name, description=description, pricing="percentage", value=BUNDLE_OFF),
        actor=ACTOR,
    )
    bundle = await service.with_items(created.id)
    assert bundle is not None
    for title, _quantity, _optional in BUNDLE_ITEMS:
        await service.add_item(bundle, products[title].id, actor=ACTOR)
    for item, (_title, quantity, optional) in zip(bundle.items, BUNDLE_ITEMS, strict=True):
        change = ItemChange(quantity, None, is_optional=optional, is_default_selected=not optional)
        await service.update_item(bundle, item, change, actor=ACTOR)


async def _related(session: AsyncSession, products: dict[str, Product]) -> None:
    """What a few product pages suggest (added once: a second run finds each link in place)."""
    service = RelatedService(session=session)
    for title, kind, suggestions in RELATED:
        product = products[title]
        existing = {(link.related_id, link.kind) for link, _p in await service.for_product(product.id)}
        for suggestion in suggestions:
            if (products[suggestion].id, kind) not in existing:
                await service.add(product, products[suggestion].id, kind, actor=ACTOR)


async def _reviews(session: AsyncSession, products: dict[str, Product]) -> None:
    """The customers' reviews, written and moderated through the review rules (so the products'
    ratings are counted as in real life); each customer's existing review is left alone."""
    users = UserService(session=session)
    service = ReviewService(session=session)
    for title, email, rating, heading, body, status in REVIEWS:
        user = await users.find_by_login(email)
        product = products[title]
        if user is None or await service.own_review(product.id, user.id) is not None:
            continue
        author = _author(user.first_name, user.last_name)
        review, _ = await service.submit(product, user.id, ReviewInput(rating, heading, body, author))
        if status != "pending":
            await service.set_status([review.id], status, actor=ACTOR)
    await session.flush()


async def _wishlists(session: AsyncSession, products: dict[str, Product]) -> None:
    """A few saved products (one of them a particular size and colour) for the demo customer."""
    users = UserService(session=session)
    service = WishlistService(session=session)
    for email, title, choice in WISHLIST:
        user = await users.find_by_login(email)
        if user is None:
            continue
        product = products[title]
        variants = await session.scalars(
            select(ProductVariant).where(ProductVariant.product_id == product.id)
        )
        variant_id = next((v.id for v in variants if choice is not None and v.attributes == choice), None)
        await service.add(user.id, product.id, variant_id)
    await session.flush()


def _author(first: str, last: str) -> str:
    """How a review is signed ("Chloé M.")."""
    return f"{first} {last[:1]}.".strip() if last else first or "Customer"


async def _missing(session: AsyncSession, model: Any, name: str) -> bool:
    return await session.scalar(select(model.id).where(model.slug == slugify(name, 140))) is None


__all__ = ["load"]
