"""The category tree: names, unique slugs, parents without cycles, breadcrumbs."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select

from verso.domains.shop.models import Category, Product
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import catalog_changed
from verso.lib.audit import Actor, audit
from verso.lib.slugs import is_slug, unique_slug


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A category placed in the tree: ``depth`` 0 at the top, for indented lists and selects."""

    category: Category
    depth: int

    @property
    def indented_name(self) -> str:
        return "\u2014 " * self.depth + self.category.name


def tree(categories: list[Category]) -> list[CategoryNode]:
    """Categories in tree order (parents before their children, siblings by position then name)."""
    children: dict[UUID | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    out: list[CategoryNode] = []

    def walk(parent: UUID | None, depth: int) -> None:
        for category in sorted(children.get(parent, []), key=lambda c: (c.position, c.name.lower())):
            out.append(CategoryNode(category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return out


def trail(categories: dict[UUID, Category], category_id: UUID | None) -> list[Category]:
    """The breadcrumb from the top down to ``category_id`` (a corrupt loop stops instead of spinning)."""
    path: list[Category] = []
    seen: set[UUID] = set()
    while category_id is not None and category_id in categories and category_id not in seen:
        seen.add(category_id)
        path.append(categories[category_id])
        category_id = categories[category_id].parent_id
    return list(reversed(path))


def descendants(categories: list[Category], root: UUID) -> set[UUID]:
    """``root`` and every category below it (a category page lists the products of its subtree)."""
    found = {root}
    changed = True
    while changed:
        changed = False
        for category in categories:
            if category.parent_id in found and category.id not in found:
                found.add(category.id)
                changed = True
    return found


class CategoryService(SQLAlchemyAsyncRepositoryService[Category]):
    class Repo(SQLAlchemyAsyncRepository[Category]):
        model_type = Category

    repository_type = Repo

    async def everything(self) -> list[Category]:
        return list((await self.repository.session.scalars(select(Category))).all())

    async def save_category(
        self,
        category: Category | None,
        *,
        name: str,
        slug: str,
        parent_id: UUID | None,
        description: str,
        position: int,
        seo_title: str,
        seo_description: str,
        actor: Actor,
    ) -> Category:
        session = self.repository.session
        errors: dict[str, str] = {}
        name = " ".join(name.split())
        if not name:
            errors["name"] = "This field is required."
        if slug and not is_slug(slug):
            errors["slug"] = "Use lower-case letters, digits and single hyphens."
        elif slug and await session.scalar(
            select(Category.id).where(
                Category.slug == slug, Category.id != (category.id if category else None)
            )
        ):
            errors["slug"] = "Another category uses this address."
        if parent_id is not None:
            everything = {c.id: c for c in await self.everything()}
            if parent_id not in everything:
                errors["parent_id"] = "Choose a category from the list."
            elif category is not None and category.id in {c.id for c in trail(everything, parent_id)}:
                errors["parent_id"] = "A category cannot sit inside itself or one of its subcategories."
        if errors:
            raise ProductError(errors)
        if not slug:
            slug = (
                category.slug if category else await unique_slug(session, Category.slug, name, max_length=140)
            )
        if category is None:
            category = Category()
            session.add(category)
        category.name, category.slug, category.parent_id = name, slug, parent_id
        category.description, category.position = description.strip(), position
        category.seo_title, category.seo_description = seo_title.strip(), seo_description.strip()
        await session.flush()
        audit(
            session,
            actor,
            "shop.category.saved",
            target_type="category",
            target_id=category.id,
            target_label=category.name,
        )
        catalog_changed(session)
        return category

    async def delete_category(self, category: Category, *, actor: Actor) -> None:
        """Delete an empty category; its products become uncategorised, subcategories must go first."""
        session = self.repository.session
        if await session.scalar(
            select(func.count()).select_from(Category).where(Category.parent_id == category.id)
        ):
            raise ProductError({"__all__": "Move or delete its subcategories first."})
        products = await session.scalar(
            select(func.count()).select_from(Product).where(Product.category_id == category.id)
        )
        audit(
            session,
            actor,
            "shop.category.deleted",
            target_type="category",
            target_id=category.id,
            target_label=category.name,
            changes={"products_uncategorised": [None, products]},
        )
        await session.delete(category)
        await session.flush()
        catalog_changed(session)
