"""Reminder emails, up to three per booking (hours before, per type), sent by a job every five
minutes. A reminder whose moment passed before the booking was made is skipped, not sent late."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.scheduling.models import Appointment, AppointmentType, Attendee
from verso.domains.scheduling.services._notices import notify
from verso.lib.jobs import JobContext, cron, job

REMIND_JOB = "scheduling.send-reminders"
LONGEST_REMINDER = timedelta(days=8)


async def send_reminders(session: AsyncSession, *, now: datetime) -> int:
    """Send every reminder that is due; returns how many went out."""
    rows = await session.scalars(
        select(Attendee)
        .join(Appointment, Appointment.id == Attendee.appointment_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .where(
            Attendee.status == "confirmed",
            Appointment.status.in_(("scheduled", "confirmed")),
            Appointment.start_at > now,
            Appointment.start_at <= now + LONGEST_REMINDER,
            AppointmentType.send_reminders.is_(True),
        )
        .options(
            selectinload(Attendee.appointment).options(
                selectinload(Appointment.type),
                selectinload(Appointment.staff),
                selectinload(Appointment.resource),
            )
        )
    )
    sent = 0
    for attendee in rows:
        appointment = attendee.appointment
        due = [
            hours
            for hours in appointment.type.reminder_hours
            if hours not in attendee.reminders_sent and appointment.start_at - timedelta(hours=hours) <= now
        ]
        if not due:
            continue
        # One email however many are due at once; none for a moment that came before the booking.
        if any(attendee.created_at <= appointment.start_at - timedelta(hours=h) for h in due):
            await notify(session, attendee, "reminder", now=now)
            sent += 1
        attendee.reminders_sent = sorted({*attendee.reminders_sent, *due})
    await session.flush()
    return sent


@job(REMIND_JOB, max_attempts=3)
async def send_reminders_job(payload: dict[str, Any], ctx: JobContext) -> None:
    from verso.lib import clock

    await send_reminders(ctx.session, now=clock.utcnow())


REMINDER_JOBS = [send_reminders_job, cron("scheduling.send-reminders", "*/5 * * * *", REMIND_JOB)]
