"""After booking, through the signed link (no sign-in): the confirmation with the check-in QR code,
the .ics download, and the manage page where the customer cancels or reschedules within the type's
policy. A forged or mangled link is a 404; a refusal of the policy is a 422 with its message."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.permissions import PUBLIC
from verso.domains.scheduling.calendars import ICS_MEDIA_TYPE, attachment_name, invitation
from verso.domains.scheduling.models import Attendee
from verso.domains.scheduling.services import (
    BookingError,
    PolicyError,
    answer_proposal,
    calendar_event,
    cancel_attendee,
    cancelled_message,
    checkin_url,
    deposit_due,
    local_time,
    manage_token,
    payment_view,
    pending_proposal,
    policy_view,
    qr_svg,
    reschedule_attendee,
)
from verso.domains.scheduling.views._booking._common import (
    PAGES,
    booking_for,
    business_zone,
    customer_zone,
    day_view,
    moments,
    parse_day,
    parse_start,
    start_param,
    zone_options,
)
from verso.domains.scheduling.views._booking._details import pay_for
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.htmx import redirect, render


def _facts(attendee: Attendee) -> dict[str, Any]:
    """What every after-booking page shows: the booking, its time in both zones, its price."""
    return {
        "attendee": attendee,
        "kind": attendee.appointment.type,
        "deposit": deposit_due(attendee.appointment.type),
        "token": manage_token(attendee.id),
        **moments(attendee.appointment.start_at, attendee.timezone),
    }


@get("/book/done/{token:str}", permission=PUBLIC, **PAGES)
async def booking_done(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    """The confirmation; back from the card page (``paid=1``) before the payment's news arrived, it
    says the payment is being confirmed."""
    attendee = await booking_for(db_session, token)
    context = {
        **_facts(attendee),
        "pay": await payment_view(db_session, attendee),
        "returned": request.query_params.get("paid") == "1",
        "qr": qr_svg(checkin_url(attendee)),
    }
    return render(request, "scheduling/book/done.html", context)


@post("/book/manage/{token:str}/pay", permission=PUBLIC, **PAGES)
async def booking_pay(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    """Try the card again (declined, or the card page was left) while the time is still held."""
    attendee = await booking_for(db_session, token)
    pay = await payment_view(db_session, attendee)
    if pay is None or pay.status != "pending" or not pay.hold_until:
        return await _manage_page(
            request,
            db_session,
            attendee,
            problem="This booking has no card payment to make.",
            status_code=409,
        )
    return await pay_for(request, db_session, attendee.id, pay.provider, f"/book/done/{token}")


@get("/book/manage/{token:str}/appointment.ics", permission=PUBLIC, **PAGES)
async def booking_ics(db_session: DbSession, token: FromPath[str]) -> Response[bytes]:
    """This booking as an invitation file for the customer's calendar (a cancelled one cancels)."""
    attendee = await booking_for(db_session, token)
    appointment = attendee.appointment
    cancelled = attendee.status != "confirmed" or appointment.status == "cancelled"
    body = invitation(
        calendar_event(appointment, [attendee], attendee.timezone), now=clock.utcnow(), cancel=cancelled
    )
    filename = attachment_name(appointment.type.slug)
    headers = {  # content-type set here: Litestar would add a second charset to the media type
        "content-type": ICS_MEDIA_TYPE,
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store",
    }
    return Response(body, media_type=ICS_MEDIA_TYPE, headers=headers)


async def _manage_page(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    attendee: Attendee,
    *,
    problem: str = "",
    status_code: int = 200,
) -> Any:
    policy = policy_view(attendee, now=clock.utcnow())
    proposal = await pending_proposal(db_session, attendee.appointment_id)
    context = {
        **_facts(attendee),
        "pay": await payment_view(db_session, attendee),
        "policy": policy,
        "problem": problem,
        "proposal": proposal,
        "proposed_when": local_time(proposal.proposed_start, attendee.timezone) if proposal else "",
    }
    return render(request, "scheduling/book/manage.html", context, block="manage", status_code=status_code)


@get("/book/manage/{token:str}", permission=PUBLIC, **PAGES)
async def booking_manage(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    return await _manage_page(request, db_session, await booking_for(db_session, token))


@post("/book/manage/{token:str}/cancel", permission=PUBLIC, **PAGES)
async def booking_cancel(request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]) -> Any:
    attendee = await booking_for(db_session, token)
    try:
        fee = await cancel_attendee(db_session, attendee, now=clock.utcnow(), by_staff=False)
    except PolicyError as error:
        await db_session.rollback()
        return await _manage_page(
            request, db_session, await booking_for(db_session, token), problem=error.message, status_code=422
        )
    await db_session.commit()
    return redirect(request, f"/book/manage/{token}", message=cancelled_message(fee))


@post("/book/manage/{token:str}/proposal", permission=PUBLIC, **PAGES)
async def booking_proposal(
    request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]
) -> Any:
    """The customer accepts or declines the new time staff proposed (``answer`` = accept | decline)."""
    attendee = await booking_for(db_session, token)
    proposal = await pending_proposal(db_session, attendee.appointment_id)
    accept = (await request.form()).get("answer") == "accept"
    if proposal is None:
        return await _manage_page(
            request,
            db_session,
            attendee,
            problem="There is no new time waiting for your answer.",
            status_code=422,
        )
    try:
        await answer_proposal(db_session, proposal, accept=accept, now=clock.utcnow())
    except (PolicyError, BookingError) as error:
        await db_session.rollback()
        return await _manage_page(
            request, db_session, await booking_for(db_session, token), problem=error.message, status_code=409
        )
    await db_session.commit()
    message = (
        "Your booking has moved to the new time." if accept else "You kept your booking's original time."
    )
    return redirect(request, f"/book/manage/{token}", message=message)


async def _reschedule_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    attendee: Attendee,
    params: Any,
    *,
    problem: str = "",
    status_code: int = 200,
) -> Any:
    """A day of free times with the same person (the booking itself does not block them); a
    chosen time (``start``) asks for confirmation before it moves anything."""
    now = clock.utcnow()
    zone, _guessed = customer_zone(request, params.get("tz") or attendee.timezone)
    appointment = attendee.appointment
    view = await day_view(
        session,
        appointment.type,
        staff_id=appointment.staff_id,
        day=parse_day(params.get("date")),
        zone=zone,
        now=now,
        moving=attendee,
    )
    chosen = parse_start(params.get("start"))
    token = manage_token(attendee.id)
    context = {
        **_facts(attendee),
        "policy": policy_view(attendee, now=now),
        "view": view,
        "zone": zone,
        "zone_options": zone_options(zone),
        "business_zone": business_zone(),
        "chosen": start_param(chosen) if chosen else "",
        "chosen_when": local_time(chosen, zone) if chosen else "",
        "problem": problem,
    }
    here = f"/book/manage/{token}/reschedule?date={view.day.isoformat()}&tz={zone}"
    return render(
        request,
        "scheduling/book/reschedule.html",
        context,
        block="slots",
        status_code=status_code,
        push_url=here,
    )


@get("/book/manage/{token:str}/reschedule", permission=PUBLIC, **PAGES)
async def reschedule_form(
    request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]
) -> Any:
    attendee = await booking_for(db_session, token)
    return await _reschedule_page(request, db_session, attendee, request.query_params)


@post("/book/manage/{token:str}/reschedule", permission=PUBLIC, **PAGES)
async def reschedule_submit(
    request: Request[Any, Any, Any], db_session: DbSession, token: FromPath[str]
) -> Any:
    """Move the booking; a group seat becomes a new booking, so the confirmation has a new link."""
    attendee = await booking_for(db_session, token)
    data = await request.form()
    start = parse_start(data.get("start"))
    status, problem = 422, "Choose one of the times offered."
    if start is not None:
        try:
            moved = await reschedule_attendee(
                db_session,
                attendee,
                start,
                now=clock.utcnow(),
                by_staff=False,
                staff_id=attendee.appointment.staff_id,
            )
        except (PolicyError, BookingError) as error:
            await db_session.rollback()
            status = 409 if isinstance(error, BookingError) and error.conflict else 422
            problem = error.message
        else:
            await db_session.commit()
            when = local_time(moved.appointment.start_at, moved.timezone)
            return redirect(
                request, f"/book/done/{manage_token(moved.id)}", message=f"Your booking has moved to {when}."
            )
    attendee = await booking_for(db_session, token)
    params = {"tz": data.get("tz"), "date": data.get("date")}
    return await _reschedule_page(request, db_session, attendee, params, problem=problem, status_code=status)


routes = [
    booking_done,
    booking_pay,
    booking_ics,
    booking_manage,
    booking_cancel,
    booking_proposal,
    reschedule_form,
    reschedule_submit,
]
