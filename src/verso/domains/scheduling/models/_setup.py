"""What can be booked and when: appointment types with their booking policy, bookable staff with
weekly hours and exceptions, business holidays, and resources (rooms, equipment, vehicles)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase, orm_registry
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

LOCATION_KINDS = ("address", "phone", "video")
DEPOSIT_KINDS = ("none", "amount", "percent")
NO_SHOW_PENALTIES = ("none", "fee", "block")
RESOURCE_KINDS = ("room", "equipment", "vehicle")
ASSIGNMENTS = ("round_robin", "least_busy")

type_staff = Table(
    "scheduling_type_staff",
    orm_registry.metadata,
    Column("type_id", ForeignKey("scheduling_type.id", ondelete="CASCADE"), primary_key=True),
    Column("staff_id", ForeignKey("scheduling_staff.id", ondelete="CASCADE"), primary_key=True),
)


class AppointmentType(UUIDv7AuditBase):
    """A kind of appointment customers book (``/book/{slug}``), with its booking policy."""

    __tablename__ = "scheduling_type"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0 AND max_attendees >= 1", name="ck_scheduling_type_sizes"),
    )

    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    step_minutes: Mapped[int] = mapped_column(Integer, default=30)
    price: Mapped[int | None] = mapped_column(Integer)  # minor units of the business currency
    deposit_kind: Mapped[str] = mapped_column(String(8), default="none")
    deposit_value: Mapped[int] = mapped_column(Integer, default=0)  # minor units, or a percentage
    color: Mapped[str] = mapped_column(String(7), default="#2563eb")
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    max_attendees: Mapped[int] = mapped_column(Integer, default=1)
    booking_window_days: Mapped[int] = mapped_column(Integer, default=60)
    min_notice_hours: Mapped[int] = mapped_column(Integer, default=2)
    resource_kind: Mapped[str | None] = mapped_column(String(12))
    # [{"key", "label", "kind": "text"|"textarea"|"select"|"checkbox", "required", "options": [...]}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    requires_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    location_kind: Mapped[str] = mapped_column(String(8), default="address")
    location: Mapped[str] = mapped_column(String(300), default="")
    assignment: Mapped[str] = mapped_column(String(12), default="round_robin")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Policy
    cancellation_hours: Mapped[int] = mapped_column(Integer, default=24)
    cancellation_fee: Mapped[int] = mapped_column(Integer, default=0)
    no_show_fee: Mapped[int] = mapped_column(Integer, default=0)
    no_show_penalty: Mapped[str] = mapped_column(String(5), default="none")
    max_reschedules: Mapped[int] = mapped_column(Integer, default=2)
    reschedule_hours: Mapped[int] = mapped_column(Integer, default=24)
    reminder_hours: Mapped[list[int]] = mapped_column(JsonB, default=list)  # up to three
    send_confirmation: Mapped[bool] = mapped_column(Boolean, default=True)
    send_reminders: Mapped[bool] = mapped_column(Boolean, default=True)

    staff: Mapped[list[StaffMember]] = relationship(secondary=type_staff, lazy="raise")


class StaffMember(UUIDv7AuditBase):
    """A person customers can book. ``bookings`` is bumped by every booking for them, which locks
    the row: two bookings for one person are decided one after the other, never both."""

    __tablename__ = "scheduling_staff"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bookings: Mapped[int] = mapped_column(Integer, default=0)
    last_assigned_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))

    hours: Mapped[list[WorkingHours]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="(WorkingHours.weekday, WorkingHours.start_time)"
    )


class WorkingHours(UUIDv7AuditBase):
    """One weekly range in the staff member's own zone; several a day are allowed."""

    __tablename__ = "scheduling_hours"

    staff_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_staff.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class AvailabilityException(UUIDv7AuditBase):
    """A day off or custom hours for one staff member, or (``staff_id`` empty) a business holiday."""

    __tablename__ = "scheduling_exception"
    __table_args__ = (Index("ix_scheduling_exception_day", "day"),)

    staff_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("scheduling_staff.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    blocked: Mapped[bool] = mapped_column(Boolean, default=True)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(120), default="")


class Resource(UUIDv7AuditBase):
    """A room, piece of equipment or vehicle that a type may need; booked with the appointment.
    ``bookings`` is locked like a staff member's."""

    __tablename__ = "scheduling_resource"

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12), index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    amenities: Mapped[list[str]] = mapped_column(JsonB, default=list)
    hourly_rate: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bookings: Mapped[int] = mapped_column(Integer, default=0)
