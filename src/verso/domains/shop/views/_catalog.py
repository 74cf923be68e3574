"""Staff pages for the catalogue's structure: the category tree and the reusable attributes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.orm import selectinload

from verso.domains.identity.deps import actor
from verso.domains.shop.forms import AttributeForm, CategoryForm, add_errors, form_uuid
from verso.domains.shop.models import Attribute, Category
from verso.domains.shop.models._catalog import ATTRIBUTE_KINDS
from verso.domains.shop.services import AttributeService, CategoryService, ProductError, tree
from verso.domains.shop.views._products import STAFF
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.server.navigation import NavEntry

CATALOG = "shop.catalog.write"
KIND_LABELS = {"select": "List", "color": "Colour swatch", "size": "Size", "text": "Text"}


# ---- categories -------------------------------------------------------------------------------
async def _category_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    category: Category | None,
    form: FormState,
    status: int = 200,
) -> Any:
    nodes = tree(await CategoryService(session=db_session).everything())
    parents = [("", "None (top level)")] + [
        (str(n.category.id), n.indented_name)
        for n in nodes
        if category is None or n.category.id != category.id
    ]
    return render(
        request,
        "shop/categories/edit.html",
        {"category": category, "form": form, "parents": parents, "nodes": nodes},
        status_code=status,
    )


@get(
    "/admin/shop/categories",
    permission="shop.products.read",
    nav=NavEntry("Shop", "Categories", 20, "list"),
    **STAFF,
)
async def categories_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    nodes = tree(await CategoryService(session=db_session).everything())
    return render(request, "shop/categories/index.html", {"nodes": nodes})


@get("/admin/shop/categories/new", permission=CATALOG, **STAFF)
async def category_new(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _category_page(request, db_session, None, form_from({"position": 0}))


async def _category(db_session: DbSession, category_id: UUID) -> Category:
    category = await db_session.get(Category, category_id)
    if category is None:
        raise NotFoundException("No such category.")
    return category


@get("/admin/shop/categories/{category_id:uuid}", permission=CATALOG, **STAFF)
async def category_detail(
    request: Request[Any, Any, Any], db_session: DbSession, category_id: FromPath[UUID]
) -> Any:
    category = await _category(db_session, category_id)
    values = {
        k: getattr(category, k)
        for k in ("name", "slug", "description", "position", "seo_title", "seo_description")
    }
    values["parent_id"] = str(category.parent_id or "")
    return await _category_page(request, db_session, category, form_from(values))


async def _save_category(
    request: Request[Any, Any, Any], db_session: DbSession, category_id: UUID | None
) -> Any:
    category = await _category(db_session, category_id) if category_id else None
    data, form = parse_form(await request.form(), CategoryForm)
    parent_id = form_uuid(form, "parent_id", data.parent_id) if data else None
    if data is not None and form.valid:
        try:
            saved = await CategoryService(session=db_session).save_category(
                category,
                name=data.name,
                slug=data.slug.strip(),
                parent_id=parent_id,
                description=data.description,
                position=data.position,
                seo_title=data.seo_title,
                seo_description=data.seo_description,
                actor=actor(request),
            )
            await db_session.commit()
            return redirect(request, "/admin/shop/categories", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    category = await _category(db_session, category_id) if category_id else None
    return await _category_page(request, db_session, category, form, HTTP_422_UNPROCESSABLE_ENTITY)


@post("/admin/shop/categories", permission=CATALOG, **STAFF)
async def category_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save_category(request, db_session, None)


@post("/admin/shop/categories/{category_id:uuid}", permission=CATALOG, **STAFF)
async def category_update(
    request: Request[Any, Any, Any], db_session: DbSession, category_id: FromPath[UUID]
) -> Any:
    return await _save_category(request, db_session, category_id)


@post("/admin/shop/categories/{category_id:uuid}/delete", permission=CATALOG, **STAFF)
async def category_delete(
    request: Request[Any, Any, Any], db_session: DbSession, category_id: FromPath[UUID]
) -> Any:
    category = await _category(db_session, category_id)
    try:
        await CategoryService(session=db_session).delete_category(category, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(
            request, f"/admin/shop/categories/{category_id}", message=exc.errors[NON_FIELD], level="error"
        )
    await db_session.commit()
    return redirect(request, "/admin/shop/categories", message="Category deleted.")


# ---- attributes -------------------------------------------------------------------------------
def _values_text(attribute: Attribute) -> str:
    return "\n".join(f"{v.value}, {v.swatch}" if v.swatch else v.value for v in attribute.values)


async def _attribute(db_session: DbSession, attribute_id: UUID) -> Attribute:
    attribute = await db_session.get(Attribute, attribute_id, options=[selectinload(Attribute.values)])
    if attribute is None:
        raise NotFoundException("No such attribute.")
    return attribute


def _attribute_page(
    request: Request[Any, Any, Any], attribute: Attribute | None, form: FormState, status: int = 200
) -> Any:
    kinds = [(k, KIND_LABELS[k]) for k in ATTRIBUTE_KINDS]
    return render(
        request,
        "shop/attributes/edit.html",
        {"attribute": attribute, "form": form, "kinds": kinds},
        status_code=status,
    )


@get(
    "/admin/shop/attributes",
    permission="shop.products.read",
    nav=NavEntry("Shop", "Attributes", 30, "tag"),
    **STAFF,
)
async def attributes_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    attributes = await AttributeService(session=db_session).all_with_values()
    return render(
        request, "shop/attributes/index.html", {"attributes": attributes, "kind_labels": KIND_LABELS}
    )


@get("/admin/shop/attributes/new", permission=CATALOG, **STAFF)
async def attribute_new(request: Request[Any, Any, Any]) -> Any:
    return _attribute_page(request, None, form_from({"kind": "select"}))


@get("/admin/shop/attributes/{attribute_id:uuid}", permission=CATALOG, **STAFF)
async def attribute_detail(
    request: Request[Any, Any, Any], db_session: DbSession, attribute_id: FromPath[UUID]
) -> Any:
    attribute = await _attribute(db_session, attribute_id)
    values = {"name": attribute.name, "kind": attribute.kind, "values": _values_text(attribute)}
    return _attribute_page(request, attribute, form_from(values))


async def _save_attribute(
    request: Request[Any, Any, Any], db_session: DbSession, attribute_id: UUID | None
) -> Any:
    attribute = await _attribute(db_session, attribute_id) if attribute_id else None
    data, form = parse_form(await request.form(), AttributeForm)
    if data is not None:
        try:
            saved = await AttributeService(session=db_session).save_attribute(
                attribute, data.name, data.kind, data.parsed_values(), actor=actor(request)
            )
            await db_session.commit()
            return redirect(request, "/admin/shop/attributes", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    attribute = await _attribute(db_session, attribute_id) if attribute_id else None
    return _attribute_page(request, attribute, form, HTTP_422_UNPROCESSABLE_ENTITY)


@post("/admin/shop/attributes", permission=CATALOG, **STAFF)
async def attribute_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save_attribute(request, db_session, None)


@post("/admin/shop/attributes/{attribute_id:uuid}", permission=CATALOG, **STAFF)
async def attribute_update(
    request: Request[Any, Any, Any], db_session: DbSession, attribute_id: FromPath[UUID]
) -> Any:
    return await _save_attribute(request, db_session, attribute_id)


@post("/admin/shop/attributes/{attribute_id:uuid}/delete", permission=CATALOG, **STAFF)
async def attribute_delete(
    request: Request[Any, Any, Any], db_session: DbSession, attribute_id: FromPath[UUID]
) -> Any:
    attribute = await _attribute(db_session, attribute_id)
    try:
        await AttributeService(session=db_session).delete_attribute(attribute, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(
            request, f"/admin/shop/attributes/{attribute_id}", message=exc.errors[NON_FIELD], level="error"
        )
    await db_session.commit()
    return redirect(request, "/admin/shop/attributes", message="Attribute deleted.")


routes = [
    categories_index,
    category_new,
    category_detail,
    category_create,
    category_update,
    category_delete,
    attributes_index,
    attribute_new,
    attribute_detail,
    attribute_create,
    attribute_update,
    attribute_delete,
]
