"""What a collection holds, as SQL: a smart collection's rules (stored as ``{"field", "op", "value"}``
dicts, evaluated as one condition on ``Product``), a manual collection's chosen products and order,
as conditions on ``Product``. The rule editor's vocabulary is :data:`CONDITIONS`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from verso.domains.shop.models import Category, Collection, CollectionProduct, Product, ProductTag
from verso.domains.shop.services._products import in_stock_clause


@dataclass(frozen=True, slots=True)
class Condition:
    """One line of the rule editor: which stored rule it makes and what the person types for it
    (``input``: ``category`` picks a category, ``text`` a tag, ``money`` an amount, ``""`` nothing:
    the condition carries its own ``fixed`` value)."""

    label: str
    field: str
    op: str
    input: str
    fixed: bool | None = None


CONDITIONS: dict[str, Condition] = {
    "category": Condition("Category is", "category", "eq", "category"),
    "category_tree": Condition("Category is, or is inside,", "category", "within", "category"),
    "tag": Condition("Tag is", "tag", "eq", "text"),
    "not_tag": Condition("Tag is not", "tag", "ne", "text"),
    "price_min": Condition("Price is at least", "price", "gte", "money"),
    "price_max": Condition("Price is at most", "price", "lte", "money"),
    "in_stock": Condition("Is in stock", "in_stock", "eq", "", True),
    "out_of_stock": Condition("Is out of stock", "in_stock", "eq", "", False),
    "on_sale": Condition("Is on sale (compare-at price above the price)", "on_sale", "eq", "", True),
    "not_on_sale": Condition("Is not on sale", "on_sale", "eq", "", False),
}


def condition_key(rule: Mapping[str, Any]) -> str | None:
    """The editor line a stored rule shows as (``None`` for a rule the editor does not know)."""
    for key, condition in CONDITIONS.items():
        if (condition.field, condition.op) == (rule.get("field"), rule.get("op")) and (
            condition.fixed is None or condition.fixed is rule.get("value")
        ):
            return key
    return None


def _subtree(root: UUID) -> Select[Any]:
    """``root`` and every category below it, as a recursive query (UNION, so a loop still ends)."""
    tree = select(Category.id).where(Category.id == root).cte("category_tree", recursive=True, nesting=True)
    tree = tree.union(select(Category.id).where(Category.parent_id == tree.c.id))
    return select(tree.c.id)


def on_sale_clause() -> ColumnElement[bool]:
    """:attr:`Product.on_sale` in SQL: a compare-at price above the price."""
    return and_(Product.compare_at_price.is_not(None), Product.compare_at_price > Product.price)


def _clause(rule: Mapping[str, Any]) -> ColumnElement[bool] | None:
    """One stored rule as a condition on ``Product``, or ``None`` for a malformed rule."""
    name, op, value = rule.get("field"), rule.get("op"), rule.get("value")
    try:
        if name == "category" and op in ("eq", "within"):
            root = UUID(str(value))
            return Product.category_id == root if op == "eq" else Product.category_id.in_(_subtree(root))
        if name == "tag" and op in ("eq", "ne") and isinstance(value, str) and value:
            tagged = Product.tags.any(ProductTag.tag == value)
            return tagged if op == "eq" else ~tagged
        if name == "price" and op in ("gte", "lte") and type(value) is int:
            return Product.price >= value if op == "gte" else Product.price <= value
        if name == "in_stock" and op == "eq" and isinstance(value, bool):
            return in_stock_clause() if value else ~in_stock_clause()
        if name == "on_sale" and op == "eq" and isinstance(value, bool):
            return on_sale_clause() if value else ~on_sale_clause()
    except ValueError:
        pass
    return None


def is_valid_rule(rule: Mapping[str, Any]) -> bool:
    """A rule the editor knows and SQL can evaluate."""
    return _clause(rule) is not None and condition_key(rule) is not None


def rule_clause(rule: Mapping[str, Any]) -> ColumnElement[bool]:
    """One stored rule as a condition on ``Product``; a malformed rule matches nothing."""
    clause = _clause(rule)
    return false() if clause is None else clause


def rules_clause(match: str, rules: Sequence[Mapping[str, Any]]) -> ColumnElement[bool]:
    """Every rule (``all``) or at least one (``any``); no rules match nothing."""
    if not rules:
        return false()
    clauses = [rule_clause(rule) for rule in rules]
    return or_(*clauses) if match == "any" else and_(*clauses)


def collection_clause(collection: Collection) -> ColumnElement[bool]:
    """The products ``collection`` holds, as a condition on ``Product``."""
    if collection.kind == "smart":
        return rules_clause(collection.match, collection.rules)
    return Product.id.in_(
        select(CollectionProduct.product_id).where(CollectionProduct.collection_id == collection.id)
    )


def collection_position(collection: Collection) -> ColumnElement[Any] | None:
    """A manual collection's chosen order, as a sort key on ``Product`` (``None`` for a smart one)."""
    if collection.kind != "manual":
        return None
    return (
        select(CollectionProduct.position)
        .where(CollectionProduct.collection_id == collection.id, CollectionProduct.product_id == Product.id)
        .scalar_subquery()
    )
