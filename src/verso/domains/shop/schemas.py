"""JSON shapes of the products API (/api/v1/products): what the OpenAPI document describes, what the
handlers return and accept. Money is always integer minor units of the business currency.

Inputs only check types and sizes (a wrong type answers 400); the business rules (a price of zero
or more, a compare-at price above the price, a free SKU...) are :meth:`ProductInput.rule_errors` and
the service's checks, the same as the staff form's, and answer 422 naming each field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from verso.domains.shop.models import Product, ProductImage, ProductVariant
from verso.domains.shop.services import (
    ProductInput,
    VariantSpec,
    effective_price,
    input_from,
    is_in_stock,
)
from verso.lib.storage import CARD, FULL, THUMB, url_for_file

INT_MAX = 2**31 - 1  # the columns are 32-bit integers
MAX_TAGS_SENT = 100  # more than the rule allows (30), so the rule's own message answers

# Each field is described once and used by the create and the patch body alike.
Name = Annotated[str, Meta(max_length=200, description="What the product is called (required on create).")]
Slug = Annotated[
    str,
    Meta(
        max_length=200,
        description="The storefront address (lower-case letters, digits, single hyphens). Empty on "
        "create: made from the name. A change keeps the old address as a redirect.",
    ),
]
Description = Annotated[
    str, Meta(max_length=50_000, description="Long description in Markdown; rendered and sanitised on save.")
]
Price = Annotated[
    int,
    Meta(
        ge=-INT_MAX,
        le=INT_MAX,
        description="Price in minor units of the business currency (1250 = 12.50 EUR). Zero or more.",
    ),
]
CompareAt = Annotated[
    int,
    Meta(
        ge=-INT_MAX,
        le=INT_MAX,
        description="The former or list price in minor units, shown struck through; must be more "
        "than `price`. Null: none.",
    ),
]
Cost = Annotated[
    int,
    Meta(
        ge=-INT_MAX,
        le=INT_MAX,
        description="What one unit costs the business, in minor units. Null: unknown.",
    ),
]
Sku = Annotated[
    str,
    Meta(
        max_length=64,
        description="Stock keeping unit, unique across products and variants (case-insensitive). Null: none.",
    ),
]
TrackStock = Annotated[
    bool, Meta(description="Count stock and stop selling at zero. Always false for digital products.")
]
Stock = Annotated[
    int,
    Meta(
        ge=-INT_MAX,
        le=INT_MAX,
        description="Units in stock, zero or more (a product with variants counts stock per variant).",
    ),
]
Weight = Annotated[
    int, Meta(ge=-INT_MAX, le=INT_MAX, description="Shipping weight in grams, zero or more. Null: unknown.")
]
IsDigital = Annotated[bool, Meta(description="A download rather than a parcel: no shipping, no stock count.")]
IsSubscription = Annotated[
    bool, Meta(description="Sold as a recurring subscription (needs `stripe_price_id`).")
]
StripePriceId = Annotated[
    str,
    Meta(
        max_length=100, description="The Stripe price id (price_...) a subscription bills. Required for one."
    ),
]
Status = Annotated[
    str, Meta(max_length=10, description="`active` (for sale on the storefront) or `draft` (hidden).")
]
SeoTitle = Annotated[str, Meta(max_length=200, description="Title for search engines. Empty: the name.")]
SeoDescription = Annotated[str, Meta(max_length=320, description="Description for search engines.")]
CategoryId = Annotated[UUID, Meta(description="The category's id. Null: no category.")]
Tags = Annotated[
    list[Annotated[str, Meta(max_length=200)]],
    Meta(
        max_length=MAX_TAGS_SENT,
        description="Free-form tags; stored trimmed, lower-case and unique (at most 30). Replaces the "
        "product's tags.",
    ),
]


class VariantIn(msgspec.Struct, forbid_unknown_fields=True):
    """One variant of the product, named by its options."""

    options: Annotated[
        dict[Annotated[str, Meta(max_length=80)], Annotated[str, Meta(max_length=80)]],
        Meta(
            max_length=10,
            description='Attribute name to value, e.g. {"Size": "M", "Colour": "Blue"}; the attributes '
            "and values must exist (the Attributes page). Every variant names the same attributes.",
        ),
    ]
    sku: Sku | None = None
    price_adjustment: Annotated[
        int,
        Meta(
            ge=-INT_MAX,
            le=INT_MAX,
            description="Added to the product's price, in minor units (negative: cheaper).",
        ),
    ] = 0
    stock: Stock = 0
    is_active: Annotated[bool, Meta(description="Offered for sale.")] = True

    def to_spec(self) -> VariantSpec:
        return VariantSpec(
            options=dict(self.options),
            sku=(self.sku or "").strip() or None,
            price_adjustment=self.price_adjustment,
            stock=self.stock,
            is_active=self.is_active,
        )


Variants = Annotated[
    list[VariantIn],
    Meta(
        max_length=250,
        description="The product's variants, all of them: on a change, the list replaces the current "
        "set (a variant with the same options keeps its picture). Combinations of the values used that "
        "are not listed are kept inactive. `[]` removes every variant.",
    ),
]


class ProductCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new product. Only ``name`` and ``price`` are required."""

    name: Name
    price: Price
    slug: Slug = ""
    description: Description = ""
    compare_at_price: CompareAt | None = None
    cost: Cost | None = None
    sku: Sku | None = None
    track_stock: TrackStock = True
    stock: Stock = 0
    weight_grams: Weight | None = None
    is_digital: IsDigital = False
    is_subscription: IsSubscription = False
    stripe_price_id: StripePriceId = ""
    status: Status = "draft"
    seo_title: SeoTitle = ""
    seo_description: SeoDescription = ""
    category_id: CategoryId | None = None
    tags: Tags = msgspec.field(default_factory=list)
    variants: Variants | None = None

    def to_input(self) -> ProductInput:
        values = msgspec.structs.asdict(self)
        values.pop("variants")
        values["sku"] = (self.sku or "").strip() or None
        values["slug"] = self.slug.strip()
        return ProductInput(**values)


class ProductPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A change to a product: only the fields sent change (null clears a nullable one)."""

    name: Name | UnsetType = UNSET
    price: Price | UnsetType = UNSET
    slug: Slug | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    compare_at_price: CompareAt | UnsetType | None = UNSET
    cost: Cost | UnsetType | None = UNSET
    sku: Sku | UnsetType | None = UNSET
    track_stock: TrackStock | UnsetType = UNSET
    stock: Stock | UnsetType = UNSET
    weight_grams: Weight | UnsetType | None = UNSET
    is_digital: IsDigital | UnsetType = UNSET
    is_subscription: IsSubscription | UnsetType = UNSET
    stripe_price_id: StripePriceId | UnsetType = UNSET
    status: Status | UnsetType = UNSET
    seo_title: SeoTitle | UnsetType = UNSET
    seo_description: SeoDescription | UnsetType = UNSET
    category_id: CategoryId | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    variants: Variants | UnsetType = UNSET

    def sent(self) -> dict[str, Any]:
        """The product's own fields that were sent (``variants`` travel apart)."""
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not UNSET and k != "variants"}

    def to_input(self, product: Product) -> ProductInput:
        """The product's current values (``product`` loaded with its tags) with the sent fields over them."""
        values = {**input_from(product), **self.sent()}
        if isinstance(values.get("sku"), str):
            values["sku"] = values["sku"].strip() or None
        values["slug"] = (values["slug"] or "").strip()
        return ProductInput(**values)


class VariantOut(msgspec.Struct):
    """One purchasable combination of attribute values ("Large / Blue")."""

    id: UUID
    name: Annotated[str, Meta(description='The combination\'s label, e.g. "Large / Blue".')]
    sku: Annotated[str | None, Meta(description="The variant's own SKU, if any.")]
    price_adjustment: Annotated[
        int, Meta(description="Added to the product's price, in minor units (negative: cheaper).")
    ]
    price: Annotated[
        int, Meta(description="What one unit of this variant costs, in minor units (never below zero).")
    ]
    stock: Annotated[int, Meta(description="Units of this variant in stock.")]
    attributes: Annotated[dict[str, str], Meta(description='Attribute name to value, e.g. {"Size": "L"}.')]
    is_active: Annotated[bool, Meta(description="Offered for sale.")]
    image_id: Annotated[UUID | None, Meta(description="The product image showing this variant, if any.")]


class CategoryRef(msgspec.Struct):
    id: UUID
    slug: Annotated[str, Meta(description="The category's address on the storefront.")]
    name: str


class ImageOut(msgspec.Struct):
    id: UUID
    alt_text: Annotated[str, Meta(description="Text for people who cannot see the picture.")]
    is_primary: Annotated[bool, Meta(description="The product's main picture.")]
    position: int
    width: Annotated[int, Meta(description="Width of the original in pixels.")]
    height: Annotated[int, Meta(description="Height of the original in pixels.")]
    url: Annotated[str, Meta(description="The original upload (absolute URL, cacheable for a year).")]
    thumb_url: Annotated[str, Meta(description="A WebP rendition, at most 160 px on its longest side.")]
    card_url: Annotated[str, Meta(description="A WebP rendition, at most 480 px on its longest side.")]
    full_url: Annotated[str, Meta(description="A WebP rendition, at most 1600 px on its longest side.")]


class ProductOut(msgspec.Struct):
    """A product with its variants, images, category and tags. Money in minor units of ``currency``."""

    id: UUID
    name: Annotated[str, Meta(description="What the product is called.")]
    slug: Annotated[
        str, Meta(description="The product page address on the storefront; a former slug redirects to it.")
    ]
    status: Annotated[str, Meta(description="`active` (for sale) or `draft` (hidden from the shop).")]
    description: Annotated[str, Meta(description="Long description, Markdown as written.")]
    description_html: Annotated[str, Meta(description="The description rendered to sanitised HTML.")]
    currency: Annotated[str, Meta(description="ISO 4217 code of every amount here (the business currency).")]
    price: Annotated[int, Meta(description="Price in minor units (1250 = 12.50 EUR).")]
    compare_at_price: Annotated[int | None, Meta(description="Former or list price in minor units, or null.")]
    cost: Annotated[
        int | None, Meta(description="What one unit costs the business, in minor units, or null.")
    ]
    sku: Annotated[str | None, Meta(description="Stock keeping unit, or null.")]
    track_stock: Annotated[bool, Meta(description="Stock is counted and selling stops at zero.")]
    stock: Annotated[int, Meta(description="Units in stock (products without variants).")]
    in_stock: Annotated[
        bool,
        Meta(
            description="Can be bought now: stock is not tracked, or an active variant has stock, or "
            "(without active variants) the product has stock."
        ),
    ]
    weight_grams: Annotated[int | None, Meta(description="Shipping weight in grams, or null.")]
    is_digital: Annotated[bool, Meta(description="A download rather than a parcel.")]
    is_subscription: Annotated[bool, Meta(description="Sold as a recurring subscription.")]
    stripe_price_id: Annotated[str, Meta(description="The Stripe price a subscription bills, or empty.")]
    seo_title: Annotated[str, Meta(description="Title for search engines (empty: the name).")]
    seo_description: Annotated[str, Meta(description="Description for search engines.")]
    category: Annotated[CategoryRef | None, Meta(description="The product's category, or null.")]
    tags: Annotated[list[str], Meta(description="Tags, lower-case, in alphabetical order.")]
    images: Annotated[list[ImageOut], Meta(description="Pictures in display order.")]
    variants: Annotated[list[VariantOut], Meta(description="Variants in display order (empty: none).")]
    rating: Annotated[float | None, Meta(description="Average review rating out of 5, or null.")]
    rating_count: Annotated[int, Meta(description="Number of published reviews.")]
    sold_count: Annotated[int, Meta(description="Units sold.")]
    created_at: datetime
    updated_at: datetime


class ProductPage(msgspec.Struct):
    items: list[ProductOut]
    page: int
    per_page: int
    total: Annotated[int, Meta(description="Products matching the filters, on every page.")]
    pages: int


def _image(image: ProductImage, base_url: str) -> ImageOut:
    return ImageOut(
        id=image.id,
        alt_text=image.alt_text,
        is_primary=image.is_primary,
        position=image.position,
        width=image.width,
        height=image.height,
        url=base_url + url_for_file(image.digest),
        thumb_url=base_url + url_for_file(image.digest, THUMB),
        card_url=base_url + url_for_file(image.digest, CARD),
        full_url=base_url + url_for_file(image.digest, FULL),
    )


def _variant(product: Product, variant: ProductVariant) -> VariantOut:
    return VariantOut(
        id=variant.id,
        name=variant.name,
        sku=variant.sku,
        price_adjustment=variant.price_adjustment,
        price=effective_price(product, variant),
        stock=variant.stock,
        attributes=dict(variant.attributes or {}),
        is_active=variant.is_active,
        image_id=variant.image_id,
    )


def product_out(product: Product, *, currency: str, base_url: str) -> ProductOut:
    """``product`` as the API shows it; its variants, images, tags and category must be loaded."""
    base_url = base_url.rstrip("/")
    variants = [_variant(product, v) for v in product.variants]
    in_stock = is_in_stock(product, list(product.variants))
    category = product.category
    return ProductOut(
        id=product.id,
        name=product.name,
        slug=product.slug,
        status=product.status,
        description=product.description,
        description_html=product.description_html,
        currency=currency,
        price=product.price,
        compare_at_price=product.compare_at_price,
        cost=product.cost,
        sku=product.sku,
        track_stock=product.track_stock,
        stock=product.stock,
        in_stock=in_stock,
        weight_grams=product.weight_grams,
        is_digital=product.is_digital,
        is_subscription=product.is_subscription,
        stripe_price_id=product.stripe_price_id,
        seo_title=product.seo_title,
        seo_description=product.seo_description,
        category=CategoryRef(id=category.id, slug=category.slug, name=category.name) if category else None,
        tags=[t.tag for t in product.tags],
        images=[_image(i, base_url) for i in product.images],
        variants=variants,
        rating=product.rating,
        rating_count=product.rating_count,
        sold_count=product.sold_count,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )
