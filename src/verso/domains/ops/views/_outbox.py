"""The email outbox: every email Verso wrote, readable rendered; send, retry, send a test."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY
from sqlalchemy import select

from verso.domains.identity.deps import actor
from verso.domains.ops.forms import TestEmailForm
from verso.domains.ops.services import business_cache
from verso.lib import email
from verso.lib.audit import audit
from verso.lib.db import DbSession
from verso.lib.forms import FormState, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, Filter, TableQuery, paginate
from verso.server.navigation import NavEntry

ADMIN = {"setup_gate": True}
READ, WRITE = "ops.outbox.read", "ops.outbox.write"
STATUS_FILTER = Filter(
    "status", "Status", [("", "Any status"), *[(s, s.capitalize()) for s in email.STATUSES]]
)
COLUMNS = [
    Column("created_at", "Written", sortable=True),
    Column("to_address", "To", sortable=True),
    Column("subject", "Subject", sortable=True),
    Column("status", "Status"),
    Column("attempts", "Attempts", numeric=True),
]
# The email body is shown in a sandboxed frame: its own styles, no scripts, no network.
BODY_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"


async def _outbox_page(
    request: Request[Any, Any, Any], db_session: DbSession, form: FormState, status_code: int = 200
) -> Any:
    query = TableQuery.from_params(
        request.query_params,
        sortable=["created_at", "to_address", "subject"],
        default_sort="created_at",
        default_direction="desc",
        filters=[STATUS_FILTER],
    )
    page = await paginate(
        db_session,
        select(email.OutboxEmail),
        query,
        base_url="/admin/outbox",
        filters=[STATUS_FILTER],
        sort_columns={
            "created_at": email.OutboxEmail.created_at,
            "to_address": email.OutboxEmail.to_address,
            "subject": email.OutboxEmail.subject,
        },
        search_columns=[email.OutboxEmail.to_address, email.OutboxEmail.subject],
        filter_columns={"status": email.OutboxEmail.status},
    )
    return render(
        request,
        "ops/outbox/index.html",
        {
            "page": page,
            "columns": COLUMNS,
            "form": form,
            "smtp": email.smtp_configured(),
        },
        block="table",
        status_code=status_code,
    )


@get("/admin/outbox", permission=READ, nav=NavEntry("Operations", "Outbox", order=60, icon="mail"), **ADMIN)
async def outbox_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _outbox_page(request, db_session, FormState())


async def _load(db_session: DbSession, outbox_id: FromPath[int]) -> email.OutboxEmail:
    row = await db_session.get(email.OutboxEmail, outbox_id)
    if row is None:
        raise NotFoundException()
    return row


@get("/admin/outbox/{outbox_id:int}", permission=READ, **ADMIN)
async def outbox_detail(
    request: Request[Any, Any, Any], db_session: DbSession, outbox_id: FromPath[int]
) -> Any:
    row = await _load(db_session, outbox_id)
    return render(request, "ops/outbox/detail.html", {"mail": row, "smtp": email.smtp_configured()})


@get("/admin/outbox/{outbox_id:int}/body", permission=READ, **ADMIN)
async def outbox_body(db_session: DbSession, outbox_id: FromPath[int]) -> Response[str]:
    row = await _load(db_session, outbox_id)
    return Response(
        content=row.html_body,
        media_type="text/html",
        headers={"Content-Security-Policy": BODY_CSP, "Cache-Control": "no-store"},
    )


@get("/admin/outbox/{outbox_id:int}/attachments/{index:int}", permission=READ, **ADMIN)
async def outbox_attachment(
    db_session: DbSession, outbox_id: FromPath[int], index: FromPath[int]
) -> Response[bytes]:
    """One attachment of the email (a calendar invitation, say), downloaded as its recipient gets it."""
    attachments = (await _load(db_session, outbox_id)).attachments or []
    if not 0 <= index < len(attachments):
        raise NotFoundException()
    item = attachments[index]
    name = "".join(c for c in item["filename"] if c.isalnum() or c in "._-") or "attachment"
    headers = {  # the content type as stored (it may carry a method=): Litestar would add a charset
        "content-type": item["content_type"],
        "content-disposition": f'attachment; filename="{name}"',
        "cache-control": "no-store",
    }
    return Response(item["content"].encode(), headers=headers)


@post("/admin/outbox/{outbox_id:int}/send", permission=WRITE, **ADMIN)
async def outbox_send(
    request: Request[Any, Any, Any], db_session: DbSession, outbox_id: FromPath[int]
) -> Any:
    try:
        row = await email.queue_for_delivery(db_session, outbox_id)
    except email.OutboxNotFoundError as exc:
        raise NotFoundException() from exc
    except email.EmailError as exc:
        await db_session.rollback()
        return redirect(request, f"/admin/outbox/{outbox_id}", message=str(exc), level="error")
    audit(
        db_session,
        actor(request),
        "email.queued",
        target_type="email",
        target_id=outbox_id,
        target_label=row.to_address,
    )
    await db_session.commit()
    return redirect(request, f"/admin/outbox/{outbox_id}", message="Queued for delivery.")


@post("/admin/outbox/test", permission=WRITE, **ADMIN)
async def outbox_test(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), TestEmailForm)
    if data is None:
        return await _outbox_page(request, db_session, form, HTTP_422_UNPROCESSABLE_ENTITY)
    business = business_cache.current()
    row = await email.send_email(
        db_session,
        to=data.to,
        subject=f"Test email from {business.name}",
        template="test_message",
        context={"business_name": business.name},
        default_sender=business.contact_email or None,
    )
    audit(db_session, actor(request), "email.test", target_type="email", target_label=data.to)
    await db_session.commit()
    message = (
        "Test email queued."
        if row.status == email.QUEUED
        else "Test email written to the outbox (SMTP is off)."
    )
    return redirect(request, f"/admin/outbox/{row.id}", message=message)


routes = [outbox_index, outbox_detail, outbox_body, outbox_attachment, outbox_send, outbox_test]
