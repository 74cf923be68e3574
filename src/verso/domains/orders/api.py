"""The orders and cart JSON API: /api/v1/orders (list, read, change) and /api/v1/cart (the caller's
cart: read, add, change a quantity, empty).

Bearer keys as for the rest of /api/v1 (``verso.domains.api.guards``). Orders: scope ``read:orders``
to read, ``write:orders`` to change; a key whose owner holds ``orders.read`` sees every order, any
other key only its owner's own (anyone else's answers 404, like a missing one); a change also needs
``orders.write``. The cart is the key owner's own cart: ``read:orders`` to read it, ``write:orders``
to change it (no separate cart scope).

Refusals are problem+json: a value that is not a status (or a bad filter) 422, naming the valid
values; a change the order's current state refuses (a transition not allowed, nothing left to ship,
no shipment to re-track) 409 with the lifecycle's message; a refused cart change 422 with the cart's
message.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Request, delete, get, patch, post
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import JSONBody, Parameter, PathParameter
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.api.guards import api_actor, api_principal, require_scope
from verso.domains.api.schemas import BAD_REQUEST, FORBIDDEN, SECURITY, UNAUTHORIZED, problem_response
from verso.domains.api.services import ApiPrincipal
from verso.domains.identity.permissions import PUBLIC, grants
from verso.domains.ops.services import business_cache
from verso.domains.orders.models import STATUSES, Order
from verso.domains.orders.schemas import (
    CartAdd,
    CartChange,
    CartOut,
    OrderOut,
    OrderPage,
    OrderPatch,
    cart_out,
    order_out,
)
from verso.domains.orders.services._history import (
    OrderChange,
    OrderFilter,
    apply_change,
    check_change,
    find_orders,
    shipments_of,
)
from verso.domains.orders.services._lifecycle import OrderError, load_order
from verso.domains.shop.models import Cart
from verso.domains.shop.services import (
    CartError,
    CartNotice,
    CartOwner,
    add_to_cart,
    empty_cart,
    ensure_cart,
    find_cart,
    set_quantity,
    view_cart,
)
from verso.lib.db import DbSession

# include_in_schema=True: listed in /api/openapi.json (the domain's router leaves pages out)
API = {"permission": PUBLIC, "security": SECURITY, "tags": ["Orders"], "include_in_schema": True}
CART = {**API, "tags": ["Cart"]}
READ, WRITE = "read:orders", "write:orders"
SEE_ALL, CHANGE = "orders.read", "orders.write"
MAX_PAGE, MAX_PER_PAGE = 1_000_000, 100
OrderId = Annotated[UUID, PathParameter(description="The order's id.")]

NOT_FOUND = problem_response("No order has this id (or the key may not see it).")
BAD_BODY = problem_response(
    "The body is not JSON of the documented shape: a wrong type, size or unknown field."
)
BAD_VALUE = problem_response(
    "A value is not one of the allowed ones: `errors` names the field and lists the valid values "
    "(e.g. status must be one of: pending, paid, ...)."
)
CONFLICT = problem_response(
    "The order's current state refuses the change (e.g. an order that is pending cannot become "
    "delivered); the detail says why."
)
CART_REFUSED = problem_response(
    "The cart refused the change, with its message (out of stock, not for sale, choose an option "
    "first, not in your cart...)."
)


def _invalid(errors: list[tuple[str, str]]) -> ClientException:
    return ClientException(
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        detail=" ".join(message for _, message in errors),
        extra=[{"field": name, "message": message} for name, message in errors],
    )


def _instant(value: str | None, name: str, errors: list[tuple[str, str]]) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is read in the business time zone."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors.append((name, f"{name} must be an ISO 8601 date or date-time, e.g. 2026-03-01."))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(business_cache.current().timezone))
    return moment.astimezone(UTC)


def _visible_to(principal: ApiPrincipal) -> UUID | None:
    """Whose orders the key sees: None (everyone's) when its owner holds orders.read."""
    return None if grants(principal.permissions, SEE_ALL) else principal.user_id


async def _order_or_404(db_session: AsyncSession, principal: ApiPrincipal, order_id: UUID) -> Order:
    order = await load_order(db_session, order_id)
    owner = _visible_to(principal)
    if order is None or (owner is not None and order.customer_id != owner):
        raise NotFoundException("No such order.")
    return order


async def _out(db_session: AsyncSession, order: Order) -> OrderOut:
    return order_out(order, (await shipments_of(db_session, [order.id]))[order.id])


@get(
    "/api/v1/orders",
    guards=[require_scope(READ)],
    summary="List orders",
    description=(
        "Scope `read:orders`. Newest first, with their lines and shipments. A key whose owner holds "
        "`orders.read` sees every order, any other key its owner's own. `created_after` (inclusive) "
        "and `created_before` (exclusive) take an ISO 8601 date or date-time; without an offset they "
        "are read in the business time zone. A bad status or date, or `per_page` above 100, answers "
        "422 naming the field."
    ),
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 422: BAD_VALUE},
    **API,
)
async def list_orders(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    status: Annotated[
        str | None,
        Parameter(max_length=40, description=f"Only orders in this status: {', '.join(STATUSES)}."),
    ] = None,
    created_after: Annotated[
        str | None, Parameter(max_length=40, description="Placed at or after, e.g. 2026-03-01.")
    ] = None,
    created_before: Annotated[
        str | None, Parameter(max_length=40, description="Placed before, e.g. 2026-04-01T00:00:00Z.")
    ] = None,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Parameter(description="Items per page, 1 to 100 (else 422).")] = 20,
) -> OrderPage:
    errors: list[tuple[str, str]] = []
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors.append(("per_page", f"per_page must be from 1 to {MAX_PER_PAGE}."))
    if status is not None and status not in STATUSES:
        errors.append(("status", f"status must be one of: {', '.join(STATUSES)}."))
    after = _instant(created_after, "created_after", errors)
    before = _instant(created_before, "created_before", errors)
    if errors:
        raise _invalid(errors)
    flt = OrderFilter(
        customer_id=_visible_to(api_principal(request)),
        status=status,
        created_after=after,
        created_before=before,
    )
    orders, total = await find_orders(db_session, flt, page=page, per_page=per_page)
    shipments = await shipments_of(db_session, [order.id for order in orders])
    return OrderPage(
        items=[order_out(order, shipments[order.id]) for order in orders],
        page=page,
        per_page=per_page,
        total=total,
        pages=max(1, math.ceil(total / per_page)),
    )


@get(
    "/api/v1/orders/{order_id:uuid}",
    guards=[require_scope(READ)],
    summary="Read an order",
    description="Scope `read:orders`. The order with its lines and shipments.",
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    **API,
)
async def read_order(request: Request[Any, Any, Any], db_session: DbSession, order_id: OrderId) -> OrderOut:
    return await _out(db_session, await _order_or_404(db_session, api_principal(request), order_id))


@patch(
    "/api/v1/orders/{order_id:uuid}",
    guards=[require_scope(WRITE)],
    summary="Change an order",
    description=(
        "Scope `write:orders`; the key's owner must hold `orders.write`. `status` moves the order "
        "through the same steps as the staff pages (paid, processing, shipped: everything left in "
        "one shipment with `tracking_number` and `carrier`, delivered, cancelled: restocked and "
        "refunded when paid); pending and refunded cannot be set here. `fulfillment_status` sets the "
        "fulfilment label, except `ready`, which tells the customer of a pickup order to come and "
        "collect it (as the staff page does), and a ready order's, which changes by collecting "
        "(`status: delivered`) or cancelling it; `tracking_number` alone corrects the latest "
        "shipment's. Not a status: "
        "422 listing the valid ones. Refused by the order's state: 409, nothing changed."
    ),
    responses={
        400: BAD_BODY,
        401: UNAUTHORIZED,
        403: FORBIDDEN,
        404: NOT_FOUND,
        409: CONFLICT,
        422: BAD_VALUE,
    },
    **API,
)
async def update_order(
    request: Request[Any, Any, Any], db_session: DbSession, order_id: OrderId, data: JSONBody[OrderPatch]
) -> OrderOut:
    principal = api_principal(request)
    if not grants(principal.permissions, CHANGE):
        raise PermissionDeniedException(detail=f"The key's owner does not hold the permission {CHANGE}.")
    change = OrderChange(
        status=data.status,
        fulfilment_status=data.fulfillment_status,
        tracking_number=data.tracking_number,
        carrier=data.carrier,
    )
    if errors := check_change(change):
        raise _invalid(errors)
    order = await _order_or_404(db_session, principal, order_id)
    try:
        await apply_change(db_session, order, change, actor=api_actor(request))
    except OrderError as exc:
        await db_session.rollback()
        raise ClientException(
            status_code=HTTP_409_CONFLICT,
            detail=exc.message,
            extra=[{"field": None if exc.field == "__all__" else exc.field, "message": exc.message}],
        ) from exc
    await db_session.commit()
    db_session.expunge_all()
    return await _out(db_session, await _order_or_404(db_session, principal, order_id))


# ---- the caller's cart ------------------------------------------------------------------------
def _owner(request: Request[Any, Any, Any]) -> CartOwner:
    return CartOwner(customer_id=api_principal(request).user_id)


async def _cart_answer(
    db_session: AsyncSession, cart: Cart | None, notice: CartNotice | None = None
) -> CartOut:
    view = await view_cart(db_session, cart)
    return cart_out(view, currency=business_cache.current().currency, notice=notice)


def _cart_refused(exc: CartError) -> ClientException:
    return ClientException(status_code=HTTP_422_UNPROCESSABLE_ENTITY, detail=exc.message)


@get(
    "/api/v1/cart",
    guards=[require_scope(READ)],
    summary="Read the cart",
    description=(
        "Scope `read:orders`. The key owner's cart at today's prices: each line's unit price, quantity, "
        "total and problem (out of stock, fewer left, no longer sold), and the subtotal."
    ),
    responses={401: UNAUTHORIZED, 403: FORBIDDEN},
    **CART,
)
async def read_cart(request: Request[Any, Any, Any], db_session: DbSession) -> CartOut:
    return await _cart_answer(db_session, await find_cart(db_session, _owner(request)))


@post(
    "/api/v1/cart",
    guards=[require_scope(WRITE)],
    status_code=200,
    summary="Add to the cart",
    description=(
        "Scope `write:orders`. Adds a product (with its `variant_id` when it has variants) or a bundle; "
        "adding what is already there raises its quantity. A quantity above the stock is lowered "
        "(`notice` says so); what cannot be sold answers 422 with the reason. Answers the cart."
    ),
    responses={400: BAD_BODY, 401: UNAUTHORIZED, 403: FORBIDDEN, 422: CART_REFUSED},
    **CART,
)
async def add_to_the_cart(
    request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[CartAdd]
) -> CartOut:
    try:
        cart, _token = await ensure_cart(db_session, _owner(request))
        notice = await add_to_cart(db_session, cart, data.to_request())
    except CartError as exc:
        await db_session.rollback()
        raise _cart_refused(exc) from exc
    await db_session.commit()
    return await _cart_answer(db_session, cart, notice)


@patch(
    "/api/v1/cart",
    guards=[require_scope(WRITE)],
    summary="Change a line's quantity",
    description=(
        "Scope `write:orders`. Sets the quantity of the line `item_id` (0 removes it), lowered to the "
        "stock (`notice` says so). A line not in the cart answers 422. Answers the cart."
    ),
    responses={400: BAD_BODY, 401: UNAUTHORIZED, 403: FORBIDDEN, 422: CART_REFUSED},
    **CART,
)
async def change_the_cart(
    request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[CartChange]
) -> CartOut:
    try:
        cart = await find_cart(db_session, _owner(request))
        if cart is None:
            raise CartError("That item is no longer in your cart.")
        notice = await set_quantity(db_session, cart, data.item_id, data.quantity)
    except CartError as exc:
        await db_session.rollback()
        raise _cart_refused(exc) from exc
    await db_session.commit()
    return await _cart_answer(db_session, cart, notice)


@delete(
    "/api/v1/cart",
    guards=[require_scope(WRITE)],
    status_code=HTTP_204_NO_CONTENT,
    summary="Empty the cart",
    description="Scope `write:orders`. Removes every line and code from the key owner's cart.",
    responses={401: UNAUTHORIZED, 403: FORBIDDEN},
    **CART,
)
async def empty_the_cart(request: Request[Any, Any, Any], db_session: DbSession) -> None:
    cart = await find_cart(db_session, _owner(request))
    if cart is not None:
        await empty_cart(db_session, cart.id)
        await db_session.commit()


routes = [list_orders, read_order, update_order, read_cart, add_to_the_cart, change_the_cart, empty_the_cart]
