"""The customer's address book at /account/addresses: list, add, edit, delete, choose the default.

Plain forms (POST, then 303) that htmx enhances: the form re-renders in place with 422 and inline
errors; deleting or choosing the default swaps the list. Someone else's address answers 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from verso.domains.identity.deps import require_user
from verso.domains.identity.permissions import AUTHENTICATED
from verso.domains.ops.services import business_cache
from verso.domains.orders.models import SavedAddress
from verso.domains.orders.services._addresses import (
    AddressError,
    AddressNotFound,
    address_values,
    delete_address,
    save_address,
    saved_address,
    saved_addresses,
    set_default_address,
    validate_address,
)
from verso.lib.countries import country_names, country_options
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, form_from
from verso.lib.htmx import is_htmx, redirect, render, toast_header

BASE = "/account/addresses"
T = "orders/addresses/"
ACCOUNT = {"setup_gate": True}


def _form_page(
    request: Request[Any, Any, Any], form: FormState, address: SavedAddress | None, status: int = 200
) -> Any:
    context = {
        "form": form,
        "address": address,
        "action": f"{BASE}/{address.id}" if address else BASE,
        "countries": country_options(business_cache.current().locale),
    }
    return render(request, T + "edit.html", context, block="address_form", status_code=status)


async def _list(request: Request[Any, Any, Any], db_session: DbSession, message: str | None = None) -> Any:
    """The address list: the whole page, or for htmx the list alone (with a toast for ``message``)."""
    addresses = await saved_addresses(db_session, require_user(request).id)
    context = {"addresses": addresses, "countries": country_names(business_cache.current().locale)}
    headers = toast_header(message) if message else None
    return render(request, T + "index.html", context, block="addresses", headers=headers)


@get(BASE, permission=AUTHENTICATED, **ACCOUNT)
async def addresses_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _list(request, db_session)


@get(f"{BASE}/new", permission=AUTHENTICATED, **ACCOUNT)
async def address_new(request: Request[Any, Any, Any]) -> Any:
    return _form_page(request, FormState(), None)


@get(f"{BASE}/{{address_id:uuid}}", permission=AUTHENTICATED, **ACCOUNT)
async def address_edit(
    request: Request[Any, Any, Any], db_session: DbSession, address_id: FromPath[UUID]
) -> Any:
    address = await saved_address(db_session, require_user(request).id, address_id)
    if address is None:
        raise NotFoundException("No such address.")
    return _form_page(request, form_from(address_values(address)), address)


async def _save(request: Request[Any, Any, Any], db_session: DbSession, address_id: UUID | None) -> Any:
    customer_id = require_user(request).id
    existing = None
    if address_id is not None:
        existing = await saved_address(db_session, customer_id, address_id)
        if existing is None:
            raise NotFoundException("No such address.")
    submitted = await request.form()
    values, form = validate_address(submitted)
    make_default = str(submitted.get("make_default") or "") in ("on", "true", "1")
    form.values["make_default"] = make_default
    if values is None:
        return _form_page(request, form, existing, HTTP_422_UNPROCESSABLE_ENTITY)
    try:
        await save_address(db_session, customer_id, values, address_id=address_id, make_default=make_default)
    except AddressNotFound as exc:
        raise NotFoundException("No such address.") from exc
    except AddressError as exc:
        await db_session.rollback()
        form.add_error(NON_FIELD, str(exc))
        return _form_page(request, form, existing, HTTP_422_UNPROCESSABLE_ENTITY)
    await db_session.commit()
    return redirect(request, BASE, message="Address saved.")


@post(BASE, permission=AUTHENTICATED, **ACCOUNT)
async def address_create(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _save(request, db_session, None)


@post(f"{BASE}/{{address_id:uuid}}", permission=AUTHENTICATED, **ACCOUNT)
async def address_update(
    request: Request[Any, Any, Any], db_session: DbSession, address_id: FromPath[UUID]
) -> Any:
    return await _save(request, db_session, address_id)


async def _changed(request: Request[Any, Any, Any], db_session: DbSession, message: str) -> Any:
    await db_session.commit()
    if not is_htmx(request):
        return redirect(request, BASE, message=message)
    return await _list(request, db_session, message)


@post(f"{BASE}/{{address_id:uuid}}/delete", permission=AUTHENTICATED, **ACCOUNT)
async def address_delete(
    request: Request[Any, Any, Any], db_session: DbSession, address_id: FromPath[UUID]
) -> Any:
    if not await delete_address(db_session, require_user(request).id, address_id):
        raise NotFoundException("No such address.")
    return await _changed(request, db_session, "Address deleted.")


@post(f"{BASE}/{{address_id:uuid}}/default", permission=AUTHENTICATED, **ACCOUNT)
async def address_default(
    request: Request[Any, Any, Any], db_session: DbSession, address_id: FromPath[UUID]
) -> Any:
    if not await set_default_address(db_session, require_user(request).id, address_id):
        raise NotFoundException("No such address.")
    return await _changed(request, db_session, "Default address changed.")


routes = [
    addresses_page,
    address_new,
    address_edit,
    address_create,
    address_update,
    address_delete,
    address_default,
]
