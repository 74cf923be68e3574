"""The order's page for its customer: ``/orders/{number}`` through the signed link the confirmation
email and checkout give (guests), or for the signed-in customer who placed it; and its invoice as a
PDF at ``/orders/{number}/invoice.pdf``, open to the same people."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order
from verso.domains.orders.services._figures import order_figures
from verso.domains.orders.services._links import invoice_path
from verso.domains.orders.services._reading import customer_view, order_for_visitor
from verso.lib.db import DbSession
from verso.lib.htmx import render

SHOP = {"module": "shop"}


async def _visible(request: Request[Any, Any, Any], db_session: DbSession, number: str) -> Order:
    user = request.scope.get("user")
    order = await order_for_visitor(
        db_session, number, customer_id=user.id if user else None, signature=request.query_params.get("t", "")
    )
    if order is None:
        raise NotFoundException("No such order.")
    return order


@get("/orders/{number:str}", permission=PUBLIC, **SHOP)
async def order_page(request: Request[Any, Any, Any], db_session: DbSession, number: FromPath[str]) -> Any:
    view = await customer_view(db_session, await _visible(request, db_session, number))
    context = {
        "view": view,
        "paid_now": request.query_params.get("paid") == "1",
        "invoice_url": invoice_path(number, signed="t" in request.query_params),
    }
    return render(request, "orders/orders/public.html", context, block="order")


@get("/orders/{number:str}/invoice.pdf", permission=PUBLIC, **SHOP)
async def order_invoice_pdf(
    request: Request[Any, Any, Any], db_session: DbSession, number: FromPath[str]
) -> Response[bytes]:
    order = await _visible(request, db_session, number)
    from verso.domains.orders.views._invoice_pdf import pdf_response  # fpdf2 loads on first use

    return await pdf_response(order, order_figures(order), business_cache.current())


routes = [order_page, order_invoice_pdf]
