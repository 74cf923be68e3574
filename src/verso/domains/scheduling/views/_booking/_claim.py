"""A waitlist offer: the link in the offer email shows the time that came free and books it in one
click (choosing how to pay, for a priced type), then the usual confirmation or payment. An offer past
its deadline (or already used) says so plainly."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.scheduling.models import AppointmentType, StaffMember, WaitlistEntry
from verso.domains.scheduling.services import (
    PolicyError,
    claim_offer,
    deposit_due,
    finish_booking,
    load_attendee,
    load_offer,
    manage_token,
    payment_choices,
)
from verso.domains.scheduling.views._booking._common import PAGES, moments
from verso.domains.scheduling.views._booking._details import after_booking, chosen_payment
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState
from verso.lib.htmx import render

EXPIRED = (
    "This offer has expired: the time was offered to someone else. You are welcome to choose another time."
)


async def _offer(session: AsyncSession, token: str) -> WaitlistEntry:
    entry = await load_offer(session, token)
    if entry is None:
        raise NotFoundException("This offer link is not valid.")
    return entry


async def _claim_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    entry: WaitlistEntry,
    problem: str,
    status_code: int,
    form: FormState | None = None,
) -> Any:
    kind = await session.get(AppointmentType, entry.type_id)
    choices = await payment_choices(session, kind) if kind else []
    form = form or FormState()
    staff = await session.get(StaffMember, entry.offered_staff_id) if entry.offered_staff_id else None
    context: dict[str, Any] = {
        "entry": entry,
        "kind": kind,
        "deposit": deposit_due(kind) if kind else None,
        "choices": choices,
        "form": form,
        "payment": form.values.get("payment") or (choices[0].key if choices else ""),
        "staff_name": staff.display_name if staff else "",
        "problem": problem,
        "done_url": f"/book/done/{manage_token(entry.attendee_id)}" if entry.attendee_id else "",
        **(moments(entry.offered_start, entry.timezone) if entry.offered_start else {}),
    }
    return render(request, "scheduling/book/claim.html", context, block="claim", status_code=status_code)


def _refusal(entry: WaitlistEntry) -> str:
    """Why the offer cannot be claimed any more ("" while it can)."""
    if entry.status == "booked":
        return "You have already booked this time."
    expires = entry.offer_expires_at
    if entry.status != "offered" or expires is None or clock.as_utc(expires) < clock.utcnow():
        return EXPIRED
    return ""


@get("/book/claim/{token:str}", permission=PUBLIC, **PAGES)
async def claim_form(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    entry = await _offer(db_session, token)
    problem = _refusal(entry)
    return await _claim_page(request, db_session, entry, problem, 410 if problem == EXPIRED else 200)


@post("/book/claim/{token:str}", permission=PUBLIC, **PAGES)
async def claim_submit(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    entry = await _offer(db_session, token)
    kind = await db_session.get(AppointmentType, entry.type_id)
    form = FormState()
    provider = chosen_payment(
        form, (await request.form()).get("payment"), await payment_choices(db_session, kind) if kind else []
    )
    if not form.valid:
        return await _claim_page(request, db_session, entry, "", 422, form)
    now = clock.utcnow()
    try:
        attendee = await claim_offer(db_session, entry, now=now)
        booked = await load_attendee(db_session, attendee.id)
        assert booked is not None
        must_pay = await finish_booking(db_session, booked, provider, now=now)
    except PolicyError as error:
        await db_session.rollback()
        entry = await _offer(db_session, token)
        return await _claim_page(
            request, db_session, entry, error.message, 410 if _refusal(entry) == EXPIRED else 422, form
        )
    await db_session.commit()
    return await after_booking(request, db_session, booked.id, provider if must_pay else "")


routes = [claim_form, claim_submit]
