"""Staff pages for collections: the table, the form with its rule editor (plain form buttons add and
remove rule lines; htmx only refreshes the "N products match" preview), and a manual collection's
products (added by search, ordered with up and down buttons)."""

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
    CollectionForm,
    RuleRow,
    add_errors,
    collection_input,
    form_uuid,
    local_value,
    rows_from_rules,
    rule_rows,
    rules_from_rows,
)
from verso.domains.shop.models import Collection, CollectionProduct
from verso.domains.shop.models._merch import COLLECTION_SORTS
from verso.domains.shop.services import (
    CONDITIONS,
    CategoryService,
    CollectionService,
    ProductError,
    find_products,
    tree,
)
from verso.domains.shop.services._collections import KINDS, MATCHES, MAX_RULES, window_status
from verso.domains.shop.views._products import STAFF
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

READ, CATALOG = "shop.products.read", "shop.catalog.write"
BASE = "/admin/shop/collections"
COLUMNS = [
    Column("name", "Collection", sortable=True),
    Column("kind", "Type"),
    Column("contents", "Products"),
    Column("window", "Dates"),
    Column("home", "Home page"),
    Column("updated_at", "Updated", sortable=True),
]
KIND_FILTER = Filter("kind", "Type", [("", "Any type"), ("manual", "Manual"), ("smart", "Smart")])


def _settings() -> tuple[str, str]:
    business = business_cache.current()
    return business.currency, business.timezone


@get(BASE, permission=READ, nav=NavEntry("Shop", "Collections", 40, "dashboard"), **STAFF)
async def collections_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = TableQuery.from_params(
        request.query_params, sortable=["name", "updated_at"], default_sort="name", filters=[KIND_FILTER]
    )
    page = await paginate(
        db_session,
        select(Collection),
        query,
        base_url=BASE,
        filters=[KIND_FILTER],
        sort_columns={"name": Collection.name, "updated_at": Collection.updated_at},
        search_columns=[Collection.name, Collection.slug],
        filter_columns={"kind": Collection.kind},
    )
    ids = [c.id for c in page.items]
    counts = dict(
        (
            await db_session.execute(
                select(CollectionProduct.collection_id, func.count())
                .where(CollectionProduct.collection_id.in_(ids))
                .group_by(CollectionProduct.collection_id)
            )
        ).all()
    )
    now = clock.utcnow()
    return render(
        request,
        "shop/collections/index.html",
        {
            "page": page,
            "columns": COLUMNS,
            "counts": counts,
            "windows": {c.id: window_status(c, now) for c in page.items},
        },
        block="table",
    )


async def _collection(db_session: DbSession, collection_id: UUID) -> Collection:
    collection = await db_session.get(Collection, collection_id)
    if collection is None:
        raise NotFoundException("No such collection.")
    return collection


async def _edit_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    collection: Collection | None,
    form: FormState,
    rows: list[RuleRow],
    *,
    status: int = 200,
    preview: bool = False,
    block: str = "content",
) -> Any:
    currency, _zone = _settings()
    nodes = tree(await CategoryService(session=db_session).everything())
    service = CollectionService(session=db_session)
    context: dict[str, Any] = {
        "collection": collection,
        "form": form,
        "rows": rows,
        "max_rules": MAX_RULES,
        "kinds": list(KINDS.items()),
        "matches": list(MATCHES.items()),
        "sorts": list(COLLECTION_SORTS.items()),
        "conditions": CONDITIONS,
        "categories": [(str(n.category.id), n.indented_name) for n in nodes],
        "currency": currency,
        **(await _preview(service, str(form.values.get("match") or "all"), rows) if preview else {}),
    }
    if collection is not None and collection.kind == "manual":
        members = await service.members(collection)
        q = request.query_params.get("q", "").strip()[:100]
        context.update(
            members=members,
            q=q,
            candidates=await find_products(db_session, q, exclude=[p.id for p in members]),
        )
    return render(request, "shop/collections/edit.html", context, status_code=status, block=block)


async def _preview(service: CollectionService, match: str, rows: list[RuleRow]) -> dict[str, Any]:
    """The preview's context: the match count, or why there is none yet."""
    scratch = FormState()
    rules = rules_from_rows(rows, scratch, _settings()[0])
    if not scratch.valid:
        return {
            "preview": None,
            "preview_problem": "Complete every condition to see how many products match.",
        }
    if not rules:
        return {"preview": None, "preview_problem": "Add a condition to see how many products match."}
    return {"preview": await service.preview(match, rules), "preview_problem": ""}


@get(f"{BASE}/new", permission=CATALOG, **STAFF)
async def collection_new(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    form = form_from({"kind": "manual", "match": "all", "sort": "manual", "position": 0})
    return await _edit_page(request, db_session, None, form, [RuleRow()])


@get(f"{BASE}/{{collection_id:uuid}}", permission=CATALOG, **STAFF)
async def collection_detail(
    request: Request[Any, Any, Any], db_session: DbSession, collection_id: FromPath[UUID]
) -> Any:
    """The form; with ``?q=`` a manual collection also lists products to add (htmx: only them)."""
    collection = await _collection(db_session, collection_id)
    currency, zone = _settings()
    values: dict[str, Any] = {
        key: getattr(collection, key)
        for key in ("name", "slug", "description", "kind", "match", "sort", "show_on_homepage", "position")
    }
    values.update(
        seo_title=collection.seo_title,
        seo_description=collection.seo_description,
        starts_at=local_value(collection.starts_at, zone),
        ends_at=local_value(collection.ends_at, zone),
    )
    rows = rows_from_rules(collection.rules, currency) or [RuleRow()]
    return await _edit_page(
        request,
        db_session,
        collection,
        form_from(values),
        rows,
        preview=collection.kind == "smart",
        block="candidates",
    )


def _edited_rows(action: str, rows: list[RuleRow]) -> list[RuleRow] | None:
    """The rule lines after an "add a condition" or "remove" button, or ``None`` for other buttons."""
    if action == "add_rule":
        return [*rows, RuleRow()] if len(rows) < MAX_RULES else rows
    if action.startswith("remove_rule-") and action[12:].isdigit():
        index = int(action[12:])
        return [row for i, row in enumerate(rows) if i != index] or [RuleRow()]
    return None


async def _save(request: Request[Any, Any, Any], db_session: DbSession, collection_id: UUID | None) -> Any:
    collection = await _collection(db_session, collection_id) if collection_id else None
    submitted = await request.form()
    action = str(submitted.get("action") or "save")
    data, form = parse_form(submitted, CollectionForm)
    rows = rule_rows(submitted)
    edited = _edited_rows(action, rows)
    if edited is not None or action == "preview":  # editing the form, not saving it yet
        return await _edit_page(
            request, db_session, collection, FormState(values=form.values), edited or rows, preview=True
        )
    currency, zone = _settings()
    change = collection_input(data, rows, form, currency, zone) if data else None
    if change is not None:
        try:
            saved = await CollectionService(session=db_session).save_collection(
                collection, change, actor=actor(request)
            )
            await db_session.commit()
            return redirect(request, f"{BASE}/{saved.id}", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    collection = await _collection(db_session, collection_id) if collection_id else None
    # Rule errors are numbered among the lines that have a condition: show exactly those lines.
    kept = [row for row in rows if row.condition] or rows[:1]
    return await _edit_page(
        request, db_session, collection, form, kept, status=HTTP_422_UNPROCESSABLE_ENTITY, preview=True
    )


@post(BASE, permission=CATALOG, **STAFF)
async def collection_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save(request, db_session, None)


@post(f"{BASE}/{{collection_id:uuid}}", permission=CATALOG, **STAFF)
async def collection_update(
    request: Request[Any, Any, Any], db_session: DbSession, collection_id: FromPath[UUID]
) -> Any:
    return await _save(request, db_session, collection_id)


@post(f"{BASE}/preview", permission=CATALOG, **STAFF)
async def collection_preview(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The live "N products match" line for the rules as they stand in the form (htmx)."""
    submitted = await request.form()
    match = "any" if submitted.get("match") == "any" else "all"
    context = await _preview(CollectionService(session=db_session), match, rule_rows(submitted))
    return render(request, "shop/collections/_preview.html", context, block="preview")


@post(f"{BASE}/{{collection_id:uuid}}/delete", permission=CATALOG, **STAFF)
async def collection_delete(
    request: Request[Any, Any, Any], db_session: DbSession, collection_id: FromPath[UUID]
) -> Any:
    collection = await _collection(db_session, collection_id)
    await CollectionService(session=db_session).delete_collection(collection, actor=actor(request))
    await db_session.commit()
    return redirect(request, BASE, message=f"“{collection.name}” deleted.")


# ---- a manual collection's products ------------------------------------------------------------
def _back(collection_id: UUID, q: str = "") -> str:
    return f"{BASE}/{collection_id}" + (f"?{urlencode({'q': q[:100]})}" if q else "") + "#products"


@post(f"{BASE}/{{collection_id:uuid}}/products", permission=CATALOG, **STAFF)
async def collection_product_add(
    request: Request[Any, Any, Any], db_session: DbSession, collection_id: FromPath[UUID]
) -> Any:
    collection = await _collection(db_session, collection_id)
    submitted = await request.form()
    q = str(submitted.get("q") or "")
    form = FormState()
    product_id = form_uuid(form, "product_id", str(submitted.get("product_id") or ""))
    try:
        if product_id is None:
            raise ProductError({"product_id": "Choose a product from the list."})
        product = await CollectionService(session=db_session).add_product(
            collection, product_id, actor=actor(request)
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(
            request, _back(collection_id, q), message=" ".join(exc.errors.values()), level="error"
        )
    await db_session.commit()
    return redirect(request, _back(collection_id, q), message=f"“{product.name}” added.")


@post(f"{BASE}/{{collection_id:uuid}}/products/{{product_id:uuid}}/move", permission=CATALOG, **STAFF)
async def collection_product_move(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    collection_id: FromPath[UUID],
    product_id: FromPath[UUID],
) -> Any:
    collection = await _collection(db_session, collection_id)
    offset = -1 if (await request.form()).get("direction") == "up" else 1
    try:
        await CollectionService(session=db_session).move_product(
            collection, product_id, offset, actor=actor(request)
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(collection_id), message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, _back(collection_id), message="Order saved.")


@post(f"{BASE}/{{collection_id:uuid}}/products/{{product_id:uuid}}/remove", permission=CATALOG, **STAFF)
async def collection_product_remove(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    collection_id: FromPath[UUID],
    product_id: FromPath[UUID],
) -> Any:
    collection = await _collection(db_session, collection_id)
    try:
        await CollectionService(session=db_session).remove_product(
            collection, product_id, actor=actor(request)
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(collection_id), message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, _back(collection_id), message="Product removed from the collection.")


routes = [
    collections_index,
    collection_new,
    collection_preview,
    collection_detail,
    collection_create,
    collection_update,
    collection_delete,
    collection_product_add,
    collection_product_move,
    collection_product_remove,
]
