"""A CSV row as the staff forms see it: the values a form would submit, parsed with the forms' own
rules, and what saving them would store (to tell a changed product from an unchanged one)."""

from __future__ import annotations

from dataclasses import fields
from functools import lru_cache
from typing import Any

import msgspec

from verso.domains.shop.models import Product
from verso.domains.shop.services._csv_format import CsvColumn, parse_bool
from verso.domains.shop.services._products import ProductInput
from verso.lib.forms import parse_form
from verso.lib.money import to_decimal_text


def same_cell(column: CsvColumn, text: str, original: str) -> bool:
    """Whether a product cell on a later row repeats the first row's (yes/Yes/true alike)."""
    if column.kind == "bool":
        return parse_bool(text) == (parse_bool(original) if original.strip() else BOOL_DEFAULTS[column.key])
    return text.strip() == original.strip()


SAFE_VALUES = {"name": "-", "price": "0", "stock": "0", "price_adjustment": "0"}


@lru_cache(maxsize=8)
def resolved_form(schema: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The staff form ``schema`` with its annotations evaluated once: the same fields, types,
    defaults and messages. ``parse_form`` reads a form's annotations on every call, and the forms
    module writes them as strings, so each call compiles them again (about 0.5 ms, 20 s of a
    10,000-product file); a row parses about ten times faster through this copy."""
    fields_: list[Any] = []
    for info in msgspec.structs.fields(schema):
        if info.required:
            fields_.append((info.name, info.type))
        elif info.default_factory is not msgspec.NODEFAULT:
            fields_.append((info.name, info.type, msgspec.field(default_factory=info.default_factory)))
        else:
            fields_.append((info.name, info.type, info.default))
    return msgspec.defstruct(schema.__name__, fields_, module=schema.__module__)


def parse_all(values: dict[str, str], schema: Any, errors: dict[str, list[str]]) -> Any:
    """``parse_form`` with the staff form's rules; when fields fail, their errors go to ``errors`` and
    the form is parsed again with stand-ins for them, so the checks after it (money, the product's
    rules) still run and a row's problems are all reported at once."""
    schema = resolved_form(schema)
    data, form = parse_form(values, schema)
    if data is not None:
        return data
    errors |= form.errors
    data, _form = parse_form(values | {name: SAFE_VALUES.get(name, "") for name in form.errors}, schema)
    return data


def to_form_flag(value: bool) -> str:
    return "on" if value else ""


def current_input(product: Product, tags: list[str]) -> ProductInput:
    """A product's editable values (``input_from`` without loading the tags relationship)."""
    values = {f.name: getattr(product, f.name) for f in fields(ProductInput) if f.name != "tags"}
    return ProductInput(**values, tags=list(tags))


def current_form(current: ProductInput, currency: str) -> dict[str, str]:
    """A product's values as the staff form would submit them (what a missing column keeps)."""
    values = {f.name: getattr(current, f.name) for f in fields(ProductInput)}
    form = {key: "" if value is None else str(value) for key, value in values.items()}
    for key in ("price", "compare_at_price", "cost"):
        form[key] = to_decimal_text(values[key], currency)
    for key in ("track_stock", "is_digital", "is_subscription"):
        form[key] = to_form_flag(values[key])
    form["tags"] = ", ".join(values["tags"])
    form["category_id"] = str(values["category_id"] or "")
    return form


NEW_PRODUCT_FORM = {"track_stock": "on", "stock": "0", "status": "draft"}
BOOL_DEFAULTS = {"track_stock": True, "is_digital": False, "is_subscription": False, "is_active": True}


def state(data: ProductInput) -> tuple[Any, ...]:
    """What saving ``data`` stores, normalised the way ``ProductService._apply`` does, so an
    existing product and a row compare equal exactly when saving the row would change nothing."""
    return (
        data.name.strip(),
        data.description.strip(),
        data.price,
        data.compare_at_price,
        data.cost,
        (data.sku or "").strip() or None,
        data.track_stock and not data.is_digital,
        data.stock,
        data.weight_grams,
        data.is_digital,
        data.is_subscription,
        data.stripe_price_id.strip() if data.is_subscription else "",
        data.status,
        data.seo_title.strip(),
        data.seo_description.strip(),
        data.category_id,
    )
