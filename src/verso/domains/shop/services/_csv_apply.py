"""Writing an import plan: every change of a checked file in the caller's transaction, or none.

The values go through the service's own rules: ``ProductService._apply`` (normalising, Markdown
rendering), ``clean_tags``, ``AttributeService.save_attribute`` for new attribute values, and the
variant grid that planning computed with ``variant_grid``. The writes are set-based instead of one
``ProductService.create_product`` per row: through the service a product costs about 7 ms on SQLite
(12 ms with variants), which for 10,000 products would hold SQLite's single write lock for two
minutes. Everything CPU-bound (Markdown included) happens before the first write, so the lock is
held only for the statements. Every product changed gets its audit entry, the import one more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from verso.domains.shop.models import (
    AttributeValue,
    Product,
    ProductAttribute,
    ProductTag,
    ProductVariant,
    variant_value,
)
from verso.domains.shop.services._csv_plan import CHUNK, AttrRef, ImportPlan, ProductPlan, ValueRef
from verso.domains.shop.services._products import ProductService, _snapshot, clean_tags
from verso.domains.shop.services._variants import AttributeService
from verso.domains.shop.services._version import catalog_changed
from verso.lib import clock
from verso.lib.audit import Actor, AuditLog, audit, diff

YIELD_EVERY = 200  # rows of CPU work between two pauses, so a worker inside the web process lets requests in


async def _pause(index: int) -> None:
    if index % YIELD_EVERY == YIELD_EVERY - 1:
        await asyncio.sleep(0)


async def _insert(session: AsyncSession, target: Any, rows: Sequence[dict[str, Any]]) -> None:
    """A bulk INSERT (executemany) in chunks; column defaults fill what the rows leave out."""
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(target), list(rows[start : start + CHUNK]))


async def _update_by_id(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """A bulk UPDATE by primary key (executemany); the objects in the session are not refreshed."""
    for start in range(0, len(rows), CHUNK):
        await session.execute(update(model), list(rows[start : start + CHUNK]))


def _set_values(instance: Any) -> dict[str, Any]:
    """The attributes set on a new, unsaved instance: a row to insert or update."""
    return {key: value for key, value in vars(instance).items() if not key.startswith("_")}


async def _delete_where_in(session: AsyncSession, model: Any, column: Any, ids: Sequence[UUID]) -> None:
    for start in range(0, len(ids), CHUNK):
        await session.execute(delete(model).where(column.in_(ids[start : start + CHUNK])))


@dataclass
class _Writes:
    """The rows and audit entries a plan turns into, prepared before anything is written."""

    new_products: list[dict[str, Any]] = field(default_factory=list)
    changed_products: list[dict[str, Any]] = field(default_factory=list)
    retagged: list[UUID] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # audit log rows
    product_ids: dict[str, UUID] = field(default_factory=dict)

    def audit(
        self, session: AsyncSession, actor: Actor, action: str, product: Product, changes: dict[str, Any]
    ) -> None:
        """An entry made by ``lib.audit.audit`` (its mapping and limits), kept as a row so thousands
        are written in one statement rather than one ORM insert each."""
        entry = audit(
            session,
            actor,
            action,
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes=changes,
        )
        session.expunge(entry)
        self.entries.append(_set_values(entry))


def _changes(plan: ProductPlan, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes = diff(before, after)
    if plan.tags_changed:
        changes["tags"] = [plan.old_tags, clean_tags(plan.data.tags)]
    if plan.variants is not None and plan.variants.changed:
        changes["variants"] = [plan.old_variant_count, len(plan.variants.variants)]
    changes["source"] = [None, "CSV import"]
    return changes


async def _prepare_products(
    session: AsyncSession, plan: ImportPlan, service: ProductService, actor: Actor
) -> _Writes:
    """Apply every row with the service's own ``_apply`` to a fresh ``Product``: the rows to insert
    (new products) and to update by id (changed ones), with their tags and audit entries."""
    writes = _Writes()
    now = clock.utcnow()
    for index, item in enumerate(plan.products):
        await _pause(index)
        existing = item.existing
        product = Product(id=existing.id if existing else uuid7())
        if existing is None or item.fields_changed:
            service._apply(product, item.data)
        product.slug = item.slug
        if existing is None:
            writes.new_products.append(_set_values(product))
            writes.audit(
                session, actor, "shop.product.created", product, _changes(item, {}, _snapshot(product))
            )
        elif item.action == "update":
            before = _snapshot(existing)
            after = _snapshot(product) if item.fields_changed else before
            if item.fields_changed:
                writes.changed_products.append(_set_values(product) | {"updated_at": now})
            else:
                product.name = existing.name
            writes.audit(session, actor, "shop.product.updated", product, _changes(item, before, after))
        if existing is not None and item.tags_changed:
            writes.retagged.append(product.id)
        if item.tags_changed:
            writes.tags += [{"product_id": product.id, "tag": tag} for tag in clean_tags(item.data.tags)]
        writes.product_ids[item.slug] = product.id
    return writes


async def _attribute_values(session: AsyncSession, plan: ImportPlan, actor: Actor) -> dict[ValueRef, UUID]:
    """Create the attribute values (and attributes) the file adds; every value reference -> its id."""
    book = plan.book
    assert book is not None
    service = AttributeService(session=session)
    attribute_ids: dict[AttrRef, UUID] = {a.id: a.id for a in book.by_id.values()}
    for ref, labels in book.new_values.items():
        added = [(label, "") for label in labels.values()]
        if isinstance(ref, UUID):
            attribute = book.by_id[ref]
            current = [(v.value, v.swatch) for v in attribute.values]
            await service.save_attribute(
                attribute, attribute.name, attribute.kind, current + added, actor=actor
            )
        else:
            saved = await service.save_attribute(
                None, book.new_attributes[ref[1]], "select", added, actor=actor
            )
            attribute_ids[ref] = saved.id
    refs: dict[ValueRef, UUID] = {}
    by_label = {
        (attribute_id, label): value_id
        for value_id, attribute_id, label in await session.execute(
            select(AttributeValue.id, AttributeValue.attribute_id, AttributeValue.value)
        )
    }
    refs.update({value_id: value_id for value_id in by_label.values()})
    for ref, labels in book.new_values.items():
        for label in labels.values():
            refs[("new", ref, label)] = by_label[(attribute_ids[ref], label)]
    refs.update({("attribute", ref): attribute_id for ref, attribute_id in attribute_ids.items()})
    return refs


async def _write_variants(
    session: AsyncSession, plan: ImportPlan, product_ids: dict[str, UUID], refs: dict[Any, UUID]
) -> None:
    """Regenerate the grids that changed: removed variants first (their SKUs become free; their
    value links go by ON DELETE CASCADE), then the attributes each product uses, then the variants."""
    changing = [item for item in plan.products if item.variants is not None and item.variants.changed]
    removed = [variant.id for item in changing if item.variants for variant in item.variants.removed]
    await _delete_where_in(session, ProductVariant, ProductVariant.id, removed)
    reaxed = [
        product_ids[item.slug]
        for item in changing
        if item.existing is not None and item.variants and item.variants.axes_changed
    ]
    await _delete_where_in(session, ProductAttribute, ProductAttribute.product_id, reaxed)
    axes: list[dict[str, Any]] = []
    variants: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    now = clock.utcnow()
    for index, item in enumerate(changing):
        await _pause(index)
        assert item.variants is not None
        product_id = product_ids[item.slug]
        if item.variants.axes_changed:
            axes += [
                {
                    "product_id": product_id,
                    "attribute_id": refs[("attribute", axis.attribute)],
                    "value_ids": [str(refs[ref]) for ref in axis.values],
                    "position": position,
                }
                for position, axis in enumerate(item.variants.axes)
            ]
        for planned in item.variants.variants:
            if not planned.changed:
                continue
            values = {
                "name": planned.name,
                "position": planned.position,
                "attributes": planned.attributes,
                "sku": planned.sku,
                "price_adjustment": planned.price_adjustment,
                "stock": planned.stock,
                "is_active": planned.is_active,
            }
            if planned.existing is None:
                variant_id = uuid7()
                variants.append({"id": variant_id, "product_id": product_id, **values})
                links += [{"variant_id": variant_id, "value_id": refs[ref]} for ref in planned.refs]
            else:
                changed.append({"id": planned.existing.id, **values, "updated_at": now})
    await _update_by_id(session, ProductVariant, changed)  # first: a SKU they give up may go to a new one
    await _insert(session, ProductAttribute, axes)
    await _insert(session, ProductVariant, variants)
    await _insert(session, variant_value, links)


async def apply_plan(
    session: AsyncSession, plan: ImportPlan, *, actor: Actor, run_id: UUID, filename: str
) -> dict[str, int]:
    """Write ``plan`` (which must have no errors) in ``session``; the caller commits. Returns the counts."""
    if plan.error_count:
        raise ValueError("An import plan with errors cannot be applied.")
    counts = plan.counts()
    writes = await _prepare_products(session, plan, ProductService(session=session), actor)
    refs = await _attribute_values(session, plan, actor)  # the first write is here
    await _insert(session, Product, writes.new_products)
    await _update_by_id(session, Product, writes.changed_products)
    await _delete_where_in(session, ProductTag, ProductTag.product_id, writes.retagged)
    await _insert(session, ProductTag, writes.tags)
    await _insert(session, AuditLog, writes.entries)
    await _write_variants(session, plan, writes.product_ids, refs)
    audit(
        session,
        actor,
        "shop.products.imported",
        target_type="import_run",
        target_id=run_id,
        target_label=filename,
        changes={key: [None, value] for key, value in counts.items() if value},
    )
    catalog_changed(session)
    await session.flush()
    return counts
