"""The products JSON API (/api/v1/products): list, create, read, change and delete products.

Bearer keys as for the rest of /api/v1 (``verso.domains.api.guards``): ``read:products`` to read,
``write:products`` to change. Each handler parses, calls one ``ProductService`` method and shapes the
answer with ``schemas``; a refused change (``ProductError``) answers 422 problem+json naming each field.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Request, Response, delete, get, patch, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import JSONBody, Parameter, PathParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.api.guards import api_actor, require_scope
from verso.domains.api.schemas import BAD_REQUEST, FORBIDDEN, SECURITY, UNAUTHORIZED, problem_response
from verso.domains.identity.permissions import PUBLIC
from verso.domains.ops.services import business_cache
from verso.domains.shop.models import Product
from verso.domains.shop.schemas import ProductCreate, ProductOut, ProductPage, ProductPatch, product_out
from verso.domains.shop.services import ProductError, ProductSearch, ProductService, replace_variants
from verso.lib.db import DbSession
from verso.settings import get_settings

# include_in_schema=True: listed in /api/openapi.json (the domain's router leaves pages out)
API = {"permission": PUBLIC, "security": SECURITY, "tags": ["Products"], "include_in_schema": True}
READ, WRITE = "read:products", "write:products"
MAX_PAGE = 1_000_000
Sort = Literal["name", "-name", "price", "-price", "created", "-created"]
ProductId = Annotated[UUID, PathParameter(description="The product's id.")]


NOT_FOUND = problem_response("No product has this id.")
UNPROCESSABLE = problem_response(
    "The product breaks a rule (the same as the staff form's); `errors` names each field: e.g. a "
    "negative price, a compare-at price not above the price, an SKU in use, a subscription without "
    "its Stripe price id."
)
BAD_PATH = problem_response("The request could not be read (errors name the part).")
BAD_BODY = problem_response(
    "The body is not JSON of the documented shape: a wrong type, size or unknown field."
)


def _out(product: Product) -> ProductOut:
    return product_out(product, currency=business_cache.current().currency, base_url=get_settings().base_url)


def _refused(exc: ProductError) -> ClientException:
    """A 422 problem with one ``{field, message}`` per refused field (rendered by server.errors)."""
    return ClientException(
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        detail="The product was not saved: " + ", ".join(exc.errors) + ".",
        extra=[{"field": field, "message": message} for field, message in exc.errors.items()],
    )


async def _product_or_404(db_session: AsyncSession, product_id: UUID) -> Product:
    product = await ProductService(session=db_session).full(product_id)
    if product is None:
        raise NotFoundException("No such product.")
    return product


async def _fresh(db_session: AsyncSession, product_id: UUID) -> ProductOut:
    """The product as saved: forget what the session holds (tags were replaced row by row)."""
    db_session.expunge_all()
    return _out(await _product_or_404(db_session, product_id))


@get(
    "/api/v1/products",
    guards=[require_scope(READ)],
    summary="List products",
    description=(
        "Scope `read:products`; the key's owner must hold `shop.products.read`. Every product, draft "
        "ones included, with its variants, images, category and tags. Money in minor units."
    ),
    responses={400: BAD_REQUEST, 401: UNAUTHORIZED, 403: FORBIDDEN},
    **API,
)
async def list_products(
    db_session: DbSession,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[int, Parameter(ge=1, le=100, description="Items per page, 1 to 100.")] = 20,
    is_digital: Annotated[
        bool | None, Parameter(description="true: downloads only; false: physical products only.")
    ] = None,
    in_stock: Annotated[
        bool | None,
        Parameter(
            description="true: products that can be bought now (stock not tracked, stock above zero, "
            "or an active variant with stock); false: the others."
        ),
    ] = None,
    category: Annotated[
        str | None, Parameter(max_length=140, description="A category's id or slug (that category only).")
    ] = None,
    q: Annotated[
        str | None,
        Parameter(
            max_length=200,
            description="Text found in the name, SKU (the product's or a variant's) or description; "
            "case-insensitive.",
        ),
    ] = None,
    status: Annotated[
        Literal["active", "draft"] | None, Parameter(description="Only active or only draft products.")
    ] = None,
    sort: Annotated[
        Sort,
        Parameter(description="`name`, `price` (the base price) or `created`; a leading `-` reverses."),
    ] = "created",
) -> ProductPage:
    products, total = await ProductService(session=db_session).search(
        ProductSearch(
            is_digital=is_digital, in_stock=in_stock, category=category, q=q, status=status, sort=sort
        ),
        page=page,
        per_page=per_page,
    )
    return ProductPage(
        items=[_out(product) for product in products],
        page=page,
        per_page=per_page,
        total=total,
        pages=max(1, math.ceil(total / per_page)),
    )


@post(
    "/api/v1/products",
    guards=[require_scope(WRITE)],
    status_code=HTTP_201_CREATED,
    summary="Create a product",
    description=(
        "Scope `write:products`; the key's owner must hold `shop.products.write`. Validated like the "
        "staff form. Answers the new product, with its URL in `Location`. `variants` (optional) lists "
        "its variants by option names; pictures are uploaded on the staff pages."
    ),
    responses={400: BAD_BODY, 401: UNAUTHORIZED, 403: FORBIDDEN, 422: UNPROCESSABLE},
    **API,
)
async def create_product(
    request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[ProductCreate]
) -> Response[ProductOut]:
    try:
        product = await ProductService(session=db_session).create_product(
            data.to_input(), actor=api_actor(request)
        )
        if data.variants:
            await replace_variants(
                db_session, product, [v.to_spec() for v in data.variants], actor=api_actor(request)
            )
    except ProductError as exc:
        await db_session.rollback()
        raise _refused(exc) from exc
    await db_session.commit()
    return Response(
        await _fresh(db_session, product.id),
        status_code=HTTP_201_CREATED,
        headers={"Location": f"/api/v1/products/{product.id}"},
    )


@get(
    "/api/v1/products/{product_id:uuid}",
    guards=[require_scope(READ)],
    summary="Read a product",
    description="Scope `read:products`. The product with its variants, images, category and tags.",
    responses={400: BAD_PATH, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    **API,
)
async def read_product(db_session: DbSession, product_id: ProductId) -> ProductOut:
    return _out(await _product_or_404(db_session, product_id))


@patch(
    "/api/v1/products/{product_id:uuid}",
    guards=[require_scope(WRITE)],
    summary="Change a product",
    description=(
        "Scope `write:products`. Only the fields sent change (null clears a nullable one); the result "
        "is validated like the staff form. A new `slug` keeps the old one as a redirect. `tags`, when "
        "sent, replaces the product's tags; `variants`, when sent, replaces its variants (matched by "
        "their options, so unchanged ones keep their picture)."
    ),
    responses={400: BAD_BODY, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 422: UNPROCESSABLE},
    **API,
)
async def update_product(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    product_id: ProductId,
    data: JSONBody[ProductPatch],
) -> ProductOut:
    product = await _product_or_404(db_session, product_id)
    try:
        await ProductService(session=db_session).update_product(
            product, data.to_input(product), actor=api_actor(request)
        )
        if data.variants is not UNSET:
            await replace_variants(
                db_session, product, [v.to_spec() for v in data.variants], actor=api_actor(request)
            )
    except ProductError as exc:
        await db_session.rollback()
        raise _refused(exc) from exc
    await db_session.commit()
    return await _fresh(db_session, product_id)


@delete(
    "/api/v1/products/{product_id:uuid}",
    guards=[require_scope(WRITE)],
    status_code=HTTP_204_NO_CONTENT,
    summary="Delete a product",
    description="Scope `write:products`. Deletes the product with its variants, pictures and tags.",
    responses={400: BAD_PATH, 401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND},
    **API,
)
async def delete_product(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    product_id: ProductId,
) -> None:
    product = await _product_or_404(db_session, product_id)
    await ProductService(session=db_session).delete_product(product, actor=api_actor(request))
    await db_session.commit()


routes = [list_products, create_product, read_product, update_product, delete_product]
