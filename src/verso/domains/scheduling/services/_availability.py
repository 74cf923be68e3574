"""From the database to the slot engine: one type's rules, its staff calendars, the bookings and
resource reservations around a time range. Every read is bounded by the range (plus a day each side
for daily caps and zones), so the cost does not grow with the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, null, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from verso.domains.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Resource,
    StaffMember,
    schedule_version,
    type_staff,
)
from verso.domains.scheduling.slots import (
    AppointmentRule,
    Booking,
    DayOverride,
    Refusal,
    ResourceBusy,
    Slot,
    StaffCalendar,
    WeeklyHours,
    free_slots,
    why_not,
)
from verso.lib.caches import VersionedLRU

HOLDING = ("scheduled", "confirmed", "in_progress", "completed")  # statuses that keep their time
_MARGIN = timedelta(days=1)


def rule_for(kind: AppointmentType) -> AppointmentRule:
    return AppointmentRule(
        duration=timedelta(minutes=kind.duration_minutes),
        buffer_before=timedelta(minutes=kind.buffer_before_minutes),
        buffer_after=timedelta(minutes=kind.buffer_after_minutes),
        step=timedelta(minutes=kind.step_minutes),
        min_notice=timedelta(hours=kind.min_notice_hours),
        window=timedelta(days=kind.booking_window_days),
        max_per_day=kind.max_per_day,
        seats=kind.max_attendees,
        type_key=kind.id,
        needs_resource=bool(kind.resource_kind),
    )


@dataclass(frozen=True, slots=True)
class Board:
    """Everything the engine needs for one type around one range."""

    rule: AppointmentRule
    calendars: tuple[StaffCalendar, ...]
    bookings: tuple[Booking, ...]
    holidays: frozenset[date]
    resources: tuple[UUID, ...]
    resource_busy: tuple[ResourceBusy, ...]
    last_assigned: dict[UUID, datetime]
    policy: str

    def slots(self, start: datetime, end: datetime, now: datetime) -> list[Slot]:
        return free_slots(
            self.rule,
            self.calendars,
            self.bookings,
            start=start,
            end=end,
            now=now,
            holidays=self.holidays,
            resources=self.resources,
            resource_busy=self.resource_busy,
            policy=self.policy,  # type: ignore[arg-type]
            last_assigned=self.last_assigned,
        )

    def refusal(self, slot_start: datetime, staff_id: UUID | None, now: datetime) -> Refusal | None:
        return why_not(
            self.rule,
            self.calendars,
            self.bookings,
            slot_start=slot_start,
            staff=staff_id,
            now=now,
            holidays=self.holidays,
            resources=self.resources,
            resource_busy=self.resource_busy,
        )


async def bookable_staff(session: AsyncSession, kind: AppointmentType) -> list[StaffMember]:
    """The active staff members who take ``kind``, with their weekly hours (in the same query: every
    booking page asks), by name."""
    rows = await session.scalars(
        select(StaffMember)
        .join(type_staff, type_staff.c.staff_id == StaffMember.id)
        .where(type_staff.c.type_id == kind.id, StaffMember.active.is_(True))
        .options(joinedload(StaffMember.hours))
        .order_by(StaffMember.display_name)
    )
    return list(rows.unique())


def _calendar(member: StaffMember, overrides: list[AvailabilityException]) -> StaffCalendar:
    return StaffCalendar(
        key=member.id,
        zone=ZoneInfo(member.timezone),
        hours=tuple(WeeklyHours(h.weekday, h.start_time, h.end_time) for h in member.hours),
        overrides=tuple(
            DayOverride(o.day, o.blocked, o.start_time, o.end_time, o.reason)
            for o in overrides
            if o.staff_id == member.id
        ),
    )


_boards: VersionedLRU[tuple[Any, ...], Board] = VersionedLRU(max_entries=256)


async def shared_board(
    session: AsyncSession,
    kind: AppointmentType,
    start: datetime,
    end: datetime,
    *,
    staff_id: UUID | None = None,
    staff: Sequence[StaffMember] | None = None,
) -> Board:
    """:func:`load_board` for what only shows free times (the booking pages, the API's slots): kept
    while the scheduling version is unchanged, so any booking or set-up change, in any process, is
    read on the next call. Never for a decision under the booking locks (:func:`load_board` there),
    and not in a session with changes of its own not yet committed."""
    if schedule_version.is_changed(session):
        return await load_board(session, kind, start, end, staff_id=staff_id, staff=staff)
    version = await schedule_version.read(session)
    key = (kind.id, start, end, staff_id)
    board = _boards.get(key, version)
    if board is None:
        board = await load_board(session, kind, start, end, staff_id=staff_id, staff=staff)
        _boards.put(key, version, board)
    return board


SEATED_KINDS = ("room", "vehicle")  # a resource whose capacity counts people


def _holds(kind: AppointmentType) -> Any:
    """Only a room or vehicle that seats the whole session serves it; equipment has no seats."""
    if kind.resource_kind in SEATED_KINDS:
        return Resource.capacity >= kind.max_attendees
    return true()


class _Minutes(dict[int, timedelta]):
    """``timedelta(minutes=n)`` for each ``n`` asked for, made once: a board has a few buffer
    lengths and thousands of bookings."""

    def __missing__(self, n: int) -> timedelta:
        self[n] = length = timedelta(minutes=n)
        return length


async def load_board(
    session: AsyncSession,
    kind: AppointmentType,
    start: datetime,
    end: datetime,
    *,
    staff_id: UUID | None = None,
    staff: Sequence[StaffMember] | None = None,
) -> Board:
    """The engine's inputs for ``kind`` between ``start`` and ``end`` (UTC), for one staff member
    or (``staff_id`` None) everyone who takes the type. ``staff`` is ``bookable_staff(session, kind)``
    when the caller has read it already (the booking page lists them), to save reading it twice."""
    if staff is None:
        staff = await bookable_staff(session, kind)
    members = [m for m in staff if staff_id is None or m.id == staff_id]
    ids = [m.id for m in members]
    wide_start, wide_end = start - _MARGIN, end + _MARGIN
    exceptions = list(
        await session.scalars(
            select(AvailabilityException).where(
                AvailabilityException.day.between(wide_start.date(), wide_end.date()),
                or_(AvailabilityException.staff_id.in_(ids), AvailabilityException.staff_id.is_(None)),
            )
        )
    )
    resources: list[UUID] = []
    if kind.resource_kind:
        resources = list(
            await session.scalars(
                select(Resource.id)
                .where(Resource.kind == kind.resource_kind, Resource.active.is_(True), _holds(kind))
                .order_by(Resource.name)
            )
        )
    # Plain columns, and no id turned into a UUID per row: a month of a busy team is thousands of
    # rows, and building an ORM object (or three UUIDs) for each cost more than the engine's search.
    # The database says which member an appointment is with (their place in ``members``, none for
    # someone else's appointment holding one of the resources) and whether it is of this type (the
    # engine only compares a booking's type with the one searched for).
    member = case(*((Appointment.staff_id == m.id, n) for n, m in enumerate(members))) if members else null()
    rows = (
        await session.execute(
            select(
                member,
                Appointment.start_at,
                Appointment.end_at,
                Appointment.type_id == kind.id,
                Appointment.seats_taken,
                Appointment.resource_id,
                AppointmentType.buffer_before_minutes,
                AppointmentType.buffer_after_minutes,
            )
            .join(AppointmentType, AppointmentType.id == Appointment.type_id)
            .where(
                Appointment.status.in_(HOLDING),
                Appointment.start_at < wide_end,
                Appointment.end_at > wide_start,
                or_(
                    Appointment.staff_id.in_(ids),
                    and_(Appointment.resource_id.is_not(None), Appointment.resource_id.in_(resources)),
                ),
            )
        )
    ).all()
    minutes = _Minutes()
    bookings, busy = [], []
    for position, begins, ends, own, seats, resource, before, after in rows:
        if position is None:  # someone else's appointment holding one of the resources
            busy.append(ResourceBusy(resource, begins - minutes[before], ends + minutes[after]))
        else:
            key = kind.id if own else None
            bookings.append(
                Booking(ids[position], begins, ends, minutes[before], minutes[after], key, seats, resource)
            )
    return Board(
        rule=rule_for(kind),
        calendars=tuple(_calendar(m, exceptions) for m in members),
        bookings=tuple(bookings),
        holidays=frozenset(e.day for e in exceptions if e.staff_id is None and e.blocked),
        resources=tuple(resources),
        resource_busy=tuple(busy),
        last_assigned={m.id: m.last_assigned_at for m in members if m.last_assigned_at},
        policy=kind.assignment,
    )
