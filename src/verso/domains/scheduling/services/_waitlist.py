"""The waitlist: people waiting for a day (and time of day, and maybe a person), both in their own
time zone. When a slot frees, the first by priority then age whose day and time of day it falls on
gets an offer with a claim link that expires; an expired offer passes to the next person."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.scheduling.models import Appointment, AppointmentType, Attendee, WaitlistEntry
from verso.domains.scheduling.services._availability import load_board
from verso.domains.scheduling.services._booking import Booker, BookingError, book
from verso.domains.scheduling.services._tokens import manage_token, read_manage_token
from verso.lib.email import send_email
from verso.lib.jobs import JobContext, cron, job
from verso.settings import get_settings

OFFER_HOURS = 2
EXPIRE_JOB = "scheduling.expire-offers"
# Wall-clock hours (the customer's zone) that each time of day covers.
TIME_RANGES = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "any": (0, 24)}


def _part_of_day(hour: int) -> str:
    return next(name for name, (low, high) in TIME_RANGES.items() if low <= hour < high)


def _wants(entry: WaitlistEntry, start: datetime) -> bool:
    """Whether ``start`` falls on the entry's day and time of day, both in the entry's own zone."""
    local = start.astimezone(ZoneInfo(entry.timezone))
    return local.date() == entry.day and entry.time_of_day in (_part_of_day(local.hour), "any")


async def join_waitlist(
    session: AsyncSession,
    kind: AppointmentType,
    *,
    day: date,
    time_of_day: str,
    booker: Booker,
    now: datetime,
    staff_id: UUID | None = None,
) -> WaitlistEntry:
    """Queue someone for ``day`` and ``time_of_day`` in their own zone (``booker.timezone``).
    Refuses days already past there, and unknown times of day."""
    from verso.domains.scheduling.services._changes import PolicyError

    if time_of_day not in TIME_RANGES:
        raise PolicyError("Choose morning, afternoon, evening or any time.")
    if day < now.astimezone(ZoneInfo(booker.timezone)).date():
        raise PolicyError("That day has passed.")
    entry = WaitlistEntry(
        type_id=kind.id,
        staff_id=staff_id,
        customer_id=booker.customer_id,
        day=day,
        time_of_day=time_of_day,
        name=booker.name,
        email=booker.email,
        timezone=booker.timezone,
    )
    session.add(entry)
    await session.flush()
    return entry


def claim_url(entry: WaitlistEntry) -> str:
    return f"{get_settings().base_url.rstrip('/')}/book/claim/{manage_token(entry.id, 'claim')}"


async def _offer(
    session: AsyncSession, kind: AppointmentType, start: datetime, staff_id: UUID, now: datetime
) -> WaitlistEntry | None:
    """Offer ``start`` with ``staff_id`` to the next person in line, if it is still bookable."""
    if start <= now:
        return None
    board = await load_board(
        session, kind, start - timedelta(days=1), start + timedelta(days=1), staff_id=staff_id
    )
    if board.refusal(start, staff_id, now) is not None:
        return None
    # Every zone's date is within a day of the UTC date: the database narrows to those three days,
    # each entry's own zone decides.
    utc_day = start.astimezone(UTC).date()
    waiting = await session.scalars(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.type_id == kind.id,
            WaitlistEntry.day.between(utc_day - timedelta(days=1), utc_day + timedelta(days=1)),
            WaitlistEntry.status == "waiting",
            or_(WaitlistEntry.staff_id.is_(None), WaitlistEntry.staff_id == staff_id),
        )
        .order_by(WaitlistEntry.priority.desc(), WaitlistEntry.created_at, WaitlistEntry.id)
    )
    entry = next((candidate for candidate in waiting if _wants(candidate, start)), None)
    if entry is None:
        return None
    entry.status, entry.offered_start, entry.offered_staff_id = "offered", start, staff_id
    entry.offer_expires_at = now + timedelta(hours=OFFER_HOURS)
    when = start.astimezone(ZoneInfo(entry.timezone))
    expires = entry.offer_expires_at.astimezone(ZoneInfo(entry.timezone))
    await send_email(
        session,
        to=entry.email,
        subject=f"A time is free for {kind.name}: {when:%A %d %B, %H:%M}",
        template="scheduling/waitlist_offer",
        context={
            "business_name": business_cache.current().name,
            "name": entry.name,
            "kind": kind,
            "when": f"{when:%A %d %B %Y, %H:%M} ({entry.timezone})",
            "expires": f"{expires:%H:%M} ({entry.timezone})",
            "claim_link": claim_url(entry),
        },
        default_sender=business_cache.current().contact_email or None,
        metadata={"kind": "waitlist_offer", "entry_id": str(entry.id)},
    )
    await session.flush()
    return entry


async def offer_freed(
    session: AsyncSession, appointment: Appointment, *, now: datetime, freed_start: datetime | None = None
) -> WaitlistEntry | None:
    """A seat or slot came free (cancelled, or moved away from ``freed_start``): offer it on."""
    kind = await session.get(AppointmentType, appointment.type_id)
    assert kind is not None
    return await _offer(session, kind, freed_start or appointment.start_at, appointment.staff_id, now)


async def load_offer(session: AsyncSession, token: str) -> WaitlistEntry | None:
    entry_id = read_manage_token(token, "claim")
    return await session.get(WaitlistEntry, entry_id) if entry_id else None


async def claim_offer(session: AsyncSession, entry: WaitlistEntry, *, now: datetime) -> Attendee:
    """Book the offered time for the person the offer went to."""
    from verso.domains.scheduling.services._changes import PolicyError

    if entry.status == "booked":
        raise PolicyError("You have already booked this time.")
    if entry.status != "offered" or entry.offer_expires_at is None or entry.offer_expires_at < now:
        raise PolicyError("This offer has expired. You are welcome to choose another time.")
    kind = await session.get(AppointmentType, entry.type_id)
    assert kind is not None and entry.offered_start is not None
    booker = Booker(entry.name, entry.email, "", entry.timezone, {}, entry.customer_id)
    try:
        attendee = await book(
            session, kind, entry.offered_start, booker, now=now, staff_id=entry.offered_staff_id
        )
    except BookingError as exc:
        raise PolicyError(f"Sorry, that time is no longer free: {exc.message}") from exc
    entry.status, entry.attendee_id = "booked", attendee.id
    await session.flush()
    return attendee


async def expire_offers(session: AsyncSession, *, now: datetime) -> int:
    """Expire unclaimed offers and pass each slot to the next person; returns how many expired."""
    expired = list(
        await session.scalars(
            select(WaitlistEntry).where(
                WaitlistEntry.status == "offered", WaitlistEntry.offer_expires_at < now
            )
        )
    )
    for entry in expired:
        entry.status = "expired"
        await session.flush()
        kind = await session.get(AppointmentType, entry.type_id)
        if kind is not None and entry.offered_start and entry.offered_staff_id:
            await _offer(session, kind, entry.offered_start, entry.offered_staff_id, now)
    return len(expired)


@job(EXPIRE_JOB, max_attempts=3)
async def expire_offers_job(payload: dict[str, Any], ctx: JobContext) -> None:
    from verso.lib import clock

    await expire_offers(ctx.session, now=clock.utcnow())


WAITLIST_JOBS = [expire_offers_job, cron("scheduling.expire-offers", "*/5 * * * *", EXPIRE_JOB)]
