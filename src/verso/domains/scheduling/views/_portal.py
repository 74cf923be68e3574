"""The customer's own appointments at /account/appointments: upcoming and past bookings in their time
zone, one booking's page with its check-in QR code, cancelling within the type's policy (the fee shown
before the button), a link to the public reschedule page, and their private "my bookings" calendar
feed (its address shown once, revocable).

Only bookings made while signed in belong here (``Attendee.customer_id``): matching by email would
show a booking to whoever registers that address. Anyone else's booking answers 404, like a missing one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.deps import require_user
from verso.domains.identity.permissions import AUTHENTICATED
from verso.domains.scheduling.models import Attendee
from verso.domains.scheduling.services import (
    PolicyError,
    cancel_attendee,
    cancelled_message,
    checkin_url,
    customer_bookings,
    feed_path,
    has_feed,
    issue_feed,
    load_attendee,
    manage_token,
    payment_view,
    policy_view,
    qr_svg,
    revoke_feed,
)
from verso.domains.scheduling.views._booking._common import customer_zone, moments
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.htmx import redirect, render
from verso.settings import get_settings

BASE = "/account/appointments"
T = "scheduling/portal/"
ACCOUNT = {"setup_gate": True}
FEED = "customer"
PAST_SHOWN = 50  # the most recent past bookings listed
NO_STORE = {"Cache-Control": "no-store"}  # the page that shows the feed address is never cached


async def _own(session: AsyncSession, request: Request[Any, Any, Any], attendee_id: UUID) -> Attendee:
    attendee = await load_attendee(session, attendee_id)
    if attendee is None or attendee.customer_id != require_user(request).id:
        raise NotFoundException("No such booking.")
    return attendee


def _zone(request: Request[Any, Any, Any]) -> str:
    """The person's own zone (their profile's, else the business's) for every time shown here."""
    return customer_zone(request, "")[0]


async def _index(
    request: Request[Any, Any, Any], session: AsyncSession, *, feed_url: str = "", status_code: int = 200
) -> Any:
    user = require_user(request)
    now = clock.utcnow()
    bookings = await customer_bookings(session, user.id)
    context = {
        "upcoming": [b for b in bookings if b.appointment.end_at > now],
        "past": [b for b in reversed(bookings) if b.appointment.end_at <= now][:PAST_SHOWN],
        "past_shown": PAST_SHOWN,
        "zone": _zone(request),
        "has_feed": await has_feed(session, FEED, user.id),
        "feed_url": feed_url,
    }
    headers = NO_STORE if feed_url else None
    return render(
        request, T + "index.html", context, block="appointments", status_code=status_code, headers=headers
    )


async def _detail(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    attendee: Attendee,
    *,
    problem: str = "",
    status_code: int = 200,
) -> Any:
    now, appointment = clock.utcnow(), attendee.appointment
    cancelled = attendee.status != "confirmed" or appointment.status == "cancelled"
    expected = not cancelled and appointment.status in ("scheduled", "confirmed") and appointment.end_at > now
    context = {
        "attendee": attendee,
        "policy": policy_view(attendee, now=now),
        "token": manage_token(attendee.id),
        "qr": qr_svg(checkin_url(attendee)) if expected else "",
        "cancelled": cancelled,
        "pay": await payment_view(session, attendee),
        "problem": problem,
        **moments(appointment.start_at, _zone(request)),
    }
    return render(request, T + "detail.html", context, block="booking", status_code=status_code)


@get(BASE, permission=AUTHENTICATED, **ACCOUNT)
async def appointments_page(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    return await _index(request, db_session)


@get(f"{BASE}/{{attendee_id:uuid}}", permission=AUTHENTICATED, **ACCOUNT)
async def appointment_page(
    request: Request[Any, Any, Any], db_session: DbSession, attendee_id: FromPath[UUID]
) -> Any:
    return await _detail(request, db_session, await _own(db_session, request, attendee_id))


@post(f"{BASE}/{{attendee_id:uuid}}/cancel", permission=AUTHENTICATED, **ACCOUNT)
async def cancel_booking(
    request: Request[Any, Any, Any], db_session: DbSession, attendee_id: FromPath[UUID]
) -> Any:
    attendee = await _own(db_session, request, attendee_id)
    try:
        fee = await cancel_attendee(db_session, attendee, now=clock.utcnow(), by_staff=False)
    except PolicyError as error:
        await db_session.rollback()
        attendee = await _own(db_session, request, attendee_id)
        return await _detail(request, db_session, attendee, problem=error.message, status_code=422)
    await db_session.commit()
    return redirect(request, f"{BASE}/{attendee_id}", message=cancelled_message(fee))


@post(f"{BASE}/feed", permission=AUTHENTICATED, **ACCOUNT)
async def feed_issue(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    """A new address for the person's calendar app (any earlier one stops working), shown once."""
    token = await issue_feed(db_session, FEED, require_user(request).id)
    await db_session.commit()
    url = get_settings().base_url.rstrip("/") + feed_path(token)
    return await _index(request, db_session, feed_url=url, status_code=201)


@post(f"{BASE}/feed/revoke", permission=AUTHENTICATED, **ACCOUNT)
async def feed_revoke(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
    await revoke_feed(db_session, FEED, require_user(request).id)
    await db_session.commit()
    return redirect(
        request, BASE, message="Your calendar feed is revoked: subscribed calendars stop updating."
    )


routes = [appointments_page, appointment_page, cancel_booking, feed_issue, feed_revoke]
