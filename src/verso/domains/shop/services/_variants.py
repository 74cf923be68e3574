"""Attributes and the variant grid: a product's attributes (Size x Colour) generate one variant per
combination of the values it offers; regenerating keeps the variants that still fit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.shop.models import (
    Attribute,
    AttributeValue,
    Product,
    ProductAttribute,
    ProductImage,
    ProductVariant,
    variant_value,
)
from verso.domains.shop.models._catalog import ATTRIBUTE_KINDS
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import catalog_changed
from verso.lib.audit import Actor, audit

MAX_VARIANTS = 250
SWATCH_LENGTH = 7


@dataclass(frozen=True, slots=True)
class Axis:
    """One attribute of a product and the values it offers, in display order."""

    attribute: str
    values: tuple[tuple[UUID, str], ...]  # (value id, label)


def variant_grid(axes: list[Axis]) -> list[tuple[tuple[UUID, str], ...]]:
    """Every combination of one value per axis, in axis order (``[]`` when there are no axes).

    >>> a = Axis("Size", ((1, "S"), (2, "M"))); b = Axis("Colour", ((3, "Red"),))
    >>> [[label for _id, label in combo] for combo in variant_grid([a, b])]
    [['S', 'Red'], ['M', 'Red']]
    """
    axes = [axis for axis in axes if axis.values]
    if not axes:
        return []
    return list(itertools.product(*(axis.values for axis in axes)))


def variant_name(combo: tuple[tuple[UUID, str], ...]) -> str:
    return " / ".join(label for _id, label in combo)


def effective_price(product: Product, variant: ProductVariant | None) -> int:
    """What one unit costs: the product price plus the variant's adjustment, never below zero."""
    return max(0, product.price + (variant.price_adjustment if variant else 0))


class AttributeService(SQLAlchemyAsyncRepositoryService[Attribute]):
    class Repo(SQLAlchemyAsyncRepository[Attribute]):
        model_type = Attribute

    repository_type = Repo

    async def all_with_values(self) -> list[Attribute]:
        return list(
            (
                await self.repository.session.scalars(
                    select(Attribute)
                    .options(selectinload(Attribute.values))
                    .order_by(Attribute.position, Attribute.name)
                )
            ).all()
        )

    async def save_attribute(
        self,
        attribute: Attribute | None,
        name: str,
        kind: str,
        values: list[tuple[str, str]],
        *,
        actor: Actor,
    ) -> Attribute:
        """Create or update an attribute with its values ``(label, swatch)``; values in use by a variant
        cannot be removed."""
        session = self.repository.session
        errors: dict[str, str] = {}
        name = " ".join(name.split())
        if not name:
            errors["name"] = "This field is required."
        elif await session.scalar(
            select(Attribute.id).where(
                func.lower(Attribute.name) == name.lower(),
                Attribute.id != (attribute.id if attribute else None),
            )
        ):
            errors["name"] = "Another attribute has this name."
        if kind not in ATTRIBUTE_KINDS:
            errors["kind"] = "Choose one of the options."
        cleaned: dict[str, str] = {}
        for label, swatch in values:
            label = " ".join(label.split())[:80]
            swatch = swatch.strip().lower()
            if not label:
                continue
            if kind == "color" and swatch and not (len(swatch) == SWATCH_LENGTH and swatch[0] == "#"):
                errors["values"] = f"Colour swatches look like #1a2b3c ({label})."
            cleaned.setdefault(label, swatch if kind == "color" else "")
        if not cleaned:
            errors["values"] = "Give at least one value, one per line."
        if errors:
            raise ProductError(errors)
        if attribute is None:
            attribute = Attribute(name=name, kind=kind)
            session.add(attribute)
            await session.flush()
            existing: list[AttributeValue] = []
        else:
            attribute.name, attribute.kind = name, kind
            existing = list(
                (
                    await session.scalars(
                        select(AttributeValue).where(AttributeValue.attribute_id == attribute.id)
                    )
                ).all()
            )
        by_label = {v.value: v for v in existing}
        for position, (label, swatch) in enumerate(cleaned.items()):
            value = by_label.pop(label, None) or AttributeValue(attribute_id=attribute.id, value=label)
            value.swatch, value.position = swatch, position
            session.add(value)
        for gone in by_label.values():
            in_use = select(variant_value.c.variant_id).where(variant_value.c.value_id == gone.id).limit(1)
            if await session.scalar(in_use) is not None:
                raise ProductError(
                    {"values": f"“{gone.value}” is used by product variants; remove those first."}
                )
            await session.delete(gone)
        await session.flush()
        audit(
            session,
            actor,
            "shop.attribute.saved",
            target_type="attribute",
            target_id=attribute.id,
            target_label=attribute.name,
            changes={"values": [None, list(cleaned)]},
        )
        catalog_changed(session)
        return attribute

    async def delete_attribute(self, attribute: Attribute, *, actor: Actor) -> None:
        session = self.repository.session
        if await session.scalar(
            select(ProductAttribute.id).where(ProductAttribute.attribute_id == attribute.id)
        ):
            raise ProductError({"__all__": "Products use this attribute; remove it from them first."})
        audit(
            session,
            actor,
            "shop.attribute.deleted",
            target_type="attribute",
            target_id=attribute.id,
            target_label=attribute.name,
        )
        await session.delete(attribute)
        await session.flush()
        catalog_changed(session)


class VariantService(SQLAlchemyAsyncRepositoryService[ProductVariant]):
    class Repo(SQLAlchemyAsyncRepository[ProductVariant]):
        model_type = ProductVariant

    repository_type = Repo

    async def product_axes(self, product_id: UUID) -> list[Axis]:
        session = self.repository.session
        links = (
            await session.scalars(
                select(ProductAttribute)
                .where(ProductAttribute.product_id == product_id)
                .order_by(ProductAttribute.position)
            )
        ).all()
        if not links:
            return []
        attributes = {
            a.id: a
            for a in (
                await session.scalars(
                    select(Attribute)
                    .where(Attribute.id.in_([link.attribute_id for link in links]))
                    .options(selectinload(Attribute.values))
                )
            ).all()
        }
        axes = []
        for link in links:
            attribute = attributes[link.attribute_id]
            chosen = set(link.value_ids)
            axes.append(
                Axis(attribute.name, tuple((v.id, v.value) for v in attribute.values if str(v.id) in chosen))
            )
        return axes

    async def set_axes(self, product: Product, choice: dict[UUID, list[UUID]], *, actor: Actor) -> int:
        """Use the attributes ``{attribute id: [value ids]}`` on ``product`` and regenerate its grid.

        Variants whose combination still exists keep their SKU, price change, stock and image; new
        combinations start from zero stock; combinations no longer offered are deleted. Returns the
        number of variants."""
        session = self.repository.session
        attributes = (
            await session.scalars(
                select(Attribute)
                .where(Attribute.id.in_(list(choice)))
                .options(selectinload(Attribute.values))
            )
        ).all()
        if len(attributes) != len(choice):
            raise ProductError({"attributes": "Choose attributes from the list."})
        axes: list[Axis] = []
        for attribute in sorted(attributes, key=lambda a: (a.position, a.name)):
            wanted = {str(v) for v in choice[attribute.id]}
            values = tuple((v.id, v.value) for v in attribute.values if str(v.id) in wanted)
            if len(values) != len(wanted):
                raise ProductError({"attributes": f"Choose values of {attribute.name} from the list."})
            if not values:
                raise ProductError({"attributes": f"Choose at least one value of {attribute.name}."})
            axes.append(Axis(attribute.name, values))
        grid = variant_grid(axes)
        if len(grid) > MAX_VARIANTS:
            raise ProductError(
                {"attributes": f"That makes {len(grid)} variants; the limit is {MAX_VARIANTS}."}
            )
        await session.execute(delete(ProductAttribute).where(ProductAttribute.product_id == product.id))
        for position, axis in enumerate(axes):
            attribute_id = next(a.id for a in attributes if a.name == axis.attribute)
            session.add(
                ProductAttribute(
                    product_id=product.id,
                    attribute_id=attribute_id,
                    value_ids=[str(v) for v, _label in axis.values],
                    position=position,
                )
            )
        existing = (
            await session.scalars(
                select(ProductVariant)
                .where(ProductVariant.product_id == product.id)
                .options(selectinload(ProductVariant.values))
            )
        ).all()
        by_key = {frozenset(v.id for v in variant.values): variant for variant in existing}
        values_by_id = {v.id: v for a in attributes for v in a.values}
        for position, combo in enumerate(grid):
            key = frozenset(value_id for value_id, _label in combo)
            variant = by_key.pop(key, None)
            if variant is None:
                variant = ProductVariant(product_id=product.id, stock=0, price_adjustment=0)
                variant.values = [values_by_id[value_id] for value_id, _label in combo]
                session.add(variant)
            variant.name = variant_name(combo)
            variant.position = position
            variant.attributes = {
                axis.attribute: label for axis, (_id, label) in zip(axes, combo, strict=True)
            }
        for gone in by_key.values():
            await session.delete(gone)
        await session.flush()
        audit(
            session,
            actor,
            "shop.product.variants_generated",
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes={"variants": [len(existing), len(grid)]},
        )
        catalog_changed(session)
        return len(grid)

    async def update_variant(
        self,
        variant: ProductVariant,
        *,
        sku: str | None,
        price_adjustment: int,
        stock: int,
        is_active: bool,
        image_id: UUID | None,
        actor: Actor,
    ) -> ProductVariant:
        session = self.repository.session
        errors: dict[str, str] = {}
        sku = (sku or "").strip() or None
        if sku and (
            await session.scalar(
                select(ProductVariant.id).where(
                    func.lower(ProductVariant.sku) == sku.lower(), ProductVariant.id != variant.id
                )
            )
            or await session.scalar(select(Product.id).where(func.lower(Product.sku) == sku.lower()))
        ):
            errors["sku"] = "Another product or variant already uses this SKU."
        if stock < 0:
            errors["stock"] = "Must be zero or more."
        if image_id is not None:
            owner = await session.scalar(select(ProductImage.product_id).where(ProductImage.id == image_id))
            if owner != variant.product_id:
                errors["image_id"] = "Choose one of this product's images."
        if errors:
            raise ProductError(errors)
        fields = ("sku", "price_adjustment", "stock", "is_active")
        before = {key: getattr(variant, key) for key in fields}
        variant.sku, variant.price_adjustment, variant.stock = sku, price_adjustment, stock
        variant.is_active, variant.image_id = is_active, image_id
        await session.flush()
        after = {key: getattr(variant, key) for key in fields}
        audit(
            session,
            actor,
            "shop.variant.updated",
            target_type="variant",
            target_id=variant.id,
            target_label=variant.name,
            changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
        catalog_changed(session)
        return variant


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One variant as an integration describes it: attribute names to value labels, plus its fields."""

    options: dict[str, str]
    sku: str | None = None
    price_adjustment: int = 0
    stock: int = 0
    is_active: bool = True


async def replace_variants(
    session: AsyncSession, product: Product, specs: list[VariantSpec], *, actor: Actor
) -> None:
    """Make ``product``'s variants exactly ``specs`` (the JSON API's nested ``variants``).

    Attributes and values are named, and must exist (staff manage them). The values used span the
    grid as on the staff page; combinations not listed are kept but inactive, with no stock. An empty
    list removes every variant. Refusals name the entry: ``variants[2].options``."""
    attributes = {
        a.name.casefold(): a
        for a in (await session.scalars(select(Attribute).options(selectinload(Attribute.values)))).all()
    }
    errors: dict[str, str] = {}
    names: set[str] | None = None
    wanted: dict[frozenset[UUID], VariantSpec] = {}
    for index, spec in enumerate(specs):
        field = f"variants[{index}].options"
        chosen: list[AttributeValue] = []
        for name, label in spec.options.items():
            attribute = attributes.get(name.strip().casefold())
            value = attribute and next(
                (v for v in attribute.values if v.value.casefold() == label.strip().casefold()), None
            )
            if attribute is None:
                errors[field] = f"No attribute is called “{name}”; add it on the Attributes page first."
            elif value is None:
                errors[field] = f"{attribute.name} has no value “{label}”; add it first."
            else:
                chosen.append(value)
        used = {value.attribute_id for value in chosen}
        if field in errors:
            continue
        if not chosen or len(used) != len(chosen):
            errors[field] = 'Give one value for each attribute, e.g. {"Size": "M"}.'
        elif names is not None and {str(a) for a in used} != names:
            errors[field] = "Every variant must name the same attributes."
        elif frozenset(v.id for v in chosen) in wanted:
            errors[field] = "Another variant has the same options."
        else:
            names = {str(a) for a in used}
            wanted[frozenset(v.id for v in chosen)] = spec
        if spec.stock < 0:
            errors[f"variants[{index}].stock"] = "Must be zero or more."
    if errors:
        raise ProductError(errors)
    choice: dict[UUID, list[UUID]] = {}
    for key in wanted:
        for value_id in key:
            attribute_id = next(a.id for a in attributes.values() if any(v.id == value_id for v in a.values))
            choice.setdefault(attribute_id, []).append(value_id)
    service = VariantService(session=session)
    await service.set_axes(product, choice, actor=actor)
    variants = (
        await session.scalars(
            select(ProductVariant)
            .where(ProductVariant.product_id == product.id)
            .options(selectinload(ProductVariant.values))
        )
    ).all()
    # Free only the SKUs that move to another variant (so two variants may swap theirs); the others
    # stay, so their audit entries show real changes only.
    moving = {spec.sku.casefold() for spec in wanted.values() if spec.sku}
    for variant in variants:
        spec = wanted.get(frozenset(v.id for v in variant.values))
        kept = spec is not None and (spec.sku or "").casefold() == (variant.sku or "").casefold()
        if variant.sku and variant.sku.casefold() in moving and not kept:
            variant.sku = None
    await session.flush()
    for variant in variants:
        spec = wanted.get(frozenset(v.id for v in variant.values))
        try:
            await service.update_variant(
                variant,
                sku=spec.sku if spec else None,
                price_adjustment=spec.price_adjustment if spec else 0,
                stock=spec.stock if spec else 0,
                is_active=spec.is_active if spec else False,
                image_id=variant.image_id,
                actor=actor,
            )
        except ProductError as exc:
            index = list(wanted).index(frozenset(v.id for v in variant.values)) if spec else 0
            raise ProductError({f"variants[{index}].{k}": m for k, m in exc.errors.items()}) from exc
