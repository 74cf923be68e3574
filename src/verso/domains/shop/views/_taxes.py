"""Staff pages for tax rates: the table and the form. Rates are typed as percentages and stored in
basis points, so at most two decimals (8.88%, not 8.875%); places are checked as shipping zones'
are."""

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
from verso.domains.shop.forms import add_errors, basis_points, bundle_value_text
from verso.domains.shop.models import TaxRate
from verso.domains.shop.services import ProductError
from verso.domains.shop.services._shipping import parse_places, places_text
from verso.domains.shop.services._tax_rates import MAX_PRIORITY, TAX_KIND_LABELS, TaxRateInput, TaxRateService
from verso.domains.shop.views._products import STAFF
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

READ, WRITE = "shop.products.read", "shop.settings.write"
BASE = "/admin/shop/taxes"
COLUMNS = [
    Column("name", "Tax", sortable=True),
    Column("rate", "Rate", sortable=True, numeric=True),
    Column("where", "Where"),
    Column("priority", "Priority", sortable=True, numeric=True),
    Column("rules", "Applies"),
    Column("status", "Status"),
]
KIND_FILTER = Filter("kind", "Kind", [("", "Any kind"), *TAX_KIND_LABELS.items()])


class TaxRateForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    rate: Annotated[str, Meta(min_length=1, max_length=20, extra={"error": "Enter a percentage such as 20."})]
    kind: str = "vat"
    countries: Annotated[str, Meta(max_length=5000)] = ""
    states: Annotated[str, Meta(max_length=5000)] = ""
    postcodes: Annotated[str, Meta(max_length=20_000)] = ""
    priority: Annotated[int, Meta(ge=0, le=MAX_PRIORITY)] = 1
    compound: bool = False
    applies_to_shipping: bool = False
    is_active: bool = False


def _percent(points: int) -> str:
    """Basis points as typed: ``2000`` -> ``"20"``, ``887`` -> ``"8.87"`` (bundles show theirs alike)."""
    return bundle_value_text("percentage", points, "")


@get(BASE, permission=READ, nav=NavEntry("Shop", "Taxes", 84, "file"), **STAFF)
async def taxes_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = TableQuery.from_params(
        request.query_params,
        sortable=["name", "rate", "priority"],
        default_sort="priority",
        filters=[KIND_FILTER],
    )
    page = await paginate(
        db_session,
        select(TaxRate),
        query,
        base_url=BASE,
        filters=[KIND_FILTER],
        sort_columns={"name": TaxRate.name, "rate": TaxRate.rate, "priority": TaxRate.priority},
        search_columns=[TaxRate.name],
        filter_columns={"kind": TaxRate.kind},
    )
    percents = {rate.id: _percent(rate.rate) for rate in page.items}
    context = {"page": page, "columns": COLUMNS, "kinds": TAX_KIND_LABELS, "percents": percents}
    return render(request, "shop/taxes/index.html", context, block="table")


async def _tax_rate(db_session: DbSession, rate_id: UUID) -> TaxRate:
    rate = await db_session.get(TaxRate, rate_id)
    if rate is None:
        raise NotFoundException("No such tax rate.")
    return rate


def _edit_page(
    request: Request[Any, Any, Any], rate: TaxRate | None, form: FormState, *, status: int = 200
) -> Any:
    context = {"rate": rate, "form": form, "kinds": list(TAX_KIND_LABELS.items())}
    return render(request, "shop/taxes/edit.html", context, status_code=status)


@get(f"{BASE}/new", permission=WRITE, **STAFF)
async def tax_rate_new(request: Request[Any, Any, Any]) -> Any:
    values = {"kind": "vat", "priority": 1, "applies_to_shipping": True, "is_active": True}
    return _edit_page(request, None, form_from(values))


@get(f"{BASE}/{{rate_id:uuid}}", permission=WRITE, **STAFF)
async def tax_rate_detail(
    request: Request[Any, Any, Any], db_session: DbSession, rate_id: FromPath[UUID]
) -> Any:
    rate = await _tax_rate(db_session, rate_id)
    values: dict[str, Any] = {
        key: getattr(rate, key)
        for key in ("name", "kind", "priority", "compound", "applies_to_shipping", "is_active")
    }
    return _edit_page(request, rate, form_from({**values, "rate": _percent(rate.rate), **places_text(rate)}))


async def _save(request: Request[Any, Any, Any], db_session: DbSession, rate_id: UUID | None) -> Any:
    rate = await _tax_rate(db_session, rate_id) if rate_id else None
    submitted = await request.form()
    data, form = parse_form(submitted, TaxRateForm)
    places, errors = parse_places(
        *(str(submitted.get(name) or "")[:20_000] for name in ("countries", "states", "postcodes"))
    )
    add_errors(form, errors)
    typed = str(form.values.get("rate") or "")
    points = basis_points(form, "rate", typed) if typed.strip() and "rate" not in form.errors else None
    if data is not None and points is not None and form.valid:
        change = TaxRateInput(
            name=data.name,
            rate=points,
            kind=data.kind,
            places=places,
            priority=data.priority,
            compound=data.compound,
            applies_to_shipping=data.applies_to_shipping,
            is_active=data.is_active,
        )
        try:
            saved = await TaxRateService(session=db_session).save_rate(rate, change, actor=actor(request))
            await db_session.commit()
            return redirect(request, BASE, message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
            rate = await _tax_rate(db_session, rate_id) if rate_id else None
    return _edit_page(request, rate, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(BASE, permission=WRITE, **STAFF)
async def tax_rate_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save(request, db_session, None)


@post(f"{BASE}/{{rate_id:uuid}}", permission=WRITE, **STAFF)
async def tax_rate_update(
    request: Request[Any, Any, Any], db_session: DbSession, rate_id: FromPath[UUID]
) -> Any:
    return await _save(request, db_session, rate_id)


@post(f"{BASE}/{{rate_id:uuid}}/delete", permission=WRITE, **STAFF)
async def tax_rate_delete(
    request: Request[Any, Any, Any], db_session: DbSession, rate_id: FromPath[UUID]
) -> Any:
    rate = await _tax_rate(db_session, rate_id)
    await TaxRateService(session=db_session).delete_rate(rate, actor=actor(request))
    await db_session.commit()
    return redirect(request, BASE, message=f"“{rate.name}” deleted.")


routes = [tax_rate_new, taxes_index, tax_rate_detail, tax_rate_create, tax_rate_update, tax_rate_delete]
