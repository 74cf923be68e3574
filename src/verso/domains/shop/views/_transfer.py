"""CSV import and export of products with their variants.

Export streams the file. Import keeps the upload as a run that background jobs check and apply; the
run's page shows the progress (htmx polls its fragment every second, a refresh without JavaScript),
then the preview and the errors by row, and the Apply button when nothing is wrong.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.shop.forms import add_errors
from verso.domains.shop.models import ImportRun
from verso.domains.shop.services import (
    MAX_FILE_BYTES,
    PRODUCT_COLUMNS,
    VARIANT_COLUMNS,
    ExportFilter,
    ImportRunService,
    ProductError,
    Uploader,
    export_csv,
)
from verso.domains.shop.views._products import READ, STAFF, WRITE
from verso.lib import clock
from verso.lib.db import DbSession, session_factory
from verso.lib.forms import FormState
from verso.lib.htmx import VARY, redirect, render

IMPORTS = "/admin/shop/products/import"


def _uploader(request: Request[Any, Any, Any]) -> Uploader:
    who = actor(request)
    return Uploader(UUID(who.id) if who.id else None, who.label)


@get("/admin/shop/products/export", permission=READ, **STAFF)
async def products_export(request: Request[Any, Any, Any]) -> Stream:
    """The products (the list's current filters applied) as a CSV download."""
    params = request.query_params
    selection = ExportFilter(
        status=params.get("status") or "",
        stock=params.get("stock") or "",
        category=params.get("category") or "",
        q=params.get("q") or "",
    )
    business = business_cache.current()
    day = clock.to_zone(clock.utcnow(), business.timezone).date().isoformat()
    return Stream(
        export_csv(session_factory(), business.currency, selection),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="products-{day}.csv"',
            "Cache-Control": "no-store",
            **VARY,
        },
    )


async def _import_page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status_code: int = 200
) -> Any:
    return render(
        request,
        "shop/products/import.html",
        {
            "form": form,
            "runs": await ImportRunService(session=db_session).recent(),
            "product_columns": PRODUCT_COLUMNS,
            "variant_columns": VARIANT_COLUMNS,
            "max_megabytes": MAX_FILE_BYTES // (1024 * 1024),
        },
        status_code=status_code,
    )


@get(IMPORTS, permission=WRITE, **STAFF)
async def import_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _import_page(request, db_session, FormState())


@post(IMPORTS, permission=WRITE, request_max_body_size=MAX_FILE_BYTES + 1024 * 1024, **STAFF)
async def import_upload(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    upload = (await request.form()).get("file")
    data = await upload.read() if isinstance(upload, UploadFile) and upload.filename else b""
    try:
        run = await ImportRunService(session=db_session).upload(
            data,
            upload.filename if isinstance(upload, UploadFile) else "",
            currency=business_cache.current().currency,
            by=_uploader(request),
        )
    except ProductError as exc:
        await db_session.rollback()
        form = FormState()
        add_errors(form, exc.errors)
        return await _import_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)
    await db_session.commit()
    return redirect(request, f"{IMPORTS}/{run.id}", message="File uploaded; its rows are being checked.")


async def _run_or_404(db_session: DbSession, run_id: UUID) -> ImportRun:
    run = await db_session.get(ImportRun, run_id)
    if run is None:
        raise NotFoundException("No such import.")
    return run


@get(f"{IMPORTS}/{{run_id:uuid}}", permission=WRITE, **STAFF)
async def import_run(request: Request[Any, Any, Any], db_session: DbSession, run_id: FromPath[UUID]) -> Any:
    """The run's page; an htmx request (the poll) gets only its ``run`` block."""
    run = await _run_or_404(db_session, run_id)
    return render(request, "shop/products/import_run.html", {"run": run}, block="run")


@post(f"{IMPORTS}/{{run_id:uuid}}/apply", permission=WRITE, **STAFF)
async def import_apply(request: Request[Any, Any, Any], db_session: DbSession, run_id: FromPath[UUID]) -> Any:
    run = await _run_or_404(db_session, run_id)
    try:
        await ImportRunService(session=db_session).start_apply(run, by=_uploader(request))
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, f"{IMPORTS}/{run_id}", message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, f"{IMPORTS}/{run_id}", message="Applying the import…")


@post(f"{IMPORTS}/{{run_id:uuid}}/delete", permission=WRITE, **STAFF)
async def import_discard(
    request: Request[Any, Any, Any], db_session: DbSession, run_id: FromPath[UUID]
) -> Any:
    run = await _run_or_404(db_session, run_id)
    try:
        await ImportRunService(session=db_session).discard(run)
    except ProductError as exc:
        await db_session.rollback()
        return redirect(request, f"{IMPORTS}/{run_id}", message=" ".join(exc.errors.values()), level="error")
    await db_session.commit()
    return redirect(request, IMPORTS, message=f"“{run.filename}” discarded.")


routes = [products_export, import_page, import_upload, import_run, import_apply, import_discard]
