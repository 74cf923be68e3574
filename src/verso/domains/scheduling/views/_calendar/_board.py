"""The calendar (day, week, month; htmx swaps its body, every link is a real URL) and the
private calendar feeds of staff members and resources, with the public feed download."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.params import FromPath
from msgspec import Meta

from verso.domains.identity.permissions import PUBLIC
from verso.domains.scheduling.calendars import ICS_MEDIA_TYPE
from verso.domains.scheduling.services import (
    BookingError,
    PolicyError,
    feed_for_token,
    feed_path,
    issue_feed,
    load_appointment,
    move_appointment,
    revoke_feed,
)
from verso.domains.scheduling.services._calendar import calendar_page, calendar_query, feed_owner, utc_moment
from verso.domains.scheduling.views._calendar._common import (
    CALENDAR,
    FEED_KINDS,
    NO_STORE,
    READ,
    STAFF,
    WRITE,
    T,
    today,
    zone,
)
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import parse_form
from verso.lib.htmx import is_htmx, redirect, render, toast_header
from verso.server.navigation import NavEntry
from verso.settings import get_settings


async def _calendar(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    *,
    block: str = "calendar",
    revealed: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    day = today()
    query = calendar_query(request.query_params, today=day)
    page = await calendar_page(db_session, query, zone=zone(), today=day)
    context = {"page": page, "zone": zone(), "revealed": revealed}
    return render(request, T + "index.html", context, block=block, status_code=status_code, headers=headers)


@get(
    CALENDAR,
    permission=READ,
    nav=NavEntry("Scheduling", "Calendar", 1, "calendar", also=("/admin/scheduling/appointments",)),
    **STAFF,
)
async def calendar(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _calendar(request, db_session)


class DroppedOn(msgspec.Struct):
    """Where js/calendar-drag.js dropped an appointment: a day and hour in the business zone (the
    minutes it started at are kept), and in the day view the staff member's column."""

    appointment: UUID
    day: date
    hour: Annotated[int, Meta(ge=0, le=23)]
    minute: Annotated[int, Meta(ge=0, le=59)]
    staff: UUID | None = None


@post(f"{CALENDAR}/move", permission=WRITE, **STAFF)
async def calendar_move(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """Move a dropped appointment with the rules of the appointment page's Move form, then answer
    the calendar (its query in the URL) with a toast: the move, or why it was refused (409)."""
    data, _form = parse_form(await request.form(), DroppedOn)
    appointment = await load_appointment(db_session, data.appointment) if data else None
    if data is None or appointment is None:
        toast = toast_header("That appointment could not be moved: reload the calendar.", "error")
        return await _calendar(request, db_session, headers=toast, status_code=422)
    start = utc_moment(data.day, time(data.hour, data.minute), zone())
    try:
        await move_appointment(db_session, appointment, start, now=clock.utcnow(), staff_id=data.staff)
    except (BookingError, PolicyError) as error:
        await db_session.rollback()
        return await _calendar(
            request, db_session, headers=toast_header(error.message, "error"), status_code=409
        )
    await db_session.commit()
    message = "Appointment moved; the attendees are sent the new time."
    return await _calendar(request, db_session, headers=toast_header(message))


async def _feed_owner(db_session: DbSession, kind: str, owner_id: UUID) -> str:
    name = await feed_owner(db_session, kind, owner_id) if kind in FEED_KINDS else None
    if name is None:
        raise NotFoundException("No such staff member or resource.")
    return name


@post(f"{CALENDAR}/feeds/{{kind:str}}/{{owner_id:uuid}}", permission=WRITE, **STAFF)
async def feed_issue(
    request: Request[Any, Any, Any], db_session: DbSession, kind: FromPath[str], owner_id: FromPath[UUID]
) -> Any:
    """A new feed URL (the old one stops working), shown this once: the page answers directly."""
    name = await _feed_owner(db_session, kind, owner_id)
    token = await issue_feed(db_session, kind, owner_id)
    await db_session.commit()
    url = get_settings().base_url.rstrip("/") + feed_path(token)
    headers = NO_STORE | toast_header(f"New calendar feed for {name}.")
    return await _calendar(
        request, db_session, block="feeds", revealed=(name, url), headers=headers, status_code=201
    )


@post(f"{CALENDAR}/feeds/{{kind:str}}/{{owner_id:uuid}}/revoke", permission=WRITE, **STAFF)
async def feed_revoke(
    request: Request[Any, Any, Any], db_session: DbSession, kind: FromPath[str], owner_id: FromPath[UUID]
) -> Any:
    name = await _feed_owner(db_session, kind, owner_id)
    await revoke_feed(db_session, kind, owner_id)
    await db_session.commit()
    message = f"The calendar feed for {name} is revoked."
    if is_htmx(request):
        return await _calendar(request, db_session, block="feeds", headers=toast_header(message))
    back = f"{CALENDAR}?{request.url.query}" if request.url.query else CALENDAR
    return redirect(request, back, message=message)


# Calendar apps poll a feed every few minutes at most; more than this for one feed is a script.
FEED_DOWNLOADS_PER_MINUTE = 12
FEED_RATE = RateLimitConfig(
    rate_limit=("minute", FEED_DOWNLOADS_PER_MINUTE), identifier_for_request=lambda request: request.url.path
)


@get("/calendars/{feed_file:str}", permission=PUBLIC, middleware=[FEED_RATE.middleware], **STAFF)
async def public_feed(db_session: DbSession, feed_file: FromPath[str]) -> Response[bytes]:
    """A subscribed calendar's download; the token in the URL is the only credential. Each feed
    answers at most ``FEED_DOWNLOADS_PER_MINUTE`` times a minute (429 with Retry-After beyond)."""
    token, dot, extension = feed_file.rpartition(".")
    document = await feed_for_token(db_session, token) if dot and extension == "ics" else None
    if document is None:
        raise NotFoundException("No such calendar.")
    # Set outright: Litestar would add a second charset to a text/* media type.
    headers = {"content-type": ICS_MEDIA_TYPE, "Cache-Control": "private, max-age=300"}
    return Response(document, media_type=ICS_MEDIA_TYPE, headers=headers)


routes = [calendar, calendar_move, feed_issue, feed_revoke, public_feed]
