"""Staff management of a product's related products, by kind and in order.

The product's edit page includes a section that htmx fills from ``/admin/shop/products/{id}/related``
(with ``in=edit``, so its forms come back to the edit page); without JavaScript the section links to
that URL, a page of its own with the same forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath

from verso.domains.identity.deps import actor
from verso.domains.shop.forms import form_uuid
from verso.domains.shop.models import Product
from verso.domains.shop.models._merch import RELATION_KINDS
from verso.domains.shop.services import ProductError, RelatedService, find_products
from verso.domains.shop.views._products import STAFF, product_or_404
from verso.lib.db import DbSession
from verso.lib.forms import FormState
from verso.lib.htmx import redirect, render

READ, CATALOG = "shop.products.read", "shop.catalog.write"


def _back(product: Product, embedded: bool, q: str = "", kind: str = "") -> str:
    if embedded:
        return f"/admin/shop/products/{product.id}#related"
    query = urlencode({k: v for k, v in (("q", q[:100]), ("kind", kind)) if v})
    return f"/admin/shop/products/{product.id}/related" + (f"?{query}" if query else "") + "#related"


@get("/admin/shop/products/{product_id:uuid}/related", permission=READ, **STAFF)
async def related_page(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    """A page of its own; htmx gets the section (``in=edit``: inside the edit page) or, while
    searching (``q``), only the search results."""
    product = await product_or_404(db_session, product_id)
    params = request.query_params
    q = params.get("q", "").strip()[:100]
    kind = params.get("kind", "")
    links = await RelatedService(session=db_session).for_product(product.id)
    groups = [
        (key, label, [row for row in links if row[0].kind == key]) for key, label in RELATION_KINDS.items()
    ]
    context = {
        "product": product,
        "groups": groups,
        "kinds": list(RELATION_KINDS.items()),
        "kind": kind if kind in RELATION_KINDS else "cross_sell",
        "q": q,
        "candidates": await find_products(db_session, q, exclude=[product.id]),
        "embedded": params.get("in") == "edit",
    }
    return render(
        request, "shop/products/related.html", context, block="candidates" if "q" in params else "related"
    )


def _embedded(submitted: Any) -> bool:
    return submitted.get("in") == "edit"


@post("/admin/shop/products/{product_id:uuid}/related", permission=CATALOG, **STAFF)
async def related_add(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    product = await product_or_404(db_session, product_id)
    submitted = await request.form()
    kind, q = str(submitted.get("kind") or ""), str(submitted.get("q") or "")
    back = _back(product, _embedded(submitted), q, kind)
    related_id = form_uuid(FormState(), "product_id", str(submitted.get("product_id") or ""))
    try:
        if related_id is None:
            raise ProductError({"related_id": "Choose a product from the list."})
        related = await RelatedService(session=db_session).add(
            product, related_id, kind, actor=actor(request)
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, back, message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, back, message=f"“{related.name}” added as {RELATION_KINDS[kind].lower()}.")


@post("/admin/shop/products/{product_id:uuid}/related/{link_id:uuid}/move", permission=CATALOG, **STAFF)
async def related_move(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    product_id: FromPath[UUID],
    link_id: FromPath[UUID],
) -> Any:
    product = await product_or_404(db_session, product_id)
    submitted = await request.form()
    back = _back(product, _embedded(submitted))
    try:
        offset = -1 if submitted.get("direction") == "up" else 1
        await RelatedService(session=db_session).move(product, link_id, offset, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, back, message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, back, message="Order saved.")


@post("/admin/shop/products/{product_id:uuid}/related/{link_id:uuid}/remove", permission=CATALOG, **STAFF)
async def related_remove(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    product_id: FromPath[UUID],
    link_id: FromPath[UUID],
) -> Any:
    product = await product_or_404(db_session, product_id)
    submitted = await request.form()
    back = _back(product, _embedded(submitted))
    try:
        await RelatedService(session=db_session).remove(product, link_id, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, back, message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, back, message="Suggestion removed.")


routes = [related_page, related_add, related_move, related_remove]
