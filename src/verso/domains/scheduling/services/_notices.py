"""What a booking tells its attendee: the confirmation, update and cancellation emails, each with
an .ics invitation (the same UID throughout, SEQUENCE raised on every change, METHOD:CANCEL at the
end), links that work without signing in, and the check-in QR code."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.scheduling.calendars import CalendarEvent, attachment_name, invitation
from verso.domains.scheduling.models import Appointment, Attendee
from verso.domains.scheduling.services._tokens import manage_token
from verso.lib.email import Attachment, send_email, sender_address
from verso.lib.events import publish
from verso.settings import get_settings

SUBJECTS = {
    "booked": "Booked: {type} on {when}",
    "pending": "Requested: {type} on {when} (awaiting confirmation)",
    "updated": "Changed: {type} is now on {when}",
    "cancelled": "Cancelled: {type} on {when}",
    "reminder": "Reminder: {type} on {when}",
    "proposal": "New time proposed for {type}: {when}",
}


def _base() -> str:
    return get_settings().base_url.rstrip("/")


def manage_url(attendee: Attendee) -> str:
    return f"{_base()}/book/manage/{manage_token(attendee.id)}"


def checkin_url(attendee: Attendee) -> str:
    """What the QR code holds: the staff check-in page with this attendee's code."""
    return f"{_base()}/admin/scheduling/check-in?code={attendee.checkin_code}"


def qr_svg(text: str) -> str:
    """An inline SVG QR code; segno draws the data as path geometry, so no text reaches the markup."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=4, border=2, omitsize=False)


def _qr_data_uri(text: str) -> str:
    """The QR code as an image mail clients show (most drop inline SVG)."""
    import segno

    return segno.make(text, error="m").svg_data_uri(scale=4, border=2)


def local_time(moment: datetime, zone: str) -> str:
    """``Tuesday 1 December 2026, 10:00 (Europe/Paris)`` in the business locale."""
    from babel.dates import format_datetime  # babel loads on first use, not at start-up

    locale = business_cache.current().locale or "en"
    shown = moment.astimezone(ZoneInfo(zone))
    return f"{format_datetime(shown, 'EEEE d MMMM y, HH:mm', locale=locale)} ({zone})"


def calendar_event(appointment: Appointment, attendees: list[Attendee], zone: str) -> CalendarEvent:
    """The appointment as an iCalendar event presented in ``zone``."""
    business = business_cache.current()
    kind = appointment.type
    where = {"address": kind.location, "phone": f"Phone: {kind.location}", "video": kind.location}
    return CalendarEvent(
        uid=f"{appointment.id}@{urlsplit(get_settings().base_url).hostname or 'verso'}",
        sequence=appointment.sequence,
        start=appointment.start_at,
        end=appointment.end_at,
        zone=ZoneInfo(zone),
        summary=f"{kind.name} with {appointment.staff.display_name}",
        description=kind.description[:2000],
        location=where.get(kind.location_kind, kind.location),
        url=kind.location if kind.location_kind == "video" else "",
        organizer_email=parseaddr(sender_address(business.contact_email or None))[1],
        organizer_name=business.name,
        attendees=tuple((a.email, a.name) for a in attendees),
        status="CANCELLED" if appointment.status == "cancelled" else "CONFIRMED",
        created=appointment.created_at,
        last_modified=appointment.updated_at,
    )


async def notify(
    session: AsyncSession,
    attendee: Attendee,
    kind: str,
    *,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Queue the ``kind`` email (see :data:`SUBJECTS`) with its invitation; flushed with the change."""
    appointment = attendee.appointment
    event = calendar_event(appointment, [attendee], attendee.timezone)
    cancelling = kind == "cancelled"
    ics = invitation(event, now=now, cancel=cancelling).decode()
    method = "CANCEL" if cancelling else "REQUEST"
    when = local_time(appointment.start_at, attendee.timezone)
    subject = SUBJECTS[kind].format(type=appointment.type.name, when=when)
    await send_email(
        session,
        to=attendee.email,
        subject=subject,
        template=f"scheduling/{kind}",
        context={
            "business_name": business_cache.current().name,
            "name": attendee.name,
            "appointment": appointment,
            "kind": appointment.type,
            "when": when,
            "business_when": local_time(appointment.start_at, business_cache.current().timezone),
            "manage_link": manage_url(attendee),
            "checkin_code": attendee.checkin_code,
            "qr": "" if cancelling else _qr_data_uri(checkin_url(attendee)),
            "reason": appointment.cancel_reason,
            **(extra or {}),
        },
        attachments=[
            Attachment(attachment_name(appointment.type.slug), f"text/calendar; method={method}", ics)
        ],
        default_sender=business_cache.current().contact_email or None,
        metadata={"kind": f"appointment_{kind}", "attendee_id": str(attendee.id)},
    )


async def confirm_booking(session: AsyncSession, attendee: Attendee, *, now: datetime) -> None:
    """What follows a booking in its transaction: the confirmation (or "awaiting confirmation")
    email with the invitation, when the type sends them, and the ``appointment.booked`` event."""
    appointment = attendee.appointment
    if appointment.type.send_confirmation:
        await notify(session, attendee, "pending" if appointment.status == "scheduled" else "booked", now=now)
    publish(
        session,
        "appointment.booked",
        appointment_id=str(appointment.id),
        attendee_id=str(attendee.id),
        type=appointment.type.slug,
    )
