"""Private calendar feeds (``/calendars/{token}.ics``) for a staff member, a resource, or a
customer's own bookings. The token is the only credential, so only its hash is stored and issuing a
new one revokes the old."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.ops.services import business_cache
from verso.domains.scheduling.calendars import feed
from verso.domains.scheduling.models import Appointment, Attendee, CalendarFeed, Resource, StaffMember
from verso.domains.scheduling.services._availability import HOLDING
from verso.domains.scheduling.services._notices import calendar_event
from verso.domains.scheduling.services._tokens import feed_token_hash, new_feed_token
from verso.lib import clock

FEED_PAST = timedelta(days=60)  # how far back a feed reaches (ahead: everything booked)


def feed_path(token: str) -> str:
    return f"/calendars/{token}.ics"


async def issue_feed(session: AsyncSession, kind: str, owner_id: UUID) -> str:
    """A new feed token for the owner, replacing any previous one (flushed)."""
    await revoke_feed(session, kind, owner_id)
    token, hashed = new_feed_token()
    session.add(CalendarFeed(kind=kind, owner_id=owner_id, token_hash=hashed))
    await session.flush()
    return token


async def revoke_feed(session: AsyncSession, kind: str, owner_id: UUID) -> None:
    await session.execute(
        delete(CalendarFeed).where(CalendarFeed.kind == kind, CalendarFeed.owner_id == owner_id)
    )


async def has_feed(session: AsyncSession, kind: str, owner_id: UUID) -> bool:
    return (
        await session.scalar(
            select(CalendarFeed.id).where(CalendarFeed.kind == kind, CalendarFeed.owner_id == owner_id)
        )
    ) is not None


async def feed_for_token(session: AsyncSession, token: str) -> bytes | None:
    """The ICS document a token opens, or None for an unknown or revoked token."""
    found = await session.scalar(
        select(CalendarFeed).where(CalendarFeed.token_hash == feed_token_hash(token))
    )
    if found is None:
        return None
    since = clock.utcnow() - FEED_PAST
    query = (
        select(Appointment)
        .where(Appointment.status.in_(HOLDING), Appointment.end_at >= since)
        .options(
            selectinload(Appointment.type),
            selectinload(Appointment.staff),
            selectinload(Appointment.resource),
            selectinload(Appointment.attendees),
        )
        .order_by(Appointment.start_at)
    )
    zone = business_cache.current().timezone
    if found.kind == "staff":
        member = await session.get(StaffMember, found.owner_id)
        name, zone = (member.display_name, member.timezone) if member else ("Appointments", zone)
        query = query.where(Appointment.staff_id == found.owner_id)
    elif found.kind == "resource":
        resource = await session.get(Resource, found.owner_id)
        name = resource.name if resource else "Resource"
        query = query.where(Appointment.resource_id == found.owner_id)
    else:
        name = "My bookings"
        query = query.where(
            Appointment.id.in_(
                select(Attendee.appointment_id).where(
                    Attendee.customer_id == found.owner_id, Attendee.status == "confirmed"
                )
            )
        )
    appointments = list(await session.scalars(query))
    events = []
    for appointment in appointments:
        people = [a for a in appointment.attendees if a.status == "confirmed"]
        if found.kind == "customer":
            people = [a for a in people if a.customer_id == found.owner_id]
        events.append(calendar_event(appointment, people, zone))
    return feed(
        events, name=f"{business_cache.current().name}: {name}", zone=ZoneInfo(zone), now=clock.utcnow()
    )
