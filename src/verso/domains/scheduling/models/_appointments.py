"""Appointments as booked: the time held on a staff member (and resource), the people attending,
staff proposals to move it, the waitlist, and private calendar feed tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from verso.domains.scheduling.models._setup import AppointmentType, Resource, StaffMember

STATUSES = ("scheduled", "confirmed", "in_progress", "completed", "cancelled", "no_show")
ATTENDEE_STATUSES = ("confirmed", "cancelled", "no_show")
# none: nothing is paid online; pending: the seat is held while the order awaits its payment;
# paid; refunded (all or part, through the order); released: never paid, so the seat went back.
PAYMENT_STATUSES = ("none", "pending", "paid", "refunded", "released")
CHECKIN_METHODS = ("qr", "manual")
REQUEST_STATUSES = ("pending", "approved", "rejected")
WAITLIST_STATUSES = ("waiting", "offered", "booked", "expired", "cancelled")
TIMES_OF_DAY = ("any", "morning", "afternoon", "evening")
FEED_KINDS = ("staff", "resource", "customer")


class Appointment(UUIDv7AuditBase):
    """Time held on one staff member (and a resource when the type needs one). A group session is
    one appointment with several attendees; ``seats_taken`` is raised with a conditional update."""

    __tablename__ = "scheduling_appointment"
    __table_args__ = (
        Index("ix_scheduling_appointment_staff_start", "staff_id", "start_at"),
        Index("ix_scheduling_appointment_start", "start_at"),
        CheckConstraint("end_at > start_at AND seats_taken <= capacity", name="ck_scheduling_appointment"),
    )

    type_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_type.id", ondelete="RESTRICT"), index=True)
    staff_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_staff.id", ondelete="RESTRICT"))
    resource_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("scheduling_resource.id", ondelete="SET NULL"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE: raised on every change
    notes: Mapped[str] = mapped_column(Text, default="")  # staff only
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")

    type: Mapped[AppointmentType] = relationship(lazy="raise")
    staff: Mapped[StaffMember] = relationship(lazy="raise")
    resource: Mapped[Resource | None] = relationship(lazy="raise")
    attendees: Mapped[list[Attendee]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="Attendee.created_at"
    )


class Attendee(UUIDv7AuditBase):
    """One person's booking. Their cancel and reschedule links, and their check-in code, are
    signed with the app secret and this row's id, so they work without signing in."""

    __tablename__ = "scheduling_attendee"
    __table_args__ = (Index("ix_scheduling_attendee_email", "email"),)

    appointment_id: Mapped[UUID] = mapped_column(
        ForeignKey("scheduling_appointment.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    answers: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    reschedules: Mapped[int] = mapped_column(Integer, default=0)
    checkin_code: Mapped[str] = mapped_column(String(16), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    checkin_method: Mapped[str] = mapped_column(String(6), default="")
    reminders_sent: Mapped[list[int]] = mapped_column(JsonB, default=list)  # hours-before already sent
    order_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("order_order.id", ondelete="SET NULL"), index=True
    )
    # Money, in minor units of the business currency: the type's price when booked, the part asked
    # online (all of it, or the deposit; the rest is paid at the appointment), and any cancellation
    # or no-show fee the policy charged.
    price: Mapped[int] = mapped_column(Integer, default=0)
    online_amount: Mapped[int] = mapped_column(Integer, default=0)
    payment_status: Mapped[str] = mapped_column(String(10), default="none")
    fee_due: Mapped[int] = mapped_column(Integer, default=0)

    appointment: Mapped[Appointment] = relationship(lazy="raise", back_populates="attendees")

    __personal_data__ = ("name", "email", "phone", "answers")


class BookingBlock(UUIDv7AuditBase):
    """Someone who may not book online any more (the "block" no-show penalty, or staff's choice),
    matched by email and, when known, by account; staff lift it by deleting the row."""

    __tablename__ = "scheduling_block"

    email: Mapped[str] = mapped_column(String(254), index=True)
    customer_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(300), default="")
    attendee_id: Mapped[UUID | None] = mapped_column()  # the booking that caused it, if any

    __personal_data__ = ("email",)


class RescheduleRequest(UUIDv7AuditBase):
    """Staff propose a new time with a reason; the customer accepts or declines."""

    __tablename__ = "scheduling_reschedule"

    appointment_id: Mapped[UUID] = mapped_column(
        ForeignKey("scheduling_appointment.id", ondelete="CASCADE"), index=True
    )
    proposed_start: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    reason: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    admin_notes: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class WaitlistEntry(UUIDv7AuditBase):
    """Someone waiting for a day (and time of day, and optionally a person). When a slot frees,
    the first by priority then age gets an offer that expires; an expired offer passes on."""

    __tablename__ = "scheduling_waitlist"
    __table_args__ = (Index("ix_scheduling_waitlist_queue", "type_id", "day", "status"),)

    type_id: Mapped[UUID] = mapped_column(ForeignKey("scheduling_type.id", ondelete="CASCADE"))
    staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("scheduling_staff.id", ondelete="SET NULL"))
    customer_id: Mapped[UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    day: Mapped[date] = mapped_column()
    time_of_day: Mapped[str] = mapped_column(String(10), default="any")
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first (VIP)
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    offered_start: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    offered_staff_id: Mapped[UUID | None] = mapped_column()
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    attendee_id: Mapped[UUID | None] = mapped_column()

    __personal_data__ = ("name", "email")


class CalendarFeed(UUIDv7AuditBase):
    """A private ICS feed URL (``/calendars/{token}.ics``) for a staff member, a resource or a
    customer. Only the token's hash is kept; revoking deletes the row."""

    __tablename__ = "scheduling_feed"
    __table_args__ = (UniqueConstraint("kind", "owner_id", name="uq_scheduling_feed_owner"),)

    kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[UUID] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
