"""Staff form input for the catalogue. Money arrives as text ("12.50") and becomes minor units here,
in the business currency, so the services only ever see integers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from msgspec import Meta

from verso.domains.shop.services import (
    CONDITIONS,
    BundleInput,
    CollectionInput,
    ProductInput,
    ReviewInput,
    condition_key,
)
from verso.domains.shop.services._collections import MAX_RULES
from verso.lib.clock import to_zone
from verso.lib.forms import FormState
from verso.lib.money import MoneyError, parse_money, to_decimal_text

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
    is_gift_card: bool = False
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
        is_gift_card=data.is_gift_card,
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


# Customer input is bounded here only against abuse; ReviewInput holds the review rules and reports
# every problem at once.
Loose = Annotated[str, Meta(max_length=20_000)]


class ReviewForm(msgspec.Struct):
    rating: Annotated[str, Meta(max_length=10)] = ""
    title: Loose = ""
    body: Loose = ""
    author_name: Loose = ""


def review_input(data: ReviewForm) -> ReviewInput:
    """The form as a :class:`ReviewInput` (a missing or odd rating becomes 0, which its rules refuse)."""
    rating = int(data.rating) if data.rating.isascii() and data.rating.isdigit() else 0
    return ReviewInput(rating=rating, title=data.title, body=data.body, author_name=data.author_name)


class ReplyForm(msgspec.Struct):
    reply: Loose = ""


# ---- merchandising: collections and bundles ------------------------------------------------
Text = Annotated[str, Meta(max_length=5000)]
When = Annotated[str, Meta(max_length=30)]


def local_time(form: FormState, name: str, text: str, zone: str) -> datetime | None:
    """A ``datetime-local`` value typed in the business's time zone, as UTC (empty: none)."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        form.add_error(name, "Enter a valid date and time.")
        return None
    return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC) if moment.tzinfo is None else moment


def local_value(moment: datetime | None, zone: str) -> datetime | None:
    """A stored UTC time as the business's wall-clock time, for a ``datetime-local`` field."""
    return to_zone(moment, zone).replace(tzinfo=None) if moment else None


class CollectionForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    slug: Annotated[str, Meta(max_length=140)] = ""
    description: Text = ""
    kind: str = "manual"
    match: str = "all"
    sort: str = "manual"
    starts_at: When = ""
    ends_at: When = ""
    show_on_homepage: bool = False
    position: Annotated[int, Meta(ge=0, le=100_000)] = 0
    seo_title: Annotated[str, Meta(max_length=200)] = ""
    seo_description: Annotated[str, Meta(max_length=320)] = ""


@dataclass
class RuleRow:
    """One line of the rule editor as typed: a condition key, a text value, a category id."""

    condition: str = ""
    value: str = ""
    category: str = ""


def rule_rows(submitted: Any) -> list[RuleRow]:
    """The editor's lines from a submitted form (parallel ``rule_*`` fields, one of each per line)."""
    columns = [
        [str(v)[:200] for v in submitted.getall(name, [])][: MAX_RULES + 5]
        for name in ("rule_condition", "rule_value", "rule_category")
    ]
    count = max(len(column) for column in columns)
    padded = [column + [""] * (count - len(column)) for column in columns]
    return [RuleRow(*values) for values in zip(*padded, strict=True)]


def rows_from_rules(rules: list[dict[str, Any]], currency: str) -> list[RuleRow]:
    """Stored rules as editor lines (prices shown as amounts)."""
    rows = []
    for rule in rules:
        key = condition_key(rule) or ""
        kind = CONDITIONS[key].input if key else ""
        value = rule.get("value")
        if kind == "money" and isinstance(value, int):
            rows.append(RuleRow(key, to_decimal_text(value, currency)))
        elif kind == "category":
            rows.append(RuleRow(key, "", str(value or "")))
        elif kind == "text":
            rows.append(RuleRow(key, str(value or "")))
        else:
            rows.append(RuleRow(key))
    return rows


def rules_from_rows(rows: list[RuleRow], form: FormState, currency: str) -> list[dict[str, Any]]:
    """Editor lines as stored rules; lines without a condition are dropped, bad ones get an error
    (``rule-<index>``, the index among the lines kept)."""
    rules: list[dict[str, Any]] = []
    for row in (r for r in rows if r.condition):
        index = len(rules)
        condition = CONDITIONS.get(row.condition)
        if condition is None:
            form.add_error(f"rule-{index}", "Choose a condition from the list.")
            rules.append({"field": "", "op": "", "value": None})
            continue
        value: Any = condition.fixed
        if condition.input == "category":
            value = form_uuid(form, f"rule-{index}", row.category.strip())
            if value is None and f"rule-{index}" not in form.errors:
                form.add_error(f"rule-{index}", "Choose a category.")
            value = str(value) if value else None
        elif condition.input == "money":
            value = _money(form, f"rule-{index}", row.value, currency, optional=False)
        elif condition.input == "text":
            value = row.value.strip()
            if not value:
                form.add_error(f"rule-{index}", "Enter a tag.")
        rules.append({"field": condition.field, "op": condition.op, "value": value})
    return rules


def collection_input(
    data: CollectionForm, rows: list[RuleRow], form: FormState, currency: str, zone: str
) -> CollectionInput | None:
    """The form as a :class:`CollectionInput`, or ``None`` with the problems added to ``form``."""
    rules = rules_from_rows(rows, form, currency) if data.kind == "smart" else []
    starts_at = local_time(form, "starts_at", data.starts_at, zone)
    ends_at = local_time(form, "ends_at", data.ends_at, zone)
    if not form.valid:
        return None
    return CollectionInput(
        name=data.name,
        slug=data.slug.strip(),
        description=data.description,
        kind=data.kind,
        match=data.match,
        rules=rules,
        sort=data.sort,
        starts_at=starts_at,
        ends_at=ends_at,
        show_on_homepage=data.show_on_homepage,
        position=data.position,
        seo_title=data.seo_title,
        seo_description=data.seo_description,
    )


class BundleForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    slug: Annotated[str, Meta(max_length=140)] = ""
    description: Text = ""
    pricing: str = "percentage"
    value: Money = ""
    starts_at: When = ""
    ends_at: When = ""
    is_active: bool = False


def basis_points(form: FormState, name: str, text: str) -> int | None:
    """``"12.5"`` (a percentage, ``%`` allowed) -> ``1250`` basis points."""
    try:
        percent = Decimal(text.strip().rstrip("%").strip().replace(",", "."))
    except InvalidOperation:
        form.add_error(name, "Enter a percentage such as 15.")
        return None
    points = percent * 100
    if not percent.is_finite() or points != points.to_integral_value():
        form.add_error(name, "Use at most 2 decimal places.")
        return None
    if not 0 < points <= 10_000:
        form.add_error(name, "Enter a percentage above 0 and at most 100.")
        return None
    return int(points)


def bundle_value_text(pricing: str, value: int, currency: str) -> str:
    """A bundle's stored value as the form shows it: a percentage or an amount."""
    if pricing == "percentage":
        text = f"{Decimal(value) / 100:f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return to_decimal_text(value, currency)


def bundle_input(data: BundleForm, form: FormState, currency: str, zone: str) -> BundleInput | None:
    if data.pricing == "percentage":
        value = basis_points(form, "value", data.value)
    else:
        value = _money(form, "value", data.value, currency, optional=False)
    starts_at = local_time(form, "starts_at", data.starts_at, zone)
    ends_at = local_time(form, "ends_at", data.ends_at, zone)
    if not form.valid or value is None:
        return None
    return BundleInput(
        name=data.name,
        pricing=data.pricing,
        value=value,
        slug=data.slug.strip(),
        description=data.description,
        starts_at=starts_at,
        ends_at=ends_at,
        is_active=data.is_active,
    )


class BundleItemForm(msgspec.Struct):
    quantity: Annotated[int, Meta(ge=1, le=999)] = 1
    variant_id: str = ""
    is_optional: bool = False
    is_default_selected: bool = False
