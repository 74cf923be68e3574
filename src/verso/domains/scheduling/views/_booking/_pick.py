"""Choosing what and when: the list of appointment types at /book, and a type's page with its staff,
date and time-zone choice and that day's free times. A GET form carries every choice, so the page
works without JavaScript; htmx swaps only the times. A day with no times offers the next days that
have some, and the waitlist for that day."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.scheduling.models import AppointmentType
from verso.domains.scheduling.services import Booker, PolicyError, deposit_due, join_waitlist
from verso.domains.scheduling.views._booking._common import (
    PAGES,
    active_type,
    active_types,
    booking_cache,
    business_zone,
    chosen_staff,
    customer_zone,
    day_label,
    day_view,
    parse_day,
    zone_options,
)
from verso.domains.scheduling.views._booking._forms import TIMES_OF_DAY, parse_waitlist
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState
from verso.lib.htmx import is_htmx, redirect, render


@get("/book", permission=PUBLIC, middleware=[booking_cache.middleware], **PAGES)
async def book_index(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    kinds = await active_types(db_session)
    return render(request, "scheduling/book/index.html", {"kinds": kinds, "deposit_due": deposit_due})


def picker_url(slug: str, **params: Any) -> str:
    return f"/book/{slug}?{urlencode({k: str(v) for k, v in params.items() if v})}"


async def type_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    kind: AppointmentType,
    params: Any,
    *,
    waitlist: FormState | None = None,
    thanks: str = "",
    block: str = "slots",
    status_code: int = 200,
) -> Any:
    """The type's page for the choices in ``params`` (the query, or a posted waitlist form)."""
    staff, chosen = await chosen_staff(db_session, kind, params.get("staff"))
    staff_id = chosen.id if chosen else None
    zone, guessed = customer_zone(request, params.get("tz"))
    view = await day_view(
        db_session,
        kind,
        staff_id=staff_id,
        day=parse_day(params.get("date")),
        zone=zone,
        now=clock.utcnow(),
        staff=staff,
    )
    user = request.scope.get("user")
    context = {
        "kind": kind,
        "deposit_due": deposit_due,
        "staff": staff,
        "staff_id": staff_id,
        "zone": zone,
        "guessed_zone": guessed,
        "zone_options": zone_options(zone),
        "business_zone": business_zone(),
        "view": view,
        "times_of_day": TIMES_OF_DAY,
        "waitlist": waitlist
        or FormState(values={"name": user.display_name if user else "", "email": user.email if user else ""}),
        "thanks": thanks,
    }
    here = picker_url(kind.slug, date=view.day.isoformat(), staff=staff_id, tz=zone)
    return render(
        request,
        "scheduling/book/type.html",
        context,
        block=block,
        status_code=status_code,
        push_url=here if block == "slots" else None,
    )


@get("/book/{slug:str}", permission=PUBLIC, middleware=[booking_cache.middleware], **PAGES)
async def book_type(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    kind = await active_type(db_session, slug)
    return await type_page(request, db_session, kind, request.query_params)


@post("/book/{slug:str}/waitlist", permission=PUBLIC, **PAGES)
async def book_waitlist(request: Request[Any, Any, Any], db_session: DbSession, slug: FromPath[str]) -> Any:
    """Join the waitlist for the day on screen; the thank-you replaces the form (or comes as a
    message on the page after a plain post)."""
    kind = await active_type(db_session, slug)
    data = await request.form()
    form = parse_waitlist(data)
    day = parse_day(data.get("date"))
    if day is None:
        form.add_error("__all__", "Choose a day first.")
    if form.valid and day is not None:
        user = request.scope.get("user")
        zone, _guessed = customer_zone(request, data.get("tz"))
        _staff, chosen = await chosen_staff(db_session, kind, data.get("staff"))
        booker = Booker(
            name=form.values["name"].strip(),
            email=form.values["email"].strip().lower(),
            timezone=zone,
            customer_id=user.id if user else None,
        )
        try:
            await join_waitlist(
                db_session,
                kind,
                day=day,
                time_of_day=str(form.values.get("time_of_day") or "any"),
                booker=booker,
                staff_id=chosen.id if chosen else None,
                now=clock.utcnow(),
            )
        except PolicyError as error:
            await db_session.rollback()
            kind = await active_type(db_session, slug)
            form.add_error("__all__", error.message)
        else:
            await db_session.commit()
            thanks = f"Thank you: we will email you if a time comes free on {day_label(day)}."
            if is_htmx(request):
                return await type_page(request, db_session, kind, data, thanks=thanks, block="waitlist")
            back = picker_url(slug, date=day.isoformat(), staff=data.get("staff"), tz=data.get("tz"))
            return redirect(request, back, message=thanks)
    return await type_page(request, db_session, kind, data, waitlist=form, block="waitlist", status_code=422)


routes = [book_index, book_type, book_waitlist]
