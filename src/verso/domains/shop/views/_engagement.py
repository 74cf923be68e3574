"""Reviews (writing, voting, moderation), wishlists and recently viewed products.

Customer actions are plain forms (POST, then 303 back to the product page) that htmx enhances by
swapping only the part that changed: the reviews section, one review's vote buttons, the wishlist
button. Each declares the ``verified_action`` a business may reserve for verified accounts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_301_MOVED_PERMANENTLY,
    HTTP_403_FORBIDDEN,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from sqlalchemy import case, select

from verso.domains.identity.deps import actor, require_user
from verso.domains.identity.forms import safe_next
from verso.domains.identity.permissions import AUTHENTICATED, PUBLIC
from verso.domains.shop import storefront
from verso.domains.shop.forms import ReplyForm, ReviewForm, form_uuid, review_input
from verso.domains.shop.models import Product, Review
from verso.domains.shop.services import (
    MODERATION,
    ReviewError,
    ReviewSection,
    ReviewService,
    VoteChanged,
    WishlistError,
    WishlistService,
    recent_products,
)
from verso.domains.shop.services import _recent as recent
from verso.domains.shop.views._products import STAFF
from verso.domains.shop.views._store import PUBLIC_SHOP, crumbs
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, form_from, parse_form
from verso.lib.htmx import is_htmx, redirect, render, toast_header, wants_fragment
from verso.lib.tables import Column, Filter, TableQuery, int_param, paginate
from verso.server.navigation import NavEntry

MODERATE = "shop.reviews.moderate"
THANKS = "Thanks — your review will appear once approved."
UPDATED = "Your review was updated. It will appear once approved."
VOTES = {"helpful": True, "not_helpful": False, "none": None}


def _viewer_id(request: Request[Any, Any, Any]) -> UUID | None:
    user = request.scope.get("user")
    return user.id if user is not None else None


# ---- reviews on the storefront -------------------------------------------------------------------
def _reviews_response(
    request: Request[Any, Any, Any],
    product: Product,
    section: ReviewSection,
    *,
    form: FormState | None = None,
    notice: str | None = None,
    status_code: int = 200,
    block: str = "reviews",
    headers: dict[str, str] | None = None,
) -> Any:
    """The reviews page (no JavaScript, or a page of older reviews) or, for htmx, one of its parts:
    the whole section (``reviews``) or the next reviews of the list (``review_items``)."""
    context: dict[str, Any] = {
        "product": product,
        "reviews": section,
        "crumbs": crumbs([], product.name),
        "notice": notice,
    }
    if form is not None:
        context["review_form"] = form
    # The blocks live in the section's own template; the page around it only includes that.
    template = "shop/store/_reviews.html" if wants_fragment(request) else "shop/store/reviews.html"
    return render(
        request,
        template,
        context,
        block=block,
        status_code=status_code,
        headers=headers,
    )


@get("/shop/p/{product:str}/reviews", permission=PUBLIC, **PUBLIC_SHOP)
async def reviews_page(
    request: Request[Any, Any, Any], db_session: DbSession, product: FromPath[str], page: FromQuery[str] = "1"
) -> Any:
    """A product's approved reviews, ``PER_PAGE`` at a time: "More reviews" appends the next ones."""
    found, moved = await storefront.product_by_slug(db_session, product)
    number = int_param(page, 1)
    if moved is not None:
        return Redirect(f"/shop/p/{moved}/reviews?page={number}", status_code=HTTP_301_MOVED_PERMANENTLY)
    if found is None:
        raise NotFoundException("No such product.")
    section = await ReviewService(session=db_session).section(
        found.id, user_id=_viewer_id(request), page=number
    )
    return _reviews_response(request, found, section, block="review_items")


@post(
    "/shop/p/{product:str}/reviews",
    permission=AUTHENTICATED,
    verified_action="shop.reviews.write",
    **PUBLIC_SHOP,
)
async def review_submit(
    request: Request[Any, Any, Any], db_session: DbSession, product: FromPath[str]
) -> Any:
    """Write a review, or change one still waiting for approval."""
    found, _moved = await storefront.product_by_slug(db_session, product)
    if found is None:
        raise NotFoundException("No such product.")
    user = require_user(request)
    data, form = parse_form(await request.form(), ReviewForm)
    service = ReviewService(session=db_session)
    if data is not None:
        try:
            _review, created = await service.submit(found, user.id, review_input(data))
            await db_session.commit()
        except ReviewError as exc:
            await db_session.rollback()
            for name, message in exc.errors.items():
                form.add_error(name, message)
        else:
            message = THANKS if created else UPDATED
            if not is_htmx(request):
                return redirect(request, f"/shop/p/{found.slug}#reviews", message=message)
            section = await service.section(found.id, user_id=user.id)
            return _reviews_response(request, found, section, notice=message, headers=toast_header(message))
    found, _ = await storefront.product_by_slug(db_session, product)  # after a rollback: loaded afresh
    assert found is not None
    section = await service.section(found.id, user_id=user.id)
    return _reviews_response(request, found, section, form=form, status_code=HTTP_422_UNPROCESSABLE_ENTITY)


@post(
    "/shop/reviews/{review_id:uuid}/vote",
    permission=AUTHENTICATED,
    verified_action="shop.reviews.vote",
    **PUBLIC_SHOP,
)
async def review_vote(
    request: Request[Any, Any, Any], db_session: DbSession, review_id: FromPath[UUID]
) -> Any:
    """Helpful / not helpful, changed or withdrawn (``vote`` = helpful | not_helpful | none)."""
    choice = str((await request.form()).get("vote") or "")
    if choice not in VOTES:
        raise ClientException("Choose helpful or not helpful.")
    user = require_user(request)
    try:
        review, mine = await ReviewService(session=db_session).vote(review_id, user.id, VOTES[choice])
        await db_session.commit()
    except LookupError as exc:
        raise NotFoundException("No such review.") from exc
    except ReviewError as exc:  # one's own review (403), or a vote from another tab landed first (409)
        await db_session.rollback()
        message = exc.errors[NON_FIELD]
        if is_htmx(request):
            status = HTTP_409_CONFLICT if isinstance(exc, VoteChanged) else HTTP_403_FORBIDDEN
            raise HTTPException(status_code=status, detail=message) from exc
        slug = await db_session.scalar(
            select(Product.slug).join(Review, Review.product_id == Product.id).where(Review.id == review_id)
        )
        return redirect(request, f"/shop/p/{slug}#review-{review_id}", message=message, level="error")
    if is_htmx(request):
        return render(
            request, "shop/store/_review_votes.html", {"review": review, "my_vote": mine}, block="votes"
        )
    slug = await db_session.scalar(select(Product.slug).where(Product.id == review.product_id))
    return redirect(request, f"/shop/p/{slug}#review-{review_id}", message="Thanks for your feedback.")


# ---- wishlist -----------------------------------------------------------------------------------
async def _wishlist_change(request: Request[Any, Any, Any], db_session: DbSession, *, save: bool) -> Any:
    """Save or unsave the product (or variant) of a product page's wishlist button."""
    submitted = await request.form()
    form = FormState()
    product_id = form_uuid(form, "product_id", str(submitted.get("product_id") or ""))
    variant_id = form_uuid(form, "variant_id", str(submitted.get("variant_id") or ""))
    if product_id is None or not form.valid:
        raise NotFoundException("No such product.")
    user = require_user(request)
    service = WishlistService(session=db_session)
    try:
        if save:
            await service.add(user.id, product_id, variant_id)
        else:
            await service.remove(user.id, product_id, variant_id)
        await db_session.commit()
    except WishlistError as exc:
        await db_session.rollback()
        message, level = str(exc), "error"
    else:
        message, level = ("Saved to your wishlist." if save else "Removed from your wishlist."), "success"
    back = safe_next(str(submitted.get("back") or ""), "")
    return await _wishlist_answer(request, db_session, product_id, variant_id, back, (message, level))


async def _wishlist_answer(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    product_id: UUID,
    variant_id: UUID | None,
    back: str,
    toast: tuple[str, str],
) -> Any:
    """Back to the product page (the same variant), or for htmx the button as it now is."""
    message, level = toast
    product = await db_session.get(Product, product_id)
    if product is None:
        raise NotFoundException("No such product.")
    if not is_htmx(request):
        if not back.startswith(f"/shop/p/{product.slug}"):
            back = f"/shop/p/{product.slug}"
        return redirect(request, back, message=message, level=level)
    user = require_user(request)
    saved = await WishlistService(session=db_session).is_saved(user.id, product_id, variant_id)
    context = {"product": product, "variant_id": variant_id, "saved": saved, "back": back}
    return render(
        request,
        "shop/store/_wishlist_button.html",
        context,
        block="wishlist_button",
        headers=toast_header(message, level),
    )


@post("/shop/wishlist", permission=AUTHENTICATED, verified_action="shop.wishlist", **PUBLIC_SHOP)
async def wishlist_add(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _wishlist_change(request, db_session, save=True)


@post("/shop/wishlist/remove", permission=AUTHENTICATED, **PUBLIC_SHOP)
async def wishlist_remove(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _wishlist_change(request, db_session, save=False)


@get("/account/wishlist", permission=AUTHENTICATED, **PUBLIC_SHOP)
async def wishlist_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    entries = await WishlistService(session=db_session).entries(require_user(request).id)
    return render(request, "shop/account/wishlist.html", {"entries": entries}, block="wishlist")


@post("/account/wishlist/{item_id:uuid}/remove", permission=AUTHENTICATED, **PUBLIC_SHOP)
async def wishlist_item_remove(
    request: Request[Any, Any, Any], db_session: DbSession, item_id: FromPath[UUID]
) -> Any:
    """Remove one item from the list; another person's item answers 404, as if it did not exist."""
    user = require_user(request)
    service = WishlistService(session=db_session)
    if not await service.remove_item(user.id, item_id):
        raise NotFoundException("No such item in your wishlist.")
    await db_session.commit()
    message = "Removed from your wishlist."
    if not is_htmx(request):
        return redirect(request, "/account/wishlist", message=message)
    entries = await service.entries(user.id)
    return render(
        request,
        "shop/account/wishlist.html",
        {"entries": entries},
        block="wishlist",
        headers=toast_header(message),
    )


# ---- recently viewed ----------------------------------------------------------------------------
@get("/shop/recently-viewed", permission=PUBLIC, **PUBLIC_SHOP)
async def recently_viewed(
    request: Request[Any, Any, Any], db_session: DbSession, exclude: FromQuery[str] = ""
) -> Any:
    """The visitor's recently viewed products, loaded by the product page after it shows (so the
    page itself stays the same for everyone and can be cached). ``exclude`` is the product being
    viewed: it is left out of the list and remembered as the newest view."""
    try:
        current = UUID(exclude) if exclude else None
    except ValueError:
        current = None
    ids = recent.decode(request.cookies.get(recent.COOKIE))
    items, viewing = await recent_products(db_session, ids, current=current)
    response = render(
        request,
        "shop/store/_recent.html",
        {"items": items},
        block="recent",
        headers={"Cache-Control": "private, no-store", "Vary": "HX-Request, Cookie"},
    )
    if viewing and current is not None and (not ids or ids[0] != current):
        response.set_cookie(recent.cookie(recent.remember(ids, current)))
    return response


# ---- staff: moderation ----------------------------------------------------------------------------
COLUMNS = [
    Column("select", ""),
    Column("review", "Review"),
    Column("product", "Product"),
    Column("rating", "Rating", sortable=True, numeric=True),
    Column("status", "Status"),
    Column("helpful", "Helpful", sortable=True, numeric=True),
    Column("created_at", "Submitted", sortable=True),
    Column("actions", "Actions"),
]
STATUS_FILTER = Filter(
    "status",
    "Status",
    [("", "Any status"), ("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected")],
)
RATING_FILTER = Filter(
    "rating", "Rating", [("", "Any rating")] + [(str(n), f"{n} ★") for n in range(5, 0, -1)]
)
QUEUE_ORDER = case((Review.status == "pending", 0), else_=1)  # pending first, then oldest first


def _back(raw: Any, default: str = "/admin/shop/reviews") -> str:
    back = str(raw or "")
    return back if back.startswith("/admin/shop/reviews") else default


@get("/admin/shop/reviews", permission=MODERATE, nav=NavEntry("Shop", "Reviews", 60, "message"), **STAFF)
async def reviews_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    filters = [STATUS_FILTER, RATING_FILTER]
    query = TableQuery.from_params(
        request.query_params,
        sortable=["queue", "rating", "helpful", "created_at"],
        default_sort="queue",
        filters=filters,
    )
    page = await paginate(
        db_session,
        select(Review, Product).join(Product, Product.id == Review.product_id),
        query,
        base_url="/admin/shop/reviews",
        filters=filters,
        sort_columns={
            "queue": QUEUE_ORDER,
            "rating": Review.rating,
            "helpful": Review.helpful_count,
            "created_at": Review.created_at,
        },
        search_columns=[Review.title, Review.body, Review.author_name, Product.name],
        filter_columns={"status": Review.status, "rating": Review.rating},
        scalars=False,
    )
    return render(
        request,
        "shop/reviews/index.html",
        {"page": page, "columns": COLUMNS, "actions": {"approve": "Approve", "reject": "Reject"}},
        block="table",
    )


async def _review(db_session: DbSession, review_id: UUID) -> tuple[Review, Product]:
    row = (
        await db_session.execute(
            select(Review, Product)
            .join(Product, Product.id == Review.product_id)
            .where(Review.id == review_id)
        )
    ).first()
    if row is None:
        raise NotFoundException("No such review.")
    return row[0], row[1]


def _review_page(
    request: Request[Any, Any, Any], review: Review, product: Product, form: FormState, status: int = 200
) -> Any:
    return render(
        request,
        "shop/reviews/detail.html",
        {"review": review, "product": product, "form": form},
        status_code=status,
    )


@get("/admin/shop/reviews/{review_id:uuid}", permission=MODERATE, **STAFF)
async def review_detail(
    request: Request[Any, Any, Any], db_session: DbSession, review_id: FromPath[UUID]
) -> Any:
    review, product = await _review(db_session, review_id)
    return _review_page(request, review, product, form_from({"reply": review.reply}))


async def _moderate(
    request: Request[Any, Any, Any], db_session: DbSession, ids: list[UUID], submitted: Any
) -> Any:
    """Approve or reject ``ids`` (the form's ``action``), then back to the page the form was on."""
    action, back = str(submitted.get("action") or ""), _back(submitted.get("back"))
    if action not in MODERATION or not ids:
        return redirect(request, back, message="Choose reviews and an action.", level="error")
    count = await ReviewService(session=db_session).set_status(ids, MODERATION[action], actor=actor(request))
    await db_session.commit()
    done = "approved" if action == "approve" else "rejected"
    if count == 0:
        return redirect(request, back, message=f"Nothing to change: already {done}.", level="info")
    return redirect(request, back, message=f"{count} review{'s' if count != 1 else ''} {done}.")


@post("/admin/shop/reviews/{review_id:uuid}/status", permission=MODERATE, **STAFF)
async def review_status(
    request: Request[Any, Any, Any], db_session: DbSession, review_id: FromPath[UUID]
) -> Any:
    await _review(db_session, review_id)
    return await _moderate(request, db_session, [review_id], await request.form())


@post("/admin/shop/reviews/bulk", permission=MODERATE, **STAFF)
async def reviews_bulk(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    submitted = await request.form()
    form = FormState()
    ids = [rid for raw in submitted.getall("ids", []) if (rid := form_uuid(form, "ids", raw))]
    return await _moderate(request, db_session, ids if form.valid else [], submitted)


@post("/admin/shop/reviews/{review_id:uuid}/reply", permission=MODERATE, **STAFF)
async def review_reply(
    request: Request[Any, Any, Any], db_session: DbSession, review_id: FromPath[UUID]
) -> Any:
    """Answer a review publicly as the shop (shown under it once approved); empty removes the answer."""
    review, product = await _review(db_session, review_id)
    data, form = parse_form(await request.form(), ReplyForm)
    if data is not None:
        try:
            await ReviewService(session=db_session).reply(review, data.reply, actor=actor(request))
            await db_session.commit()
            message = "Reply saved." if review.reply else "Reply removed."
            return redirect(request, f"/admin/shop/reviews/{review_id}", message=message)
        except ReviewError as exc:
            await db_session.rollback()
            for name, text in exc.errors.items():
                form.add_error(name, text)
        review, product = await _review(db_session, review_id)
    return _review_page(request, review, product, form, HTTP_422_UNPROCESSABLE_ENTITY)


routes = [
    reviews_page,
    review_submit,
    review_vote,
    wishlist_add,
    wishlist_remove,
    wishlist_page,
    wishlist_item_remove,
    recently_viewed,
    reviews_index,
    review_detail,
    review_status,
    reviews_bulk,
    review_reply,
]
