"""Staff pages for bundles: the table, the form (pricing entered as an amount or a percentage), and
the items (added by search; quantity, variant, optional and ordered in place)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import func, select

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import (
    BundleForm,
    BundleItemForm,
    add_errors,
    bundle_input,
    bundle_value_text,
    form_uuid,
    local_value,
)
from verso.domains.shop.models import Bundle, BundleItem
from verso.domains.shop.models._merch import BUNDLE_PRICING
from verso.domains.shop.services import (
    BundleService,
    ItemChange,
    Line,
    ProductError,
    bundle_price,
    effective_price,
    find_products,
)
from verso.domains.shop.services._collections import window_status
from verso.domains.shop.views._products import STAFF
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

READ, CATALOG = "shop.products.read", "shop.catalog.write"
BASE = "/admin/shop/bundles"
COLUMNS = [
    Column("name", "Bundle", sortable=True),
    Column("pricing", "Pricing"),
    Column("items", "Items", numeric=True),
    Column("status", "Status"),
    Column("updated_at", "Updated", sortable=True),
]
ACTIVE_FILTER = Filter("active", "Status", [("", "Any status"), ("yes", "Active"), ("no", "Inactive")])


def _active(value: str) -> Any:
    return Bundle.is_active.is_(value == "yes")


@get(BASE, permission=READ, nav=NavEntry("Shop", "Bundles", 50, "briefcase"), **STAFF)
async def bundles_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = TableQuery.from_params(
        request.query_params, sortable=["name", "updated_at"], default_sort="name", filters=[ACTIVE_FILTER]
    )
    page = await paginate(
        db_session,
        select(Bundle),
        query,
        base_url=BASE,
        filters=[ACTIVE_FILTER],
        sort_columns={"name": Bundle.name, "updated_at": Bundle.updated_at},
        search_columns=[Bundle.name, Bundle.slug],
        filter_columns={"active": _active},
    )
    counts = dict(
        (
            await db_session.execute(
                select(BundleItem.bundle_id, func.count())
                .where(BundleItem.bundle_id.in_([b.id for b in page.items]))
                .group_by(BundleItem.bundle_id)
            )
        ).all()
    )
    now = clock.utcnow()
    currency = business_cache.current().currency
    return render(
        request,
        "shop/bundles/index.html",
        {
            "page": page,
            "columns": COLUMNS,
            "counts": counts,
            "windows": {b.id: window_status(b, now) for b in page.items},
            "values": {b.id: bundle_value_text(b.pricing, b.value, currency) for b in page.items},
        },
        block="table",
    )


async def _bundle(db_session: DbSession, bundle_id: UUID) -> Bundle:
    bundle = await BundleService(session=db_session).with_items(bundle_id)
    if bundle is None:
        raise NotFoundException("No such bundle.")
    return bundle


async def _edit_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    bundle: Bundle | None,
    form: FormState,
    *,
    status: int = 200,
    block: str = "content",
) -> Any:
    context: dict[str, Any] = {
        "bundle": bundle,
        "form": form,
        "pricings": list(BUNDLE_PRICING.items()),
        "currency": business_cache.current().currency,
    }
    if bundle is not None:
        products = await BundleService(session=db_session).item_products(bundle)
        lines = []
        for item in bundle.items:
            product = products[item.product_id]
            variant = next((v for v in product.variants if v.id == item.variant_id), None)
            lines.append((item, product, effective_price(product, variant)))
        q = request.query_params.get("q", "").strip()[:100]
        context.update(
            lines=lines,
            price=bundle_price(
                bundle.pricing,
                bundle.value,
                [
                    Line(price, item.quantity, item.is_optional, item.is_default_selected)
                    for item, _p, price in lines
                ],
            ),
            q=q,
            candidates=await find_products(db_session, q),
        )
    return render(request, "shop/bundles/edit.html", context, status_code=status, block=block)


@get(f"{BASE}/new", permission=CATALOG, **STAFF)
async def bundle_new(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    form = form_from({"pricing": "percentage", "value": "10", "is_active": True})
    return await _edit_page(request, db_session, None, form)


@get(f"{BASE}/{{bundle_id:uuid}}", permission=CATALOG, **STAFF)
async def bundle_detail(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID]
) -> Any:
    """The form and the items; with ``?q=`` also products to add (htmx: only them)."""
    bundle = await _bundle(db_session, bundle_id)
    business = business_cache.current()
    values = {
        "name": bundle.name,
        "slug": bundle.slug,
        "description": bundle.description,
        "pricing": bundle.pricing,
        "value": bundle_value_text(bundle.pricing, bundle.value, business.currency),
        "starts_at": local_value(bundle.starts_at, business.timezone),
        "ends_at": local_value(bundle.ends_at, business.timezone),
        "is_active": bundle.is_active,
    }
    return await _edit_page(request, db_session, bundle, form_from(values), block="candidates")


async def _save(request: Request[Any, Any, Any], db_session: DbSession, bundle_id: UUID | None) -> Any:
    bundle = await _bundle(db_session, bundle_id) if bundle_id else None
    data, form = parse_form(await request.form(), BundleForm)
    business = business_cache.current()
    change = bundle_input(data, form, business.currency, business.timezone) if data else None
    if change is not None:
        try:
            saved = await BundleService(session=db_session).save_bundle(bundle, change, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"{BASE}/{saved.id}", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    bundle = await _bundle(db_session, bundle_id) if bundle_id else None
    return await _edit_page(request, db_session, bundle, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(BASE, permission=CATALOG, **STAFF)
async def bundle_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save(request, db_session, None)


@post(f"{BASE}/{{bundle_id:uuid}}", permission=CATALOG, **STAFF)
async def bundle_update(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID]
) -> Any:
    return await _save(request, db_session, bundle_id)


@post(f"{BASE}/{{bundle_id:uuid}}/delete", permission=CATALOG, **STAFF)
async def bundle_delete(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID]
) -> Any:
    bundle = await _bundle(db_session, bundle_id)
    await BundleService(session=db_session).delete_bundle(bundle, actor=actor(request))
    await db_session.commit()
    return redirect(request, BASE, message=f"“{bundle.name}” deleted.")


# ---- items -----------------------------------------------------------------------------------
def _back(bundle_id: UUID, q: str = "") -> str:
    return f"{BASE}/{bundle_id}" + (f"?{urlencode({'q': q[:100]})}" if q else "") + "#items"


def _item(bundle: Bundle, item_id: UUID) -> BundleItem:
    item = next((i for i in bundle.items if i.id == item_id), None)
    if item is None:
        raise NotFoundException("No such item in this bundle.")
    return item


def _problem(exc: ProductError) -> str:
    return " ".join(exc.errors.values())


@post(f"{BASE}/{{bundle_id:uuid}}/items", permission=CATALOG, **STAFF)
async def bundle_item_add(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID]
) -> Any:
    bundle = await _bundle(db_session, bundle_id)
    submitted = await request.form()
    q = str(submitted.get("q") or "")
    product_id = form_uuid(FormState(), "product_id", str(submitted.get("product_id") or ""))
    try:
        if product_id is None:
            raise ProductError({"product_id": "Choose a product from the list."})
        product = await BundleService(session=db_session).add_item(bundle, product_id, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(bundle_id, q), message=_problem(exc), level="error")
    await db_session.commit()
    return redirect(request, _back(bundle_id, q), message=f"“{product.name}” added.")


@post(f"{BASE}/{{bundle_id:uuid}}/items/{{item_id:uuid}}", permission=CATALOG, **STAFF)
async def bundle_item_update(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID], item_id: FromPath[UUID]
) -> Any:
    bundle = await _bundle(db_session, bundle_id)
    item = _item(bundle, item_id)
    data, form = parse_form(await request.form(), BundleItemForm)
    variant_id = form_uuid(form, "variant_id", data.variant_id) if data else None
    try:
        if data is None or not form.valid:
            raise ProductError({k: " ".join(v) for k, v in form.errors.items()})
        change = ItemChange(data.quantity, variant_id, data.is_optional, data.is_default_selected)
        await BundleService(session=db_session).update_item(bundle, item, change, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(bundle_id), message=_problem(exc), level="error")
    await db_session.commit()
    return redirect(request, _back(bundle_id), message="Item saved.")


@post(f"{BASE}/{{bundle_id:uuid}}/items/{{item_id:uuid}}/move", permission=CATALOG, **STAFF)
async def bundle_item_move(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID], item_id: FromPath[UUID]
) -> Any:
    bundle = await _bundle(db_session, bundle_id)
    offset = -1 if (await request.form()).get("direction") == "up" else 1
    await BundleService(session=db_session).move_item(
        bundle, _item(bundle, item_id), offset, actor=actor(request)
    )
    await db_session.commit()
    return redirect(request, _back(bundle_id), message="Order saved.")


@post(f"{BASE}/{{bundle_id:uuid}}/items/{{item_id:uuid}}/remove", permission=CATALOG, **STAFF)
async def bundle_item_remove(
    request: Request[Any, Any, Any], db_session: DbSession, bundle_id: FromPath[UUID], item_id: FromPath[UUID]
) -> Any:
    bundle = await _bundle(db_session, bundle_id)
    await BundleService(session=db_session).remove_item(bundle, _item(bundle, item_id), actor=actor(request))
    await db_session.commit()
    return redirect(request, _back(bundle_id), message="Item removed.")


routes = [
    bundles_index,
    bundle_new,
    bundle_detail,
    bundle_create,
    bundle_update,
    bundle_delete,
    bundle_item_add,
    bundle_item_update,
    bundle_item_move,
    bundle_item_remove,
]
