"""A digital product's download file: attached (stored once per content, any type) or removed by
staff, audited. Buyers get it only through their download links (orders), never from /media."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.shop.models import Product
from verso.lib.audit import Actor, audit
from verso.lib.storage import MAX_DIGITAL_FILE_BYTES, StorageError, StoredFile, store_file, upload_limit


async def attach_digital_file(
    session: AsyncSession,
    product: Product,
    data: bytes,
    *,
    filename: str,
    content_type: str | None,
    actor: Actor,
) -> StoredFile:
    """Store ``data`` and make it the file this digital product's paid orders download.

    Refused (:class:`StorageError`) for a product that is not digital, no file or an empty one, or
    one over :func:`upload_limit` of ``MAX_DIGITAL_FILE_BYTES``. Does not commit.
    """
    if not product.is_digital:
        raise StorageError("Tick “Digital product” and save before attaching a file.")
    if not data and not filename:
        raise StorageError("Choose a file to upload.")
    stored = await store_file(
        session,
        data,
        filename=filename,
        content_type=content_type,
        max_bytes=upload_limit(MAX_DIGITAL_FILE_BYTES).max_bytes,
    )
    audit(
        session,
        actor,
        "shop.product.file_attached",
        target_type="product",
        target_id=product.id,
        target_label=product.name,
        changes={
            "file": [product.digital_file_digest, stored.digest],
            "filename": stored.filename,
            "size": stored.size,
        },
    )
    product.digital_file_digest = stored.digest
    return stored


def remove_digital_file(session: AsyncSession, product: Product, *, actor: Actor) -> bool:
    """Detach the product's file (the bytes stay for links already sent); ``False`` if it had none.

    Does not commit.
    """
    if product.digital_file_digest is None:
        return False
    audit(
        session,
        actor,
        "shop.product.file_removed",
        target_type="product",
        target_id=product.id,
        target_label=product.name,
        changes={"file": [product.digital_file_digest, None]},
    )
    product.digital_file_digest = None
    return True
