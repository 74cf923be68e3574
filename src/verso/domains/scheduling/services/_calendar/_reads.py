"""What the staff pages read: appointments in a range with everything a calendar cell shows, the staff
and resources for filters and feeds, the proposals and timeline of one appointment, the attendee a
check-in code names, and the waitlist by day."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.scheduling.models import (
    Appointment,
    AppointmentType,
    Attendee,
    CalendarFeed,
    RescheduleRequest,
    Resource,
    StaffMember,
    WaitlistEntry,
)
from verso.domains.scheduling.services._calendar._layout import (
    CalendarItem,
    CalendarQuery,
    GridColumn,
    TimeGrid,
    day_column,
    group_by_day,
    month_grid,
    period_title,
    shift,
    shown_days,
    time_grid,
    utc_bounds,
    week_of,
)
from verso.domains.scheduling.services._changes import TRANSITIONS

STATUS_LABELS = {
    "scheduled": "Scheduled",
    "confirmed": "Confirmed",
    "in_progress": "In progress",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
}


def next_statuses(appointment: Appointment) -> list[tuple[str, str]]:
    """The statuses staff may move the appointment to, with their labels, in lifecycle order.
    Cancelling is left out: it has its own form, with a reason for the attendees."""
    allowed = TRANSITIONS.get(appointment.status, frozenset())
    return [(status, label) for status, label in STATUS_LABELS.items() if status in allowed - {"cancelled"}]


def attendee_label(appointment: Appointment) -> str:
    """Who comes: the names for a one-person booking, the seats for a group session."""
    if appointment.capacity > 1:
        return f"{appointment.seats_taken}/{appointment.capacity} booked"
    people = appointment.attendees
    coming = [a.name for a in people if a.status != "cancelled"]
    return ", ".join(coming or [a.name for a in people])


def calendar_item(appointment: Appointment, zone: ZoneInfo) -> CalendarItem:
    return CalendarItem(
        id=appointment.id,
        start=appointment.start_at.astimezone(zone),
        end=appointment.end_at.astimezone(zone),
        type_name=appointment.type.name,
        color=appointment.type.color,
        staff_id=appointment.staff_id,
        staff_name=appointment.staff.display_name,
        resource_name=appointment.resource.name if appointment.resource else "",
        status=appointment.status,
        label=attendee_label(appointment),
    )


async def appointments_between(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    staff_id: UUID | None = None,
    resource_id: UUID | None = None,
) -> list[Appointment]:
    """Every appointment overlapping ``start``..``end`` (UTC), whatever its status, with its type,
    staff member, resource and attendees."""
    statement = (
        select(Appointment)
        .where(Appointment.start_at < end, Appointment.end_at > start)
        .options(
            selectinload(Appointment.type),
            selectinload(Appointment.staff),
            selectinload(Appointment.resource),
            selectinload(Appointment.attendees),
        )
        .order_by(Appointment.start_at)
    )
    if staff_id is not None:
        statement = statement.where(Appointment.staff_id == staff_id)
    if resource_id is not None:
        statement = statement.where(Appointment.resource_id == resource_id)
    return list(await session.scalars(statement))


@dataclass(frozen=True, slots=True)
class Choice:
    """A staff member or resource as the filters, the new-appointment form and the feeds list see it."""

    id: UUID
    name: str
    active: bool
    has_feed: bool = False


async def staff_choices(session: AsyncSession) -> list[Choice]:
    return await _choices(session, StaffMember, "staff", StaffMember.display_name)


async def resource_choices(session: AsyncSession) -> list[Choice]:
    return await _choices(session, Resource, "resource", Resource.name)


async def _choices(session: AsyncSession, model: type, kind: str, name: object) -> list[Choice]:
    """Everyone of ``model`` by name, active first; ``has_feed`` marks those with a feed URL."""
    fed = set(await session.scalars(select(CalendarFeed.owner_id).where(CalendarFeed.kind == kind)))
    rows = (await session.execute(select(model.id, name, model.active))).all()  # type: ignore[attr-defined]
    return sorted(
        (Choice(row[0], row[1], row[2], row[0] in fed) for row in rows),
        key=lambda c: (not c.active, c.name.casefold()),
    )


@dataclass(frozen=True, slots=True)
class CalendarPage:
    """Everything the calendar page renders for one query."""

    query: CalendarQuery
    title: str
    today: date
    previous: date
    following: date
    items: tuple[CalendarItem, ...]
    by_day: Mapping[date, list[CalendarItem]]
    grid: TimeGrid | None  # day and week views
    weeks: list[list[date]]  # month view
    staff: list[Choice]
    resources: list[Choice]


async def calendar_page(
    session: AsyncSession, query: CalendarQuery, *, zone: str, today: date
) -> CalendarPage:
    """The appointments the view shows, laid out in ``zone`` (the business time zone)."""
    place = ZoneInfo(zone)
    first, last = shown_days(query.view, query.day)
    start, end = utc_bounds(first, last, place)
    appointments = await appointments_between(
        session, start, end, staff_id=query.staff_id, resource_id=query.resource_id
    )
    items = tuple(calendar_item(a, place) for a in appointments)
    staff = await staff_choices(session)
    grid = None
    if query.view == "week":
        grid = time_grid(items, [day_column(d) for d in week_of(query.day)], "day")
    elif query.view == "day":
        busy = {item.staff_id for item in items}
        columns = [
            GridColumn(s.id, s.name)
            for s in staff
            if (query.staff_id is None or s.id == query.staff_id) and (s.active or s.id in busy)
        ]
        grid = time_grid(items, columns, "staff")
    return CalendarPage(
        query=query,
        title=period_title(query.view, query.day),
        today=today,
        previous=shift(query.view, query.day, -1),
        following=shift(query.view, query.day, 1),
        items=items,
        by_day=group_by_day(items),
        grid=grid,
        weeks=month_grid(query.day) if query.view == "month" else [],
        staff=staff,
        resources=await resource_choices(session),
    )


async def feed_owner(session: AsyncSession, kind: str, owner_id: UUID) -> str | None:
    """The name of the staff member or resource a feed would belong to, or None when there is none."""
    model = {"staff": StaffMember, "resource": Resource}.get(kind)
    found = await session.get(model, owner_id) if model else None
    if isinstance(found, StaffMember):
        return found.display_name
    return found.name if isinstance(found, Resource) else None


async def bookable_types(session: AsyncSession) -> list[AppointmentType]:
    """The active appointment types, by name, for the new-appointment form."""
    return list(
        await session.scalars(
            select(AppointmentType).where(AppointmentType.active.is_(True)).order_by(AppointmentType.name)
        )
    )


async def proposals_for(session: AsyncSession, appointment_id: UUID) -> list[RescheduleRequest]:
    """Every time staff proposed for the appointment, newest first."""
    return list(
        await session.scalars(
            select(RescheduleRequest)
            .where(RescheduleRequest.appointment_id == appointment_id)
            .order_by(RescheduleRequest.created_at.desc())
        )
    )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    text: str


def timeline(appointment: Appointment, proposals: Iterable[RescheduleRequest]) -> list[TimelineEntry]:
    """What the rows record about the appointment's life, oldest first. Rows keep no history of
    every change, so the changes show as a count (the iCalendar sequence)."""
    entries = [TimelineEntry(appointment.created_at, "Appointment created")]
    for person in appointment.attendees:
        entries.append(TimelineEntry(person.created_at, f"{person.name} booked"))
        if person.checked_in_at:
            how = "QR code" if person.checkin_method == "qr" else "by hand"
            entries.append(TimelineEntry(person.checked_in_at, f"{person.name} checked in ({how})"))
    for proposal in proposals:
        entries.append(TimelineEntry(proposal.created_at, "New time proposed to the customer"))
        if proposal.decided_at:
            entries.append(TimelineEntry(proposal.decided_at, f"Proposal {proposal.status}"))
    if appointment.sequence:
        changes = "change" if appointment.sequence == 1 else "changes"
        entries.append(
            TimelineEntry(appointment.updated_at, f"Last changed ({appointment.sequence} {changes} in all)")
        )
    return sorted(entries, key=lambda entry: entry.at)


async def attendee_by_code(session: AsyncSession, code: str) -> Attendee | None:
    """The attendee a check-in code belongs to (to ask "check in Ann?" before doing it)."""
    cleaned = code.strip().upper()
    if not cleaned:
        return None
    return await session.scalar(
        select(Attendee)
        .where(Attendee.checkin_code == cleaned)
        .options(selectinload(Attendee.appointment).selectinload(Appointment.type))
    )


@dataclass(frozen=True, slots=True)
class WaitlistRow:
    entry: WaitlistEntry
    type_name: str
    staff_name: str


async def waitlist_by_day(
    session: AsyncSession, *, since: date, status: str = ""
) -> dict[date, list[WaitlistRow]]:
    """Waitlist entries from ``since`` on, by day, each day in queue order (priority, then age)."""
    statement = (
        select(WaitlistEntry, AppointmentType.name, StaffMember.display_name)
        .join(AppointmentType, AppointmentType.id == WaitlistEntry.type_id)
        .outerjoin(StaffMember, StaffMember.id == WaitlistEntry.staff_id)
        .where(WaitlistEntry.day >= since)
        .order_by(WaitlistEntry.day, WaitlistEntry.priority.desc(), WaitlistEntry.created_at)
    )
    if status:
        statement = statement.where(WaitlistEntry.status == status)
    days: dict[date, list[WaitlistRow]] = {}
    for entry, type_name, staff_name in (await session.execute(statement)).all():
        days.setdefault(entry.day, []).append(WaitlistRow(entry, type_name, staff_name or ""))
    return days
