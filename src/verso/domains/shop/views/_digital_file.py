"""The download file of a digital product: what a paid order's download link serves.

Staff attach, replace or remove it from the product page. The file is kept by ``lib.storage`` like any
upload but is never public: the ``/media`` routes serve images only, so it leaves only through a
download link. Nothing the shop shows changes, so the catalogue version is not bumped. Removing or
replacing the file leaves the stored bytes in place: links already sent name their file by digest
and keep working.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from verso.domains.identity.deps import actor
from verso.domains.shop.services._digital_file import attach_digital_file, remove_digital_file
from verso.domains.shop.views._products import STAFF, WRITE, _edit_page, _form_values, product_or_404
from verso.lib.db import DbSession
from verso.lib.forms import NON_FIELD, FormState, form_from
from verso.lib.htmx import redirect
from verso.lib.storage import StorageError

FIELD = "file"


def _back(product_id: UUID) -> str:
    return f"/admin/shop/products/{product_id}#download-file"


@post("/admin/shop/products/{product_id:uuid}/file", permission=WRITE, **STAFF)
async def file_upload(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    """Attach or replace the file; a refusal re-renders the product page with the reason (422)."""
    product = await product_or_404(db_session, product_id)
    upload = (await request.form()).get(FIELD)
    uploaded = isinstance(upload, UploadFile) and bool(upload.filename)
    try:
        stored = await attach_digital_file(
            db_session,
            product,
            await upload.read() if uploaded else b"",
            filename=upload.filename if uploaded else "",
            content_type=upload.content_type if uploaded else None,
            actor=actor(request),
        )
    except StorageError as exc:
        await db_session.rollback()
        file_form = FormState()
        product = await product_or_404(db_session, product_id)
        file_form.add_error(FIELD if product.is_digital else NON_FIELD, str(exc))
        form = form_from(_form_values(product))
        return await _edit_page(
            request, db_session, product, form, HTTP_422_UNPROCESSABLE_ENTITY, file_form=file_form
        )
    await db_session.commit()
    return redirect(request, _back(product_id), message=f"“{stored.filename or 'File'}” attached.")


@post("/admin/shop/products/{product_id:uuid}/file/delete", permission=WRITE, **STAFF)
async def file_remove(
    request: Request[Any, Any, Any], db_session: DbSession, product_id: FromPath[UUID]
) -> Any:
    product = await product_or_404(db_session, product_id)
    removed = remove_digital_file(db_session, product, actor=actor(request))
    await db_session.commit()
    return redirect(request, _back(product_id), message="File removed." if removed else "No file to remove.")


routes = [file_upload, file_remove]
