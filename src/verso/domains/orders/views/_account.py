"""The customer's orders at /account/orders: the history (paginated, newest first), one order's page
(the same partial as the public confirmation), and "Order again", which puts the order's lines that
are still for sale in the cart and goes there. Anyone else's order answers 404, whoever asks."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from verso.domains.identity.deps import require_user
from verso.domains.identity.permissions import AUTHENTICATED
from verso.domains.orders.models import Order
from verso.domains.orders.services._history import customer_order, customer_orders, reorder
from verso.domains.orders.services._links import invoice_path
from verso.domains.orders.services._reading import customer_view
from verso.domains.shop.services import CartOwner, ensure_cart
from verso.lib.db import DbSession
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, TableQuery

BASE = "/account/orders"
T = "orders/account/"
ACCOUNT = {"setup_gate": True}
PER_PAGE = 20
COLUMNS = [
    Column("number", "Order"),
    Column("created", "Placed", sortable=True),
    Column("status", "Status"),
    Column("items", "Items", numeric=True),
    Column("total", "Total", numeric=True),
]


async def _own(request: Request[Any, Any, Any], db_session: DbSession, number: str) -> Order:
    order = await customer_order(db_session, require_user(request).id, number)
    if order is None:
        raise NotFoundException("No such order.")
    return order


@get(BASE, permission=AUTHENTICATED, **ACCOUNT)
async def orders_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    query = TableQuery.from_params(
        request.query_params,
        sortable=["created"],
        default_sort="created",
        default_direction="desc",
        per_page=PER_PAGE,
    )
    page = await customer_orders(db_session, require_user(request).id, query, base_url=BASE)
    return render(request, T + "index.html", {"page": page, "columns": COLUMNS}, block="orders")


@get(f"{BASE}/{{number:str}}", permission=AUTHENTICATED, **ACCOUNT)
async def order_detail(request: Request[Any, Any, Any], db_session: DbSession, number: FromPath[str]) -> Any:
    view = await customer_view(db_session, await _own(request, db_session, number))
    context = {"view": view, "paid_now": False, "invoice_url": invoice_path(number, signed=False)}
    return render(request, T + "detail.html", context, block="order")


@post(f"{BASE}/{{number:str}}/reorder", permission=AUTHENTICATED, **ACCOUNT)
async def order_again(request: Request[Any, Any, Any], db_session: DbSession, number: FromPath[str]) -> Any:
    order = await _own(request, db_session, number)
    cart, _token = await ensure_cart(db_session, CartOwner(customer_id=require_user(request).id))
    result = await reorder(db_session, order, cart)
    await db_session.commit()
    message, level = result.summary()
    return redirect(request, "/cart", message=message, level=level)


routes = [orders_page, order_detail, order_again]
