"""The order's page for its customer: ``/orders/{number}`` through the signed link the confirmation
email and checkout give (guests), or for the signed-in customer who placed it."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from verso.domains.identity.permissions import PUBLIC
from verso.domains.orders.services._reading import customer_view, order_for_visitor
from verso.lib.db import DbSession
from verso.lib.htmx import render

SHOP = {"module": "shop"}


@get("/orders/{number:str}", permission=PUBLIC, **SHOP)
async def order_page(request: Request[Any, Any, Any], db_session: DbSession, number: FromPath[str]) -> Any:
    user = request.scope.get("user")
    order = await order_for_visitor(
        db_session, number, customer_id=user.id if user else None, signature=request.query_params.get("t", "")
    )
    if order is None:
        raise NotFoundException("No such order.")
    view = await customer_view(db_session, order)
    paid_now = request.query_params.get("paid") == "1"
    return render(request, "orders/orders/public.html", {"view": view, "paid_now": paid_now}, block="order")


routes = [order_page]
