"""Product pictures: stored through the media store, ordered, one primary, alt text required."""

from __future__ import annotations

from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select, update

from verso.domains.shop.models import Product, ProductImage
from verso.domains.shop.models._catalog import IMAGE_TYPES
from verso.domains.shop.services._products import ProductError
from verso.domains.shop.services._version import catalog_changed
from verso.lib.audit import Actor, audit
from verso.lib.storage import StorageError, store_image

MAX_IMAGES = 30
MAX_ALT = 250


def _description_errors(alt_text: str, image_type: str) -> dict[str, str]:
    """What is wrong with a picture's alt text and kind (the same rules on upload and on edit)."""
    errors: dict[str, str] = {}
    if not alt_text.strip():
        errors["alt_text"] = "Describe the picture for people who cannot see it (alt text)."
    elif len(alt_text.strip()) > MAX_ALT:
        errors["alt_text"] = f"Must be at most {MAX_ALT} characters."
    if image_type not in IMAGE_TYPES:
        errors["image_type"] = "Choose one of the options."
    return errors


class ImageService(SQLAlchemyAsyncRepositoryService[ProductImage]):
    class Repo(SQLAlchemyAsyncRepository[ProductImage]):
        model_type = ProductImage

    repository_type = Repo

    async def for_product(self, product_id: UUID) -> list[ProductImage]:
        return list(
            (
                await self.repository.session.scalars(
                    select(ProductImage)
                    .where(ProductImage.product_id == product_id)
                    .order_by(ProductImage.position)
                )
            ).all()
        )

    async def add_image(
        self,
        product: Product,
        data: bytes,
        *,
        filename: str,
        alt_text: str,
        image_type: str = "photo",
        actor: Actor,
    ) -> ProductImage:
        """Check, store and attach an upload; the first picture becomes the primary one."""
        session = self.repository.session
        errors = _description_errors(alt_text, image_type)
        count = await session.scalar(
            select(func.count()).select_from(ProductImage).where(ProductImage.product_id == product.id)
        )
        if (count or 0) >= MAX_IMAGES:
            errors["image"] = f"A product can have at most {MAX_IMAGES} pictures."
        if not data:
            errors["image"] = "Choose a picture to upload."
        if errors:
            raise ProductError(errors)
        try:
            stored = await store_image(session, data, filename=filename)
        except StorageError as exc:
            raise ProductError({"image": str(exc)}) from exc
        image = ProductImage(
            product_id=product.id,
            digest=stored.digest,
            alt_text=alt_text.strip(),
            image_type=image_type,
            position=count or 0,
            is_primary=not count,
            width=stored.width,
            height=stored.height,
        )
        session.add(image)
        await session.flush()
        audit(
            session,
            actor,
            "shop.product.image_added",
            target_type="product",
            target_id=product.id,
            target_label=product.name,
            changes={"image": [None, stored.digest[:12]]},
        )
        catalog_changed(session)
        return image

    async def update_image(
        self, image: ProductImage, *, alt_text: str, image_type: str, primary: bool
    ) -> ProductImage:
        session = self.repository.session
        errors = _description_errors(alt_text, image_type)
        if errors:
            raise ProductError(errors)
        image.alt_text, image.image_type = alt_text.strip(), image_type
        if primary and not image.is_primary:
            await session.execute(
                update(ProductImage)
                .where(ProductImage.product_id == image.product_id)
                .values(is_primary=False)
            )
            image.is_primary = True
        await session.flush()
        catalog_changed(session)
        return image

    async def move(self, image: ProductImage, offset: int) -> None:
        """Move a picture up (-1) or down (+1) in the gallery order."""
        images = await self.for_product(image.product_id)
        index = next(i for i, candidate in enumerate(images) if candidate.id == image.id)
        target = max(0, min(len(images) - 1, index + offset))
        images.insert(target, images.pop(index))
        for position, candidate in enumerate(images):
            candidate.position = position
        await self.repository.session.flush()
        catalog_changed(self.repository.session)

    async def remove(self, image: ProductImage, *, actor: Actor) -> None:
        """Detach a picture; if it was the primary one, the next becomes primary. The stored file stays
        (other products may share the same bytes)."""
        session = self.repository.session
        product_id, was_primary = image.product_id, image.is_primary
        await session.delete(image)
        await session.flush()
        if was_primary:
            remaining = await self.for_product(product_id)
            if remaining:
                remaining[0].is_primary = True
        audit(
            session,
            actor,
            "shop.product.image_removed",
            target_type="product",
            target_id=product_id,
            changes={"image": [image.digest[:12], None]},
        )
        await session.flush()
        catalog_changed(session)
