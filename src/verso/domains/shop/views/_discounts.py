"""Staff pages for discounts: the table (search, status and type filters, sort), the form with every
rule (products are found by search and ticked inside the form, so a new discount can name them too;
htmx only refreshes the list as staff type), switching on and off, deletion, and the record of uses."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta
from sqlalchemy import select

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import add_errors, basis_points, bundle_value_text, local_time, local_value
from verso.domains.shop.models import Collection, Discount, DiscountUsage, Product
from verso.domains.shop.services import ProductError, find_products
from verso.domains.shop.services._discounts import (
    STATUSES,
    DiscountInput,
    DiscountService,
    discount_status,
    status_clause,
)
from verso.domains.shop.views._products import STAFF
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.money import MoneyError, format_money, parse_money, to_decimal_text
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

READ, WRITE = "shop.products.read", "shop.promotions.write"
BASE = "/admin/shop/discounts"
KINDS = [
    ("percentage", "Percentage off"),
    ("fixed_amount", "Fixed amount off"),
    ("free_shipping", "Free shipping"),
    ("buy_x_get_y", "Buy X, get Y"),
]
APPLIES = [("all", "Everything"), ("products", "Chosen products"), ("collections", "Chosen collections")]
ELIGIBLE = [("all", "Everyone"), ("new", "New customers (first order)"), ("returning", "Returning customers")]
COLUMNS = [
    Column("name", "Discount", sortable=True),
    Column("value", "Offer"),
    Column("status", "Status"),
    Column("uses", "Uses", sortable=True, numeric=True),
    Column("ends_at", "Ends", sortable=True),
    Column("updated_at", "Updated", sortable=True),
]
USAGE_COLUMNS = [
    Column("order", "Order"),
    Column("email", "Customer"),
    Column("amount", "Amount", numeric=True),
    Column("created_at", "Date", sortable=True),
]
STATUS_FILTER = Filter("status", "Status", [("", "Any status"), *((s, s.capitalize()) for s in STATUSES)])
KIND_FILTER = Filter("kind", "Type", [("", "Any type"), *KINDS])

Money = Annotated[str, Meta(max_length=20)]
Percent = Annotated[str, Meta(max_length=12)]
Count = Annotated[int, Meta(ge=1, le=10_000_000)]
Quantity = Annotated[int, Meta(ge=1, le=1000)]
When = Annotated[str, Meta(max_length=30)]


class DiscountForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    kind: str = "percentage"
    code: Annotated[str, Meta(max_length=50)] = ""
    percent: Percent = ""
    amount: Money = ""
    get_percent: Percent = ""
    buy_quantity: Quantity = 1
    get_quantity: Quantity = 1
    minimum_order: Money = ""
    maximum_discount: Money = ""
    maximum_uses: Count | None = None
    per_customer_limit: Count | None = None
    starts_at: When = ""
    ends_at: When = ""
    applies_to: str = "all"
    product_ids: list[str] = []
    collection_ids: list[str] = []
    eligibility: str = "all"
    combinable: bool = False
    is_active: bool = False


def _money(form: FormState, name: str, text: str, currency: str) -> int | None:
    if not text.strip():
        return None
    try:
        return parse_money(text, currency)
    except MoneyError as exc:
        form.add_error(name, str(exc))
        return None


def _uuids(texts: list[str]) -> list[UUID]:
    """Ticked ids; anything that is not an id is dropped (the service names what no longer exists)."""
    ids = []
    for text in texts[:500]:
        try:
            ids.append(UUID(str(text)))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


def _discount_input(data: DiscountForm, form: FormState, currency: str, zone: str) -> DiscountInput | None:
    """The form as a :class:`DiscountInput`, or ``None`` with the typing problems added to ``form``."""
    value: int | None = 0
    if data.kind == "percentage":
        value = basis_points(form, "percent", data.percent)
    elif data.kind == "fixed_amount":
        value = _money(form, "amount", data.amount, currency)
        if value is None and "amount" not in form.errors:
            form.add_error("amount", "Enter an amount such as 5.00.")
    elif data.kind == "buy_x_get_y":
        value = basis_points(form, "get_percent", data.get_percent or "100")
    minimum = _money(form, "minimum_order", data.minimum_order, currency)
    maximum = _money(form, "maximum_discount", data.maximum_discount, currency)
    starts_at = local_time(form, "starts_at", data.starts_at, zone)
    ends_at = local_time(form, "ends_at", data.ends_at, zone)
    if not form.valid or value is None:
        return None
    return DiscountInput(
        name=data.name,
        kind=data.kind,
        value=value,
        code=data.code,
        buy_quantity=data.buy_quantity,
        get_quantity=data.get_quantity,
        minimum_order=minimum or 0,
        maximum_discount=maximum,
        maximum_uses=data.maximum_uses,
        per_customer_limit=data.per_customer_limit,
        starts_at=starts_at,
        ends_at=ends_at,
        applies_to=data.applies_to,
        product_ids=_uuids(data.product_ids),
        collection_ids=_uuids(data.collection_ids),
        eligibility=data.eligibility,
        combinable=data.combinable,
        is_active=data.is_active,
    )


def offer_text(discount: Discount, currency: str, locale: str) -> str:
    """What the discount gives, in a few words ("15% off", "Buy 2, get 1 free")."""
    percent = bundle_value_text("percentage", discount.value, currency)
    if discount.kind == "percentage":
        return f"{percent}% off"
    if discount.kind == "fixed_amount":
        return f"{format_money(discount.value, currency, locale)} off"
    if discount.kind == "buy_x_get_y":
        reduced = "free" if discount.value >= 10_000 else f"at {percent}% off"
        return f"Buy {discount.buy_quantity}, get {discount.get_quantity} {reduced}"
    return "Free shipping"


@get(BASE, permission=READ, nav=NavEntry("Shop", "Discounts", 70, "tag"), **STAFF)
async def discounts_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    filters = [STATUS_FILTER, KIND_FILTER]
    query = TableQuery.from_params(
        request.query_params,
        sortable=["name", "uses", "ends_at", "updated_at"],
        default_sort="updated_at",
        default_direction="desc",
        filters=filters,
    )
    now = clock.utcnow()
    page = await paginate(
        db_session,
        select(Discount),
        query,
        base_url=BASE,
        filters=filters,
        sort_columns={
            "name": Discount.name,
            "uses": Discount.uses,
            "ends_at": Discount.ends_at,
            "updated_at": Discount.updated_at,
        },
        search_columns=[Discount.name, Discount.code],
        filter_columns={"status": lambda value: status_clause(value, now), "kind": Discount.kind},
    )
    business = business_cache.current()
    return render(
        request,
        "shop/discounts/index.html",
        {
            "page": page,
            "columns": COLUMNS,
            "statuses": {d.id: discount_status(d, now) for d in page.items},
            "offers": {d.id: offer_text(d, business.currency, business.locale) for d in page.items},
        },
        block="table",
    )


async def _discount(db_session: DbSession, discount_id: UUID) -> Discount:
    discount = await db_session.get(Discount, discount_id)
    if discount is None:
        raise NotFoundException("No such discount.")
    return discount


async def _products_context(db_session: DbSession, ticked: list[str], q: str) -> dict[str, Any]:
    """The product picker: the ticked products, and the others that match the search text."""
    ids = _uuids(ticked)
    rows = (await db_session.scalars(select(Product).where(Product.id.in_(ids)))).all() if ids else []
    by_id = {p.id: p for p in rows}
    q = q.strip()[:100]
    return {
        "chosen": [by_id[i] for i in ids if i in by_id],
        "candidates": await find_products(db_session, q, exclude=ids),
        "product_q": q,
    }


async def _edit_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    discount: Discount | None,
    form: FormState,
    *,
    q: str = "",
    status: int = 200,
    block: str = "content",
) -> Any:
    context: dict[str, Any] = {
        "discount": discount,
        "form": form,
        "kinds": KINDS,
        "applies": APPLIES,
        "eligible": ELIGIBLE,
        "collections": (await db_session.scalars(select(Collection).order_by(Collection.name))).all(),
        "currency": business_cache.current().currency,
        **await _products_context(db_session, list(form.values.get("product_ids") or []), q),
    }
    if discount is not None:
        query = TableQuery.from_params(
            request.query_params, sortable=["created_at"], default_sort="created_at", default_direction="desc"
        )
        context["usages"] = await paginate(
            db_session,
            select(DiscountUsage).where(DiscountUsage.discount_id == discount.id),
            query,
            base_url=f"{BASE}/{discount.id}",
            sort_columns={"created_at": DiscountUsage.created_at},
            search_columns=[DiscountUsage.email],
        )
        context["usage_columns"] = USAGE_COLUMNS
        context["status"] = discount_status(discount, clock.utcnow())
    return render(request, "shop/discounts/edit.html", context, status_code=status, block=block)


@get(f"{BASE}/new", permission=WRITE, **STAFF)
async def discount_new(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    values = {
        "kind": "percentage",
        "applies_to": "all",
        "eligibility": "all",
        "is_active": True,
        "get_percent": "100",
    }
    return await _edit_page(request, db_session, None, form_from(values))


@get(f"{BASE}/{{discount_id:uuid}}", permission=READ, **STAFF)
async def discount_detail(
    request: Request[Any, Any, Any], db_session: DbSession, discount_id: FromPath[UUID]
) -> Any:
    """The form and the uses so far (htmx: only the uses table, for its search and pages)."""
    discount = await _discount(db_session, discount_id)
    business = business_cache.current()
    currency, zone = business.currency, business.timezone
    values: dict[str, Any] = {
        key: getattr(discount, key)
        for key in (
            "name", "kind", "buy_quantity", "get_quantity", "maximum_uses", "per_customer_limit",
            "applies_to", "product_ids", "collection_ids", "eligibility", "combinable", "is_active",
        )
    }  # fmt: skip
    percent = bundle_value_text("percentage", discount.value, currency)
    values.update(
        code=discount.code or "",
        percent=percent if discount.kind == "percentage" else "",
        get_percent=percent if discount.kind == "buy_x_get_y" else "100",
        amount=to_decimal_text(discount.value, currency) if discount.kind == "fixed_amount" else "",
        minimum_order=to_decimal_text(discount.minimum_order, currency) if discount.minimum_order else "",
        maximum_discount=to_decimal_text(discount.maximum_discount, currency),
        starts_at=local_value(discount.starts_at, zone),
        ends_at=local_value(discount.ends_at, zone),
    )
    return await _edit_page(request, db_session, discount, form_from(values), block="usages")


async def _save(request: Request[Any, Any, Any], db_session: DbSession, discount_id: UUID | None) -> Any:
    discount = await _discount(db_session, discount_id) if discount_id else None
    submitted = await request.form()
    data, form = parse_form(submitted, DiscountForm)
    q = str(submitted.get("product_q") or "")
    if submitted.get("action") == "find_products":  # the picker's button without JavaScript
        return await _edit_page(request, db_session, discount, FormState(values=form.values), q=q)
    business = business_cache.current()
    change = _discount_input(data, form, business.currency, business.timezone) if data else None
    if change is not None:
        try:
            saved = await DiscountService(session=db_session).save_discount(
                discount, change, actor=actor(request)
            )
            await db_session.commit()
            return redirect(request, f"{BASE}/{saved.id}", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    discount = await _discount(db_session, discount_id) if discount_id else None
    return await _edit_page(request, db_session, discount, form, q=q, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(BASE, permission=WRITE, **STAFF)
async def discount_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save(request, db_session, None)


@post(f"{BASE}/{{discount_id:uuid}}", permission=WRITE, **STAFF)
async def discount_update(
    request: Request[Any, Any, Any], db_session: DbSession, discount_id: FromPath[UUID]
) -> Any:
    return await _save(request, db_session, discount_id)


@post(f"{BASE}/products", permission=WRITE, **STAFF)
async def discount_products(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The product picker for the form as it stands (htmx, as staff type in its search box)."""
    submitted = await request.form()
    ticked = [str(v) for v in submitted.getall("product_ids", [])]
    context = await _products_context(db_session, ticked, str(submitted.get("product_q") or ""))
    return render(
        request, "shop/discounts/_products.html", {**context, "form": FormState()}, block="products"
    )


@post(f"{BASE}/{{discount_id:uuid}}/active", permission=WRITE, **STAFF)
async def discount_active(
    request: Request[Any, Any, Any], db_session: DbSession, discount_id: FromPath[UUID]
) -> Any:
    discount = await _discount(db_session, discount_id)
    active = (await request.form()).get("active") == "on"
    await DiscountService(session=db_session).set_active(discount, active, actor=actor(request))
    await db_session.commit()
    verb = "switched on" if active else "switched off"
    return redirect(request, f"{BASE}/{discount.id}", message=f"“{discount.name}” {verb}.")


@post(f"{BASE}/{{discount_id:uuid}}/delete", permission=WRITE, **STAFF)
async def discount_delete(
    request: Request[Any, Any, Any], db_session: DbSession, discount_id: FromPath[UUID]
) -> Any:
    discount = await _discount(db_session, discount_id)
    try:
        await DiscountService(session=db_session).delete_discount(discount, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(
            request, f"{BASE}/{discount_id}", message=" ".join(exc.errors.values()), level="error"
        )
    await db_session.commit()
    return redirect(request, BASE, message=f"“{discount.name}” deleted.")


routes = [
    discounts_index,
    discount_new,
    discount_products,
    discount_detail,
    discount_create,
    discount_update,
    discount_active,
    discount_delete,
]
