"""Loading a booking with everything its pages and emails show."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.scheduling.models import Appointment, Attendee

_APPOINTMENT_PARTS = (
    selectinload(Appointment.type),
    selectinload(Appointment.staff),
    selectinload(Appointment.resource),
)


async def load_appointment(session: AsyncSession, appointment_id: UUID) -> Appointment | None:
    """The appointment with its type, staff member, resource and attendees."""
    return await session.scalar(
        select(Appointment)
        .where(Appointment.id == appointment_id)
        .options(*_APPOINTMENT_PARTS, selectinload(Appointment.attendees))
        .execution_options(populate_existing=True)
    )


async def load_attendee(session: AsyncSession, attendee_id: UUID) -> Attendee | None:
    """The attendee with their appointment, its type, staff member and resource."""
    return await session.scalar(
        select(Attendee)
        .where(Attendee.id == attendee_id)
        .options(
            selectinload(Attendee.appointment).options(*_APPOINTMENT_PARTS),
        )
        .execution_options(populate_existing=True)
    )


async def customer_bookings(session: AsyncSession, customer_id: UUID) -> list[Attendee]:
    """Every booking a person made while signed in, with its appointment, type and staff, by time."""
    return list(
        await session.scalars(
            select(Attendee)
            .join(Appointment, Appointment.id == Attendee.appointment_id)
            .where(Attendee.customer_id == customer_id)
            .options(
                selectinload(Attendee.appointment).options(
                    selectinload(Appointment.type), selectinload(Appointment.staff)
                )
            )
            .order_by(Appointment.start_at)
        )
    )
