"""Staff actions inside a product page: the variant grid, each variant, and the picture gallery."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import ImageForm, VariantForm, form_uuid, signed_money
from verso.domains.shop.models import ProductImage, ProductVariant
from verso.domains.shop.services import ImageService, ProductError, VariantService
from verso.domains.shop.views._products import STAFF, WRITE, product_or_404
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import redirect


def _back(product_id: UUID, anchor: str) -> str:
    return f"/admin/shop/products/{product_id}#{anchor}"


def _problem(exc: ProductError) -> str:
    return " ".join(exc.errors.values())


@post("/admin/shop/products/{product_id:uuid}/variants/generate", permission=WRITE, **STAFF)
async def variants_generate(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    """Regenerate the grid from the chosen values: form fields ``values`` hold ``attribute:value`` ids."""
    product = await product_or_404(db_session, product_id)
    choice: dict[UUID, list[UUID]] = {}
    form = FormState()
    for raw in (await request.form()).getall("values", []):
        attribute_text, _, value_text = str(raw).partition(":")
        attribute_id, value_id = (
            form_uuid(form, "values", attribute_text),
            form_uuid(form, "values", value_text),
        )
        if attribute_id and value_id:
            choice.setdefault(attribute_id, []).append(value_id)
    try:
        if not form.valid:
            raise ProductError({"values": "Choose values from the list."})
        count = await VariantService(session=db_session).set_axes(product, choice, actor=actor(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(product_id, "variants"), message=_problem(exc), level="error")
    await db_session.commit()
    message = f"{count} variants." if count else "This product has no variants now."
    return redirect(request, _back(product_id, "variants"), message=message)


@post("/admin/shop/variants/{variant_id:uuid}", permission=WRITE, **STAFF)
async def variant_update(
    request: Request[Any, Any, Any], db_session: DbSession, variant_id: FromPath[UUID]
) -> Any:
    variant = await db_session.get(ProductVariant, variant_id)
    if variant is None:
        raise NotFoundException("No such variant.")
    data, form = parse_form(await request.form(), VariantForm)
    adjustment = (
        signed_money(form, "price_adjustment", data.price_adjustment, business_cache.current().currency)
        if data
        else None
    )
    image_id = form_uuid(form, "image_id", data.image_id) if data else None
    try:
        if data is None or adjustment is None or not form.valid:
            raise ProductError({k: " ".join(v) for k, v in form.errors.items()})
        await VariantService(session=db_session).update_variant(
            variant,
            sku=data.sku,
            price_adjustment=adjustment,
            stock=data.stock,
            is_active=data.is_active,
            image_id=image_id,
            actor=actor(request),
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(
            request,
            _back(variant.product_id, "variants"),
            message=f"{variant.name}: {_problem(exc)}",
            level="error",
        )
    await db_session.commit()
    return redirect(request, _back(variant.product_id, "variants"), message=f"{variant.name} saved.")


@post("/admin/shop/products/{product_id:uuid}/images", permission=WRITE, **STAFF)
async def image_add(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    product = await product_or_404(db_session, product_id)
    submitted = await request.form()
    upload = submitted.get("image")
    data = await upload.read() if isinstance(upload, UploadFile) and upload.filename else b""
    try:
        await ImageService(session=db_session).add_image(
            product,
            data,
            filename=upload.filename if isinstance(upload, UploadFile) else "",
            alt_text=str(submitted.get("alt_text") or ""),
            image_type=str(submitted.get("image_type") or "photo"),
            actor=actor(request),
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(product_id, "images"), message=_problem(exc), level="error")
    await db_session.commit()
    return redirect(request, _back(product_id, "images"), message="Picture added.")


async def _image(db_session: DbSession, image_id: UUID) -> ProductImage:
    image = await db_session.get(ProductImage, image_id)
    if image is None:
        raise NotFoundException("No such picture.")
    return image


@post("/admin/shop/images/{image_id:uuid}", permission=WRITE, **STAFF)
async def image_update(
    request: Request[Any, Any, Any], db_session: DbSession, image_id: FromPath[UUID]
) -> Any:
    image = await _image(db_session, image_id)
    product_id = image.product_id
    data, form = parse_form(await request.form(), ImageForm)
    try:
        if data is None:
            raise ProductError({k: " ".join(v) for k, v in form.errors.items()})
        await ImageService(session=db_session).update_image(
            image,
            alt_text=data.alt_text,
            image_type=data.image_type,
            primary=data.primary,
        )
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, _back(product_id, "images"), message=_problem(exc), level="error")
    await db_session.commit()
    return redirect(request, _back(product_id, "images"), message="Picture saved.")


@post("/admin/shop/images/{image_id:uuid}/move", permission=WRITE, **STAFF)
async def image_move(request: Request[Any, Any, Any], db_session: DbSession, image_id: FromPath[UUID]) -> Any:
    image = await _image(db_session, image_id)
    offset = -1 if (await request.form()).get("direction") == "up" else 1
    await ImageService(session=db_session).move(image, offset)
    await db_session.commit()
    return redirect(request, _back(image.product_id, "images"), message="Order saved.")


@post("/admin/shop/images/{image_id:uuid}/delete", permission=WRITE, **STAFF)
async def image_delete(
    request: Request[Any, Any, Any], db_session: DbSession, image_id: FromPath[UUID]
) -> Any:
    image = await _image(db_session, image_id)
    product_id = image.product_id
    await ImageService(session=db_session).remove(image, actor=actor(request))
    await db_session.commit()
    return redirect(request, _back(product_id, "images"), message="Picture removed.")


routes = [variants_generate, variant_update, image_add, image_update, image_move, image_delete]
