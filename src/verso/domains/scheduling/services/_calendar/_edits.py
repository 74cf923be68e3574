"""The staff-only edits no booking rule covers elsewhere: notes, a single attendee's no-show (with the
type's no-show penalty), and the waitlist priority."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.scheduling.models import Appointment, Attendee, WaitlistEntry
from verso.domains.scheduling.services._changes import TRANSITIONS, PolicyError, no_show_penalty, set_status
from verso.lib.audit import Actor

MAX_NOTES = 5000
MAX_PRIORITY = 1000


async def save_notes(session: AsyncSession, appointment: Appointment, notes: str) -> None:
    """Replace the staff notes; customers never see them, so nothing is sent. Flushed."""
    appointment.notes = notes.strip()[:MAX_NOTES]
    await session.flush()


async def mark_no_show(
    session: AsyncSession,
    appointment: Appointment,
    attendee: Attendee,
    *,
    now: datetime,
    actor: Actor,
) -> str:
    """One person of ``appointment`` (loaded with its type and attendees) did not come. Only a
    confirmed attendee who has not checked in, once the time has begun; when nobody is left to come,
    the appointment becomes a no-show too. The type's penalty applies: its no-show fee falls due
    (the larger, when a fee was already due) and, for "block", the person may not book online
    again. Returns the penalty in words for staff ("" when none). Flushed."""
    if attendee.status != "confirmed" or attendee.checked_in_at is not None:
        raise PolicyError(f"{attendee.name} is not expected any more, so cannot be marked as a no-show.")
    if appointment.start_at > now:
        raise PolicyError("The appointment has not started yet.")
    attendee.status = "no_show"
    penalty = await no_show_penalty(session, appointment, attendee, actor)
    await session.flush()
    expected = [a for a in appointment.attendees if a.status == "confirmed"]
    if not expected and "no_show" in TRANSITIONS.get(appointment.status, frozenset()):
        await set_status(session, appointment, "no_show", now=now)
    return penalty


async def set_priority(session: AsyncSession, entry_id: UUID, priority: int) -> WaitlistEntry | None:
    """Move someone up (higher first) or down the waitlist queue; the next offer follows it.
    None when there is no such entry. Flushed."""
    entry = await session.get(WaitlistEntry, entry_id)
    if entry is not None:
        entry.priority = priority
        await session.flush()
    return entry
