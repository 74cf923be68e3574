"""The staff page for the shop's checkout settings: tax-inclusive prices, how long stock is held while
a customer pays, bank transfer details, and pickup at the shop (where, and how)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import add_errors
from verso.domains.shop.services import ProductError
from verso.domains.shop.services._shop_settings import (
    HOLD_MINUTES,
    CheckoutSettings,
    checkout_settings,
    pickup_form_values,
    pickup_location_of,
    save_checkout_settings,
    ways_to_pay,
)
from verso.domains.shop.views._products import STAFF
from verso.lib.countries import country_options
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.payments import group_iban
from verso.server.navigation import NavEntry

WRITE = "shop.settings.write"
BASE = "/admin/shop/settings"


class SettingsForm(msgspec.Struct):
    hold_minutes: Annotated[int, Meta(ge=0, le=1_000_000)]  # the range is the service's rule
    prices_include_tax: bool = False
    bank_account_holder: Annotated[str, Meta(max_length=120)] = ""
    bank_iban: Annotated[str, Meta(max_length=50)] = ""
    bank_bic: Annotated[str, Meta(max_length=20)] = ""
    bank_name: Annotated[str, Meta(max_length=120)] = ""
    pickup_enabled: bool = False
    pickup_instructions: Annotated[str, Meta(max_length=2000)] = ""
    # The pickup location's parts: their limits are the service's rule.
    pickup_name: str = ""
    pickup_line1: str = ""
    pickup_line2: str = ""
    pickup_city: str = ""
    pickup_state: str = ""
    pickup_postcode: str = ""
    pickup_country: str = ""


def _settings(data: SettingsForm) -> CheckoutSettings:
    values = msgspec.structs.asdict(data)
    fields = {name: values[name] for name in CheckoutSettings.__dataclass_fields__ if name in values}
    return CheckoutSettings(**fields, pickup_location=pickup_location_of(values))


async def _page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, *, status: int = 200
) -> Any:
    context = {
        "form": form,
        "hold_range": HOLD_MINUTES,
        "countries": country_options(business_cache.current().locale),
        "ways_to_pay": ways_to_pay(await checkout_settings(db_session)),
    }
    return render(request, "shop/settings/edit.html", context, status_code=status)


@get(BASE, permission=WRITE, nav=NavEntry("Shop", "Checkout settings", 86, "settings"), **STAFF)
async def settings_edit(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    current = await checkout_settings(db_session)
    values = {**asdict(current), "bank_iban": group_iban(current.bank_iban)}
    return await _page(request, db_session, form_from(values | pickup_form_values(current.pickup_location)))


@post(BASE, permission=WRITE, **STAFF)
async def settings_save(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), SettingsForm)
    if data is not None:
        try:
            await save_checkout_settings(db_session, _settings(data), actor=actor(request))
            await db_session.commit()
            return redirect(request, BASE, message="Checkout settings saved.")
        except ProductError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    return await _page(request, db_session, form, status=HTTP_422_UNPROCESSABLE_ENTITY)


routes = [settings_edit, settings_save]
