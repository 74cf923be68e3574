"""The cart: the page at /cart, the header's drawer, and adding, changing and removing lines.

Every change is a plain form POST (303 back to the cart, or to where the form says) that htmx
enhances: an htmx add answers with the drawer opened in place (out-of-band) and a toast; an htmx
change on the cart page answers with the cart fragment. A guest's first add sets the cart cookie; a
signed-in customer whose browser still holds a guest cart gets it merged into theirs here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop.services._cart import (
    COOKIE,
    COOKIE_MAX_AGE,
    MAX_QUANTITY,
    AddRequest,
    Cart,
    CartError,
    CartNotice,
    CartOwner,
    add_to_cart,
    badge_count,
    ensure_cart,
    find_cart,
    merge_guest_cart,
    remove_line,
    set_quantity,
    view_cart,
)
from verso.lib.db import DbSession
from verso.lib.htmx import is_htmx, redirect, render, toast_header
from verso.lib.pagecache import personal_cookie
from verso.lib.personal import add_visitor_loader
from verso.settings import get_settings

SHOP = {"module": "shop"}
_SKIP_BADGE = ("/api/", "/admin", "/static/", "/media/", "/health", "/metrics", "/webhooks/")
personal_cookie(COOKIE)


async def _cart_badge(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The header badge's count, for visitors who have a cart (or a session) on shop pages."""
    user = request.scope.get("user")
    token = request.cookies.get(COOKIE)
    if (user is None and not token) or request.scope["path"].startswith(_SKIP_BADGE):
        return {}
    if "shop" not in business_cache.current().enabled_modules:
        return {}
    return {"cart_count": await badge_count(user.id if user else None, token)}


add_visitor_loader(_cart_badge)


def _owner(request: Request[Any, Any, Any]) -> CartOwner:
    user = request.scope.get("user")
    return CartOwner(customer_id=user.id if user else None, token=request.cookies.get(COOKIE))


def _cart_cookie(token: str | None) -> Cookie:
    """The guest cart's cookie; an empty token deletes it (after a merge into a customer's cart)."""
    settings = get_settings()
    return Cookie(
        key=COOKIE,
        value=token or "",
        max_age=COOKIE_MAX_AGE if token else 0,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )


async def _customer_cart(
    db_session: AsyncSession, request: Request[Any, Any, Any]
) -> tuple[Cart | None, bool]:
    """The visitor's cart; for a customer, first merge a guest cart this browser still holds.
    The flag says the guest cookie should now be deleted."""
    owner = _owner(request)
    merged = False
    if owner.customer_id is not None and owner.token:
        await merge_guest_cart(db_session, owner.customer_id, owner.token)
        await db_session.commit()
        merged = True
    return await find_cart(db_session, CartOwner(customer_id=owner.customer_id, token=owner.token)), merged


def _context(view: Any) -> dict[str, Any]:
    return {"cart": view, "currency": business_cache.current().currency}


@get("/cart", permission=PUBLIC, **SHOP)
async def cart_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    cart, merged = await _customer_cart(db_session, request)
    view = await view_cart(db_session, cart)
    page = render(request, "shop/cart/index.html", _context(view), block="cart")
    if merged:
        page.cookies.append(_cart_cookie(None))
    return page


@get("/cart/drawer", permission=PUBLIC, **SHOP)
async def cart_drawer(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """The header drawer's contents (htmx loads it when the drawer opens; without JS, the drawer
    links to /cart instead)."""
    cart, merged = await _customer_cart(db_session, request)
    page = render(
        request, "shop/cart/drawer.html", _context(await view_cart(db_session, cart)), block="drawer"
    )
    if merged:
        page.cookies.append(_cart_cookie(None))
    return page


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def _quantity(value: Any) -> int:
    try:
        return int(str(value or "1").strip())
    except ValueError:
        return 0


def _add_request(data: Any) -> AddRequest:
    return AddRequest(
        product_id=_uuid(data.get("product_id")),
        variant_id=_uuid(data.get("variant_id")),
        bundle_id=_uuid(data.get("bundle_id")),
        bundle_items=frozenset(i for i in map(_uuid, data.getall("item", [])) if i),
        quantity=_quantity(data.get("quantity")),
        details=tuple(
            (key, str(data.get(key, ""))[:500])
            for key in ("recipient_email", "recipient_name", "sender_name", "message")
        ),
    )


def _back(data: Any, default: str = "/cart") -> str:
    """Where a plain form goes after a change: the local path it names, else the cart."""
    target = str(data.get("next") or "")
    return target if target.startswith("/") and not target.startswith("//") else default


async def _answer(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    cart: Cart,
    notice: CartNotice,
    *,
    data: Any,
    token: str | None,
    drawer: bool,
) -> Any:
    """After a change: htmx gets the drawer (after an add) or the cart fragment, with a toast; a
    plain form goes back with a flash message."""
    if is_htmx(request):
        view = await view_cart(db_session, cart)
        template, block = ("shop/cart/drawer.html", "opened") if drawer else ("shop/cart/index.html", "cart")
        response = render(
            request,
            template,
            {**_context(view), "cart_count": view.count},
            block=block,
            headers=toast_header(notice.message, notice.level),
        )
    else:
        response = redirect(request, _back(data), message=notice.message, level=notice.level)
    if token:
        response.cookies.append(_cart_cookie(token))
    return response


async def _refused(request: Request[Any, Any, Any], error: CartError, data: Any) -> Any:
    if is_htmx(request):
        return render(
            request,
            "shop/cart/_refused.html",
            {"message": error.message},
            block="refused",
            status_code=422,
            headers=toast_header(error.message, "error"),
        )
    return redirect(
        request, _back(data, str(data.get("from") or "/cart")), message=error.message, level="error"
    )


@post("/cart/items", permission=PUBLIC, **SHOP)
async def cart_add(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data = await request.form()
    owner = _owner(request)
    try:
        cart, token = await ensure_cart(db_session, owner)
        notice = await add_to_cart(db_session, cart, _add_request(data))
    except CartError as error:
        await db_session.rollback()
        return await _refused(request, error, data)
    await db_session.commit()
    return await _answer(request, db_session, cart, notice, data=data, token=token, drawer=True)


async def _change(
    request: Request[Any, Any, Any], db_session: AsyncSession, item_id: UUID, quantity: int
) -> Any:
    data = await request.form()
    cart, _merged = await _customer_cart(db_session, request)
    try:
        if cart is None:
            raise CartError("Your cart is empty.")
        notice = await (
            remove_line(db_session, cart, item_id)
            if quantity <= 0
            else set_quantity(db_session, cart, item_id, quantity)
        )
    except CartError as error:
        await db_session.rollback()
        return await _refused(request, error, data)
    await db_session.commit()
    return await _answer(
        request, db_session, cart, notice, data=data, token=None, drawer=data.get("in") == "drawer"
    )


@post("/cart/items/{item_id:uuid}", permission=PUBLIC, **SHOP)
async def cart_update(request: Request[Any, Any, Any], db_session: DbSession, item_id: FromPath[UUID]) -> Any:
    data = await request.form()
    quantity = _quantity(data.get("quantity"))
    if quantity < 0 or quantity > MAX_QUANTITY:
        return await _refused(request, CartError(f"Choose a quantity from 0 to {MAX_QUANTITY}."), data)
    return await _change(request, db_session, item_id, quantity)


@post("/cart/items/{item_id:uuid}/remove", permission=PUBLIC, **SHOP)
async def cart_remove(request: Request[Any, Any, Any], db_session: DbSession, item_id: FromPath[UUID]) -> Any:
    return await _change(request, db_session, item_id, 0)


routes = [cart_page, cart_drawer, cart_add, cart_update, cart_remove]
