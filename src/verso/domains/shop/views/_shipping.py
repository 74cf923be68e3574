"""Staff pages for shipping: the zones (places served alike), each zone's rates with their price
bands (a plain form whose buttons add and remove band rows), and "Try an address", which shows the
zone and the quotes a customer at a given address would get (htmx swaps the result in place)."""

from __future__ import annotations

from dataclasses import dataclass
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
from verso.domains.shop import pricing
from verso.domains.shop.forms import _money, add_errors
from verso.domains.shop.models import ShippingRate, ShippingZone
from verso.domains.shop.services import ProductError
from verso.domains.shop.services._shipping import (
    RATE_KIND_LABELS,
    RateInput,
    ShippingService,
    ZoneInput,
    countries,
    parse_places,
    places_text,
    try_address,
)
from verso.domains.shop.views._products import STAFF
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.money import to_decimal_text
from verso.lib.tables import Column, TableQuery, paginate
from verso.server.navigation import NavEntry

READ, WRITE = "shop.products.read", "shop.settings.write"
BASE = "/admin/shop/shipping"
MAX_BANDS = 20
COLUMNS = [
    Column("position", "Order", sortable=True, numeric=True),
    Column("name", "Zone", sortable=True),
    Column("where", "Where"),
    Column("rates", "Rates", numeric=True),
]
Money = Annotated[str, Meta(max_length=20)]
Days = Annotated[int, Meta(ge=0, le=365)] | None


class ZoneForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    countries: Annotated[str, Meta(max_length=5000)] = ""
    states: Annotated[str, Meta(max_length=5000)] = ""
    postcodes: Annotated[str, Meta(max_length=20_000)] = ""
    rest_of_world: bool = False
    position: Annotated[int, Meta(ge=0, le=100_000)] = 0


class RateForm(msgspec.Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    kind: str = "flat"
    price: Money = ""
    price_per_kg: Money = ""
    minimum_charge: Money = ""
    maximum_charge: Money = ""
    free_over: Money = ""
    days_min: Days = None
    days_max: Days = None
    is_active: bool = False


class TrialForm(msgspec.Struct):
    country: Annotated[str, Meta(max_length=2)] = ""
    state: Annotated[str, Meta(max_length=60)] = ""
    postcode: Annotated[str, Meta(max_length=20)] = ""
    value: Money = ""
    weight: Annotated[int, Meta(ge=0, le=10_000_000)] = 0


@dataclass
class BandRow:
    """One band line as typed: from, up to (grams or amounts) and the price."""

    minimum: str = ""
    maximum: str = ""
    price: str = ""


def _currency() -> str:
    return business_cache.current().currency


def band_rows(submitted: Any) -> list[BandRow]:
    """The band lines from a submitted form (parallel ``band_*`` fields, one of each per line)."""
    columns = [
        [str(v)[:20] for v in submitted.getall(name, [])][: MAX_BANDS + 5]
        for name in ("band_minimum", "band_maximum", "band_price")
    ]
    count = max(len(column) for column in columns)
    padded = [column + [""] * (count - len(column)) for column in columns]
    return [BandRow(*values) for values in zip(*padded, strict=True)]


def _edited_rows(action: str, rows: list[BandRow]) -> list[BandRow] | None:
    """The band lines after an "add a band" or "remove" button, or ``None`` for other buttons."""
    if action == "add_band":
        return [*rows, BandRow()] if len(rows) < MAX_BANDS else rows
    if action.startswith("remove_band-") and action[12:].isdigit():
        index = int(action[12:])
        return [row for i, row in enumerate(rows) if i != index] or [BandRow()]
    return None


def _measure(form: FormState, name: str, text: str, kind: str, currency: str) -> int | None:
    """A band bound: grams for a weight rate, an amount for an order-value rate (empty: none)."""
    if not text.strip():
        return None
    if kind == "price":
        return _money(form, name, text, currency, optional=True)
    if text.strip().isascii() and text.strip().isdigit() and len(text.strip()) <= 9:
        return int(text.strip())
    form.add_error(name, "Enter grams as a whole number, such as 500.")
    return None


def _bands(rows: list[BandRow], kind: str, form: FormState, currency: str) -> list[dict[str, int | None]]:
    """The filled band lines as stored (errors keyed ``band-<index>`` among those lines)."""
    bands = []
    for index, row in enumerate(rows):
        key = f"band-{index}"
        minimum = _measure(form, key, row.minimum, kind, currency) or 0
        maximum = _measure(form, key, row.maximum, kind, currency)
        price = _money(form, key, row.price or "0", currency, optional=False) or 0
        bands.append({"minimum": minimum, "maximum": maximum, "price": price})
    return bands


def _rate_input(data: RateForm, rows: list[BandRow], form: FormState, currency: str) -> RateInput | None:
    def amount(name: str, *, optional: bool = False) -> int | None:
        return _money(
            form, name, getattr(data, name) or ("" if optional else "0"), currency, optional=optional
        )

    price, per_kg, minimum = amount("price"), amount("price_per_kg"), amount("minimum_charge")
    maximum, free_over = amount("maximum_charge", optional=True), amount("free_over", optional=True)
    bands = _bands(rows, data.kind, form, currency) if data.kind in ("weight", "price") else []
    if not form.valid:
        return None
    return RateInput(
        name=data.name,
        kind=data.kind,
        price=price or 0,
        price_per_kg=per_kg or 0,
        bands=bands,
        minimum_charge=minimum or 0,
        maximum_charge=maximum,
        free_over=free_over,
        days_min=data.days_min,
        days_max=data.days_max,
        is_active=data.is_active,
    )


# ---- zones -------------------------------------------------------------------------------------
async def _index(
    request: Request[Any, Any, Any], db_session: DbSession, trial: dict[str, Any], block: str
) -> Any:
    query = TableQuery.from_params(
        request.query_params, sortable=["position", "name"], default_sort="position"
    )
    page = await paginate(
        db_session,
        select(ShippingZone),
        query,
        base_url=BASE,
        sort_columns={"position": ShippingZone.position, "name": ShippingZone.name},
        search_columns=[ShippingZone.name],
    )
    counts = await ShippingService(session=db_session).rate_counts([zone.id for zone in page.items])
    context = {"page": page, "columns": COLUMNS, "counts": counts, **trial}
    return render(request, "shop/shipping/index.html", context, block=block)


@get(BASE, permission=READ, nav=NavEntry("Shop", "Shipping", 82, "globe"), **STAFF)
async def shipping_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _index(request, db_session, {"trial_form": FormState(), "trial": None}, "table")


@get(f"{BASE}/try", permission=READ, **STAFF)
async def shipping_try(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The zone and quotes for a typed address (htmx: only the "Try an address" box)."""
    data, form = parse_form(request.query_params, TrialForm)
    country = (data.country if data else "").strip().upper()
    if data and country not in countries():
        form.add_error("country", "Enter a two-letter ISO country code, such as FR or US.")
    value = _money(form, "value", data.value if data else "", _currency(), optional=True)
    trial = None
    if data and form.valid:
        address = pricing.Address(country, data.state.strip(), data.postcode.strip())
        trial = await try_address(db_session, address, order_value=value or 0, weight=data.weight)
    return await _index(request, db_session, {"trial_form": form, "trial": trial}, "trial")


async def _zone(db_session: DbSession, zone_id: UUID) -> ShippingZone:
    zone = await ShippingService(session=db_session).zone(zone_id)
    if zone is None:
        raise NotFoundException("No such shipping zone.")
    return zone


def _zone_page(
    request: Request[Any, Any, Any], zone: ShippingZone | None, form: FormState, *, status: int = 200
) -> Any:
    context = {"zone": zone, "form": form, "kinds": RATE_KIND_LABELS, "currency": _currency()}
    return render(request, "shop/shipping/zone.html", context, status_code=status)


@get(f"{BASE}/new", permission=WRITE, **STAFF)
async def zone_new(request: Request[Any, Any, Any]) -> Any:
    return _zone_page(request, None, FormState())


@get(f"{BASE}/{{zone_id:uuid}}", permission=WRITE, **STAFF)
async def zone_detail(request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID]) -> Any:
    zone = await _zone(db_session, zone_id)
    values = {"name": zone.name, "rest_of_world": zone.rest_of_world, "position": zone.position}
    return _zone_page(request, zone, form_from({**values, **places_text(zone)}))


async def _save_zone(request: Request[Any, Any, Any], db_session: DbSession, zone_id: UUID | None) -> Any:
    zone = await _zone(db_session, zone_id) if zone_id else None
    submitted = await request.form()
    data, form = parse_form(submitted, ZoneForm)
    places, errors = parse_places(
        *(str(submitted.get(name) or "")[:20_000] for name in ("countries", "states", "postcodes"))
    )
    add_errors(form, errors)
    if data is not None and form.valid:
        change = ZoneInput(data.name, places, data.rest_of_world, data.position)
        try:
            saved = await ShippingService(session=db_session).save_zone(zone, change, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"{BASE}/{saved.id}", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    zone = await _zone(db_session, zone_id) if zone_id else None
    return _zone_page(request, zone, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(BASE, permission=WRITE, **STAFF)
async def zone_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save_zone(request, db_session, None)


@post(f"{BASE}/{{zone_id:uuid}}", permission=WRITE, **STAFF)
async def zone_update(request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID]) -> Any:
    return await _save_zone(request, db_session, zone_id)


@post(f"{BASE}/{{zone_id:uuid}}/delete", permission=WRITE, **STAFF)
async def zone_delete(request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID]) -> Any:
    zone = await _zone(db_session, zone_id)
    await ShippingService(session=db_session).delete_zone(zone, actor=actor(request))
    await db_session.commit()
    return redirect(request, BASE, message=f"“{zone.name}” and its rates deleted.")


# ---- a zone's rates ----------------------------------------------------------------------------
def _rate_of(zone: ShippingZone, rate_id: UUID) -> ShippingRate:
    rate = next((rate for rate in zone.rates if rate.id == rate_id), None)
    if rate is None:
        raise NotFoundException("No such shipping rate.")
    return rate


def _rate_page(
    request: Request[Any, Any, Any],
    zone: ShippingZone,
    rate: ShippingRate | None,
    form: FormState,
    rows: list[BandRow],
    *,
    status: int = 200,
) -> Any:
    context = {
        "zone": zone,
        "rate": rate,
        "form": form,
        "rows": rows or [BandRow()],
        "max_bands": MAX_BANDS,
        "kinds": list(RATE_KIND_LABELS.items()),
        "currency": _currency(),
    }
    return render(request, "shop/shipping/rate.html", context, status_code=status)


@get(f"{BASE}/{{zone_id:uuid}}/rates/new", permission=WRITE, **STAFF)
async def rate_new(request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID]) -> Any:
    zone = await _zone(db_session, zone_id)
    return _rate_page(request, zone, None, form_from({"kind": "flat", "is_active": True}), [])


@get(f"{BASE}/{{zone_id:uuid}}/rates/{{rate_id:uuid}}", permission=WRITE, **STAFF)
async def rate_detail(
    request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID], rate_id: FromPath[UUID]
) -> Any:
    zone = await _zone(db_session, zone_id)
    rate = _rate_of(zone, rate_id)
    currency = _currency()
    values: dict[str, Any] = {
        key: getattr(rate, key) for key in ("name", "kind", "days_min", "days_max", "is_active")
    }
    for key in ("price", "price_per_kg", "minimum_charge", "maximum_charge", "free_over"):
        values[key] = to_decimal_text(getattr(rate, key), currency)

    def bound(amount: int | None) -> str:
        if amount is None:
            return ""
        return to_decimal_text(amount, currency) if rate.kind == "price" else str(amount)

    rows = [
        BandRow(bound(band["minimum"]), bound(band["maximum"]), to_decimal_text(band["price"], currency))
        for band in rate.bands or []
    ]
    return _rate_page(request, zone, rate, form_from(values), rows)


async def _save_rate(
    request: Request[Any, Any, Any], db_session: DbSession, zone_id: UUID, rate_id: UUID | None
) -> Any:
    zone = await _zone(db_session, zone_id)
    rate = _rate_of(zone, rate_id) if rate_id else None
    submitted = await request.form()
    data, form = parse_form(submitted, RateForm)
    rows = band_rows(submitted)
    edited = _edited_rows(str(submitted.get("action") or "save"), rows)
    if edited is not None:  # editing the bands, not saving yet
        return _rate_page(request, zone, rate, FormState(values=form.values), edited)
    kept = [row for row in rows if row.minimum or row.maximum or row.price]
    change = _rate_input(data, kept, form, _currency()) if data else None
    if change is not None:
        try:
            saved = await ShippingService(session=db_session).save_rate(
                zone, rate, change, actor=actor(request)
            )
            await db_session.commit()
            return redirect(request, f"{BASE}/{zone_id}#rates", message=f"“{saved.name}” saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
        zone = await _zone(db_session, zone_id)
        rate = _rate_of(zone, rate_id) if rate_id else None
    # Band errors are numbered among the filled lines: show exactly those lines.
    return _rate_page(request, zone, rate, form, kept, status=HTTP_422_UNPROCESSABLE_ENTITY)


@post(f"{BASE}/{{zone_id:uuid}}/rates", permission=WRITE, **STAFF)
async def rate_create(request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID]) -> Any:
    return await _save_rate(request, db_session, zone_id, None)


@post(f"{BASE}/{{zone_id:uuid}}/rates/{{rate_id:uuid}}", permission=WRITE, **STAFF)
async def rate_update(
    request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID], rate_id: FromPath[UUID]
) -> Any:
    return await _save_rate(request, db_session, zone_id, rate_id)


@post(f"{BASE}/{{zone_id:uuid}}/rates/{{rate_id:uuid}}/delete", permission=WRITE, **STAFF)
async def rate_delete(
    request: Request[Any, Any, Any], db_session: DbSession, zone_id: FromPath[UUID], rate_id: FromPath[UUID]
) -> Any:
    zone = await _zone(db_session, zone_id)
    rate = _rate_of(zone, rate_id)
    await ShippingService(session=db_session).delete_rate(zone, rate, actor=actor(request))
    await db_session.commit()
    return redirect(request, f"{BASE}/{zone_id}#rates", message=f"“{rate.name}” deleted.")


routes = [
    shipping_index,
    shipping_try,
    zone_new,
    zone_detail,
    zone_create,
    zone_update,
    zone_delete,
    rate_new,
    rate_detail,
    rate_create,
    rate_update,
    rate_delete,
]
