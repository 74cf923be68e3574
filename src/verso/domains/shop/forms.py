"""Staff form input for the catalogue. Money arrives as text ("12.50") and becomes minor units here,
in the business currency, so the services only ever see integers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from verso.domains.shop.services import ProductInput
from verso.lib.forms import FormState
from verso.lib.money import MoneyError, parse_money

Money = Annotated[str, Meta(max_length=20)]


class ProductForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    price: Annotated[str, Meta(min_length=1, max_length=20, extra={"error": "Enter a price such as 12.50."})]
    slug: Annotated[str, Meta(max_length=200)] = ""
    description: Annotated[str, Meta(max_length=50_000)] = ""
    compare_at_price: Money = ""
    cost: Money = ""
    sku: Annotated[str, Meta(max_length=64)] = ""
    track_stock: bool = False
    stock: Annotated[int, Meta(ge=0, le=10_000_000)] = 0
    weight_grams: Annotated[int, Meta(ge=0, le=10_000_000)] | None = None
    is_digital: bool = False
    is_subscription: bool = False
    stripe_price_id: Annotated[str, Meta(max_length=100)] = ""
    status: str = "draft"
    seo_title: Annotated[str, Meta(max_length=200)] = ""
    seo_description: Annotated[str, Meta(max_length=320)] = ""
    category_id: str = ""
    tags: Annotated[str, Meta(max_length=1000)] = ""


def _money(form: FormState, name: str, text: str, currency: str, *, optional: bool) -> int | None:
    if optional and not text.strip():
        return None
    try:
        return parse_money(text, currency)
    except MoneyError as exc:
        form.add_error(name, str(exc))
        return None


def form_uuid(form: FormState, name: str, text: str) -> UUID | None:
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        form.add_error(name, "Choose one of the options.")
        return None


def product_input(data: ProductForm, form: FormState, currency: str) -> ProductInput | None:
    """The form's values as a :class:`ProductInput`, or ``None`` with the money errors added to ``form``."""
    price = _money(form, "price", data.price, currency, optional=False)
    compare_at = _money(form, "compare_at_price", data.compare_at_price, currency, optional=True)
    cost = _money(form, "cost", data.cost, currency, optional=True)
    category_id = form_uuid(form, "category_id", data.category_id)
    if not form.valid or price is None:
        return None
    return ProductInput(
        name=data.name,
        price=price,
        slug=data.slug.strip(),
        description=data.description,
        compare_at_price=compare_at,
        cost=cost,
        sku=data.sku.strip() or None,
        track_stock=data.track_stock,
        stock=data.stock,
        weight_grams=data.weight_grams,
        is_digital=data.is_digital,
        is_subscription=data.is_subscription,
        stripe_price_id=data.stripe_price_id,
        status=data.status,
        seo_title=data.seo_title,
        seo_description=data.seo_description,
        category_id=category_id,
        tags=[data.tags],
    )


def add_errors(form: FormState, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        form.add_error(name, message)


class CategoryForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    slug: Annotated[str, Meta(max_length=140)] = ""
    parent_id: str = ""
    description: Annotated[str, Meta(max_length=5000)] = ""
    position: Annotated[int, Meta(ge=0, le=100_000)] = 0
    seo_title: Annotated[str, Meta(max_length=200)] = ""
    seo_description: Annotated[str, Meta(max_length=320)] = ""


class AttributeForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    kind: str = "select"
    values: Annotated[str, Meta(max_length=10_000)] = ""

    def parsed_values(self) -> list[tuple[str, str]]:
        """One value per line; a colour may follow after a comma: ``Navy, #1f2a44``."""
        out = []
        for line in self.values.splitlines():
            label, _, swatch = line.partition(",")
            out.append((label.strip(), swatch.strip()))
        return out


class VariantForm(msgspec.Struct):
    price_adjustment: Annotated[str, Meta(max_length=21)] = "0"
    stock: Annotated[int, Meta(ge=0, le=10_000_000)] = 0
    sku: Annotated[str, Meta(max_length=64)] = ""
    image_id: str = ""
    is_active: bool = False


def signed_money(form: FormState, name: str, text: str, currency: str) -> int | None:
    """A price change that may be negative ("-2.00")."""
    text = text.strip() or "0"
    negative = text.startswith("-")
    value = _money(form, name, text.lstrip("+-"), currency, optional=False)
    return None if value is None else (-value if negative else value)


class ImageForm(msgspec.Struct):
    alt_text: Annotated[str, Meta(max_length=250)] = ""
    image_type: str = "photo"
    primary: bool = False
