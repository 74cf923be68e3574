"""Staff pages for products: the table with bulk actions, the create and edit form, deletion."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import select

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import ProductForm, add_errors, form_uuid, product_input
from verso.domains.shop.models import Product
from verso.domains.shop.services import (
    BULK_ACTIONS,
    AttributeService,
    CategoryService,
    ProductError,
    ProductService,
    VariantService,
    in_stock_clause,
    input_from,
    tree,
)
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.money import to_decimal_text
from verso.lib.storage import MAX_DIGITAL_FILE_BYTES, find_file, upload_limit
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

STAFF = {"setup_gate": True, "module": "shop"}
READ, WRITE = "shop.products.read", "shop.products.write"
COLUMNS = [
    Column("select", ""),
    Column("name", "Product", sortable=True),
    Column("status", "Status"),
    Column("price", "Price", sortable=True, numeric=True),
    Column("stock", "Stock", sortable=True, numeric=True),
    Column("category", "Category"),
    Column("updated_at", "Updated", sortable=True),
]
STATUS_FILTER = Filter("status", "Status", [("", "Any status"), ("active", "Active"), ("draft", "Draft")])
STOCK_FILTER = Filter("stock", "Stock", [("", "Any stock"), ("in", "In stock"), ("out", "Out of stock")])


async def _category_choices(db_session: DbSession) -> list[tuple[str, str]]:
    nodes = tree(await CategoryService(session=db_session).everything())
    return [(str(node.category.id), node.indented_name) for node in nodes]


def _stock_clause(value: str) -> Any:
    return in_stock_clause() if value == "in" else ~in_stock_clause()


@get("/admin/shop/products", permission=READ, nav=NavEntry("Shop", "Products", 10, "box"), **STAFF)
async def products_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    categories = await _category_choices(db_session)
    category_filter = Filter("category", "Category", [("", "Any category"), *categories])
    filters = [STATUS_FILTER, STOCK_FILTER, category_filter]
    query = TableQuery.from_params(
        request.query_params,
        sortable=["name", "price", "stock", "updated_at"],
        default_sort="updated_at",
        default_direction="desc",
        filters=filters,
    )
    page = await paginate(
        db_session,
        select(Product),
        query,
        base_url="/admin/shop/products",
        filters=filters,
        sort_columns={
            "name": Product.name,
            "price": Product.price,
            "stock": Product.stock,
            "updated_at": Product.updated_at,
        },
        search_columns=[Product.name, Product.sku, Product.slug],
        filter_columns={"status": Product.status, "stock": _stock_clause, "category": Product.category_id},
    )
    names = dict(categories)
    return render(
        request,
        "shop/products/index.html",
        {
            "page": page,
            "columns": COLUMNS,
            "category_names": {k: v.lstrip("\u2014 ") for k, v in names.items()},
            "categories": categories,
            "bulk_actions": BULK_ACTIONS,
        },
        block="table",
    )


async def _edit_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    product: Product | None,
    form: FormState,
    status_code: int = 200,
    *,
    file_form: FormState | None = None,
) -> Any:
    context: dict[str, Any] = {
        "product": product,
        "form": form,
        "categories": [("", "No category"), *await _category_choices(db_session)],
        "statuses": [("draft", "Draft (hidden from the shop)"), ("active", "Active (for sale)")],
        "currency": business_cache.current().currency,
    }
    if product is not None:
        context["images"] = product.images  # loaded with the product (ProductService.full)
        context["variants"] = product.variants
        context["axes"] = await VariantService(session=db_session).product_axes(product.id)
        context["all_attributes"] = await AttributeService(session=db_session).all_with_values()
        currency = context["currency"]
        context["adjustments"] = {
            v.id: ("-" if v.price_adjustment < 0 else "") + to_decimal_text(abs(v.price_adjustment), currency)
            for v in context["variants"]
        }
        # The "Download file" section (views/_digital_file.py).
        context["digital_file"] = await find_file(db_session, product.digital_file_digest)
        context["file_form"] = file_form or FormState()
        context["file_limit"] = upload_limit(MAX_DIGITAL_FILE_BYTES)
    return render(request, "shop/products/edit.html", context, status_code=status_code)


def _form_values(product: Product) -> dict[str, Any]:
    currency = business_cache.current().currency
    values = input_from(product)
    for key in ("price", "compare_at_price", "cost"):
        values[key] = to_decimal_text(values[key], currency)
    values["category_id"] = str(values["category_id"] or "")
    values["tags"] = ", ".join(values["tags"])
    values["sku"] = values["sku"] or ""
    return values


async def product_or_404(db_session: DbSession, product_id: UUID) -> Product:
    product = await ProductService(session=db_session).full(product_id)
    if product is None:
        raise NotFoundException("No such product.")
    return product


@get("/admin/shop/products/new", permission=WRITE, **STAFF)
async def product_new(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    form = form_from({"status": "draft", "track_stock": True, "stock": 0})
    return await _edit_page(request, db_session, None, form)


@post("/admin/shop/products", permission=WRITE, **STAFF)
async def product_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), ProductForm)
    change = product_input(data, form, business_cache.current().currency) if data else None
    if change is not None:
        try:
            product = await ProductService(session=db_session).create_product(change, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"/admin/shop/products/{product.id}", message="Product created.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    return await _edit_page(request, db_session, None, form, HTTP_422_UNPROCESSABLE_ENTITY)


@get("/admin/shop/products/{product_id:uuid}", permission=READ, **STAFF)
async def product_detail(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    product = await product_or_404(db_session, product_id)
    return await _edit_page(request, db_session, product, form_from(_form_values(product)))


@post("/admin/shop/products/{product_id:uuid}", permission=WRITE, **STAFF)
async def product_update(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    product = await product_or_404(db_session, product_id)
    data, form = parse_form(await request.form(), ProductForm)
    change = product_input(data, form, business_cache.current().currency) if data else None
    if change is not None:
        try:
            await ProductService(session=db_session).update_product(product, change, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"/admin/shop/products/{product.id}", message="Product saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    product = await product_or_404(db_session, product_id)
    return await _edit_page(request, db_session, product, form, HTTP_422_UNPROCESSABLE_ENTITY)


@post("/admin/shop/products/{product_id:uuid}/delete", permission=WRITE, **STAFF)
async def product_delete(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    product = await product_or_404(db_session, product_id)
    await ProductService(session=db_session).delete_product(product, actor=actor(request))
    await db_session.commit()
    return redirect(request, "/admin/shop/products", message=f"“{product.name}” deleted.")


@post("/admin/shop/products/bulk", permission=WRITE, **STAFF)
async def products_bulk(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    submitted = await request.form()
    form = FormState()
    ids = [pid for raw in submitted.getall("ids", []) if (pid := form_uuid(form, "ids", raw))]
    category_id = form_uuid(form, "category_id", submitted.get("category_id") or "")
    action = submitted.get("action") or ""
    back = submitted.get("back") or "/admin/shop/products"
    back = back if back.startswith("/admin/shop/products") else "/admin/shop/products"
    try:
        if not form.valid:
            raise ProductError({NON_FIELD: "Choose products from the list."})
        count = await ProductService(session=db_session).bulk(
            action, ids, category_id=category_id, actor=actor(request)
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, back, message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    label = BULK_ACTIONS[action].lower()
    return redirect(request, back, message=f"{count} product{'s' if count != 1 else ''}: {label} done.")


routes = [
    products_index,
    product_new,
    product_create,
    product_detail,
    product_update,
    product_delete,
    products_bulk,
]
