"""Staff set-up of scheduling: appointment types with their booking policy, bookable staff with
weekly hours and exceptions, business holidays, and resources.

Every save checks the whole input first and raises :class:`SetupError` with one message per field,
so a form shows every problem at once. Functions change the session (flushed) and leave the commit
to the caller; every change is audited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from verso.domains.identity.models import User, user_role
from verso.domains.identity.permissions import STAFF, grants
from verso.domains.scheduling.models import (
    ASSIGNMENTS,
    DEPOSIT_KINDS,
    LOCATION_KINDS,
    NO_SHOW_PENALTIES,
    RESOURCE_KINDS,
    Appointment,
    AppointmentType,
    AvailabilityException,
    Resource,
    StaffMember,
    WorkingHours,
)
from verso.domains.scheduling.services._availability import HOLDING
from verso.lib.audit import Actor, audit, diff
from verso.lib.clock import is_valid_zone
from verso.lib.slugs import is_slug, slugify, unique_slug
from verso.lib.tables import Page, TableQuery, paginate

QUESTION_KINDS = ("text", "textarea", "select", "checkbox")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_QUESTIONS, MAX_OPTIONS, MAX_REMINDERS, MAX_RANGES = 10, 20, 3, 3
MAX_MONEY = 2**31 - 1
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_KEY = re.compile(r"^[a-z0-9_]{1,40}$")
# field: (lowest, highest, unit): whole numbers a type must keep within.
_BOUNDS: dict[str, tuple[int, int, str]] = {
    "duration_minutes": (5, 1440, "minutes"),
    "buffer_before_minutes": (0, 1440, "minutes"),
    "buffer_after_minutes": (0, 1440, "minutes"),
    "step_minutes": (5, 240, "minutes"),
    "max_attendees": (1, 1000, "people"),
    "booking_window_days": (1, 730, "days"),
    "min_notice_hours": (0, 8760, "hours"),
    "cancellation_hours": (0, 8760, "hours"),
    "reschedule_hours": (0, 8760, "hours"),
    "max_reschedules": (0, 100, "reschedules"),
}
_REMINDER = (1, 720)

RESERVED_SLUGS = {"done", "manage", "claim"}  # fixed paths under /book/


class SetupError(Exception):
    """A refused set-up change: ``errors`` maps form field names (``__all__`` for the whole form)
    to messages fit to show the person."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _text_problem(value: str, limit: int, *, required: bool = False) -> str | None:
    if required and not value.strip():
        return "This field is required."
    return f"Must be at most {limit} characters." if len(value) > limit else None


def _clean(text: str) -> str:
    return " ".join(text.split())


# ---- appointment types ---------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionInput:
    """One booking question; ``key`` names its answer and is kept across edits (blank: new)."""

    label: str
    kind: str = "text"
    required: bool = False
    options: tuple[str, ...] = ()
    key: str = ""

    def problem(self) -> str | None:
        if not self.label.strip():
            return "Give the question a label."
        if len(self.label) > 200:
            return "Keep the label under 200 characters."
        if self.kind not in QUESTION_KINDS:
            return "Choose one of the answer kinds."
        if self.kind == "select" and len(self.options) < 2:
            return "List at least two options, separated by commas."
        if len(self.options) > MAX_OPTIONS or any(len(o) > 100 for o in self.options):
            return f"Up to {MAX_OPTIONS} options of at most 100 characters each."
        return None


@dataclass
class TypeInput:
    """An appointment type as staff typed it, money in minor units of the business currency;
    ``deposit_value`` is minor units for an amount deposit and a percentage for a percent one."""

    name: str
    duration_minutes: int
    slug: str = ""
    description: str = ""
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    step_minutes: int = 30
    price: int | None = None
    deposit_kind: str = "none"
    deposit_value: int = 0
    color: str = "#2563eb"
    max_per_day: int | None = None
    max_attendees: int = 1
    booking_window_days: int = 60
    min_notice_hours: int = 2
    resource_kind: str | None = None
    questions: list[QuestionInput] = field(default_factory=list)
    requires_confirmation: bool = False
    location_kind: str = "address"
    location: str = ""
    assignment: str = "round_robin"
    active: bool = True
    staff_ids: list[UUID] = field(default_factory=list)
    cancellation_hours: int = 24
    cancellation_fee: int = 0
    no_show_fee: int = 0
    no_show_penalty: str = "none"
    max_reschedules: int = 2
    reschedule_hours: int = 24
    reminder_hours: list[int] = field(default_factory=list)
    send_confirmation: bool = True
    send_reminders: bool = True

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        texts = {
            "name": _text_problem(self.name, 120, required=True),
            "description": _text_problem(self.description, 5000),
            "location": _text_problem(self.location, 300),
        }
        errors.update({name: message for name, message in texts.items() if message})
        slug = self.slug.strip()
        if slug and (not is_slug(slug) or len(slug) > 120):
            errors["slug"] = "Use lower-case letters, digits and hyphens, such as “first-visit”."
        for name, (lowest, highest, unit) in _BOUNDS.items():
            if not lowest <= getattr(self, name) <= highest:
                errors[name] = f"Enter {lowest} to {highest} {unit}."
        if self.max_per_day is not None and not 1 <= self.max_per_day <= 1000:
            errors["max_per_day"] = "Enter 1 to 1000, or leave it empty for no limit."
        choices = {
            "deposit_kind": (self.deposit_kind, DEPOSIT_KINDS),
            "no_show_penalty": (self.no_show_penalty, NO_SHOW_PENALTIES),
            "location_kind": (self.location_kind, LOCATION_KINDS),
            "assignment": (self.assignment, ASSIGNMENTS),
            "resource_kind": (self.resource_kind, (None, *RESOURCE_KINDS)),
        }
        for name, (value, allowed) in choices.items():
            if value not in allowed:
                errors[name] = "Choose one of the options."
        if not _COLOUR.match(self.color):
            errors["color"] = "Choose a colour such as #2563eb."
        if (
            self.location_kind == "video"
            and self.location
            and not self.location.startswith(("https://", "http://"))
        ):
            errors["location"] = "Enter the meeting link, starting with https://."
        errors.update(self._money_problems())
        errors.update(self._reminder_problems())
        if len(self.questions) > MAX_QUESTIONS:
            errors["questions"] = f"Up to {MAX_QUESTIONS} questions."
        for index, question in enumerate(self.questions):
            if message := question.problem():
                errors[f"question-{index}"] = message
        return errors

    def _money_problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        price = self.price or 0
        if not 0 <= price <= MAX_MONEY:
            errors["price"] = "Enter an amount of zero or more."
        if self.deposit_kind != "none" and not price:
            errors["deposit_kind"] = "A deposit needs a price: set the price first."
        elif self.deposit_kind == "percent" and not 1 <= self.deposit_value <= 100:
            errors["deposit_value"] = "Enter a percentage from 1 to 100."
        elif self.deposit_kind == "amount" and self.deposit_value < 1:
            errors["deposit_value"] = "Enter the deposit amount."
        elif self.deposit_kind == "amount" and self.deposit_value > price:
            errors["deposit_value"] = "The deposit cannot be more than the price."
        for name in ("cancellation_fee", "no_show_fee"):
            fee = getattr(self, name)
            if not 0 <= fee <= MAX_MONEY:
                errors[name] = "Enter an amount of zero or more."
            elif price and fee > price:
                errors[name] = "The fee cannot be more than the price."
        if self.no_show_penalty == "fee" and not self.no_show_fee:
            errors.setdefault("no_show_fee", "Enter the fee charged for a no-show.")
        elif self.no_show_fee and self.no_show_penalty != "fee":
            errors["no_show_penalty"] = "Choose “Charge the no-show fee” to charge it, or set the fee to 0."
        return errors

    def _reminder_problems(self) -> dict[str, str]:
        hours = self.reminder_hours
        if len(hours) > MAX_REMINDERS:
            return {"reminder_hours": f"Up to {MAX_REMINDERS} reminders."}
        if any(not _REMINDER[0] <= h <= _REMINDER[1] for h in hours):
            return {"reminder_hours": f"Send reminders {_REMINDER[0]} to {_REMINDER[1]} hours before."}
        if len(set(hours)) != len(hours):
            return {"reminder_hours": "Give each reminder a different number of hours."}
        return {}


_TYPE_FIELDS = tuple(f.name for f in fields(TypeInput) if f.name != "staff_ids")


def _type_snapshot(kind: AppointmentType) -> dict[str, Any]:
    return {name: getattr(kind, name) for name in _TYPE_FIELDS} | {
        "staff": sorted(str(s.id) for s in kind.staff)
    }


def question_dicts(questions: Sequence[QuestionInput]) -> list[dict[str, Any]]:
    """The questions as stored, each with a unique ``key``: its own when it had a valid one (answers
    already given stay linked), else one made from the label."""
    taken: set[str] = set()
    stored = []
    for question in questions:
        key = question.key if _KEY.match(question.key) and question.key not in taken else ""
        if not key:
            base = slugify(question.label, 36).replace("-", "_") or "question"
            key, n = base, 2
            while key in taken:
                key, n = f"{base}_{n}", n + 1
        taken.add(key)
        options = list(question.options) if question.kind == "select" else []
        label, kind, required = _clean(question.label), question.kind, question.required
        stored.append({"key": key, "label": label, "kind": kind, "required": required, "options": options})
    return stored


async def type_page(session: AsyncSession, query: TableQuery, *, base_url: str) -> Page[AppointmentType]:
    return await paginate(
        session,
        select(AppointmentType).options(selectinload(AppointmentType.staff)),
        query,
        base_url=base_url,
        sort_columns={
            "name": AppointmentType.name,
            "duration": AppointmentType.duration_minutes,
            "price": AppointmentType.price,
        },
        search_columns=[AppointmentType.name, AppointmentType.slug],
    )


async def load_type(session: AsyncSession, type_id: UUID) -> AppointmentType | None:
    return await session.scalar(
        select(AppointmentType)
        .where(AppointmentType.id == type_id)
        .options(selectinload(AppointmentType.staff))
    )


async def save_type(
    session: AsyncSession, kind: AppointmentType | None, data: TypeInput, *, actor: Actor
) -> AppointmentType:
    """Create (``kind`` None) or update a type. A blank slug is made from the name (unique); a typed
    one must be free. ``kind`` comes from :func:`load_type` (its staff loaded)."""
    errors = data.problems()
    wanted = set(data.staff_ids)
    staff = (
        list(await session.scalars(select(StaffMember).where(StaffMember.id.in_(wanted)))) if wanted else []
    )
    if len(staff) != len(wanted):
        errors["staff_ids"] = "Choose staff from the list."
    own_id = kind.id if kind else None
    slug = data.slug.strip()
    if slug in RESERVED_SLUGS:
        errors["slug"] = f"“{slug}” is a word the booking pages use; choose another address."
    if slug and "slug" not in errors:
        clash = select(AppointmentType.id).where(AppointmentType.slug == slug, AppointmentType.id != own_id)
        if await session.scalar(clash) is not None:
            errors["slug"] = "Another appointment type already uses this address."
    if errors:
        raise SetupError(errors)
    slug = slug or await unique_slug(
        session, AppointmentType.slug, data.name, exclude_id=own_id, reserved=RESERVED_SLUGS, max_length=120
    )
    before = _type_snapshot(kind) if kind else {}
    if kind is None:
        kind = AppointmentType()
        session.add(kind)
    values = {name: getattr(data, name) for name in _TYPE_FIELDS}
    values.update(
        name=_clean(data.name),
        slug=slug,
        price=data.price or None,
        deposit_value=0 if data.deposit_kind == "none" else data.deposit_value,
        questions=question_dicts(data.questions),
        reminder_hours=sorted(data.reminder_hours, reverse=True),
        location=data.location.strip(),
        color=data.color.lower(),
    )
    for name, value in values.items():
        setattr(kind, name, value)
    kind.staff = sorted(staff, key=lambda member: member.display_name)
    await session.flush()
    action = "scheduling.type.updated" if before else "scheduling.type.created"
    _audit(session, actor, action, kind, kind.name, diff(before, _type_snapshot(kind)))
    return kind


async def type_bookings(session: AsyncSession, kind: AppointmentType) -> int:
    """How many appointments (of any status) were made for ``kind``."""
    count = select(func.count()).select_from(Appointment).where(Appointment.type_id == kind.id)
    return int(await session.scalar(count) or 0)


async def delete_type(session: AsyncSession, kind: AppointmentType, *, actor: Actor) -> None:
    """Delete a type nobody ever booked; with bookings, its history must stay: deactivate it."""
    if booked := await type_bookings(session, kind):
        noun = "appointment" if booked == 1 else "appointments"
        raise SetupError(
            {
                "__all__": f"“{kind.name}” has {booked} {noun}, so it cannot be deleted. Deactivate it "
                "instead: customers can no longer book it and its history stays."
            }
        )
    _audit(session, actor, "scheduling.type.deleted", kind, kind.name, diff(_type_snapshot(kind), {}))
    await session.delete(kind)
    await session.flush()


async def set_type_active(
    session: AsyncSession, kind: AppointmentType, active: bool, *, actor: Actor
) -> None:
    if kind.active != active:
        _audit(session, actor, "scheduling.type.updated", kind, kind.name, {"active": [kind.active, active]})
        kind.active = active
        await session.flush()


# ---- staff and their weekly hours ----------------------------------------------------------------
@dataclass(frozen=True)
class HoursRange:
    """One weekly opening range in the staff member's zone; an ``end`` of 00:00 means midnight."""

    weekday: int
    start: time
    end: time

    @property
    def minutes(self) -> tuple[int, int]:
        end = self.end.hour * 60 + self.end.minute or 24 * 60
        return self.start.hour * 60 + self.start.minute, end


def _range_text(start: time, end: time) -> str:
    return f"{start:%H:%M}–{end:%H:%M}"  # noqa: RUF001


def hours_problems(ranges: Sequence[HoursRange]) -> dict[str, str]:
    """Per weekday (``hours-<weekday>``): at most three ranges, each ending after it starts, none
    overlapping another (touching is fine: 09:00-12:00 and 12:00-17:00)."""
    errors: dict[str, str] = {}
    for weekday, day in enumerate(WEEKDAYS):
        mine = sorted((r for r in ranges if r.weekday == weekday), key=lambda r: r.minutes)
        key = f"hours-{weekday}"
        if len(mine) > MAX_RANGES:
            errors[key] = f"{day}: up to {MAX_RANGES} ranges."
        elif bad := next((r for r in mine if r.minutes[1] <= r.minutes[0]), None):
            errors[key] = f"{day}: {_range_text(bad.start, bad.end)} must end after it starts."
        elif clash := next((p for p in pairwise(mine) if p[1].minutes[0] < p[0].minutes[1]), None):
            first, second = clash
            errors[key] = (
                f"{day}: {_range_text(first.start, first.end)} and "
                f"{_range_text(second.start, second.end)} overlap."
            )
    if any(not 0 <= r.weekday <= 6 for r in ranges):
        errors["hours"] = "Choose a day of the week."
    return errors


def hours_summary(member: StaffMember) -> str:
    """``"Mon, Tue · 16 h a week"``: the line for the staff list (days listed, hours totalled)."""
    if not member.hours:
        return ""
    days = sorted({h.weekday for h in member.hours})
    spans = [HoursRange(h.weekday, h.start_time, h.end_time).minutes for h in member.hours]
    total = sum(max(0, end - start) for start, end in spans)
    hours = f"{total // 60} h" + (f" {total % 60:02d}" if total % 60 else "")
    return f"{', '.join(WEEKDAYS[d][:3] for d in days)} · {hours} a week"


@dataclass(frozen=True)
class StaffInput:
    display_name: str
    timezone: str
    active: bool = True

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if message := _text_problem(self.display_name, 120, required=True):
            errors["display_name"] = message
        if not is_valid_zone(self.timezone):
            errors["timezone"] = "Choose a time zone from the list."
        return errors


def _staff_snapshot(member: StaffMember) -> dict[str, Any]:
    return {
        "display_name": member.display_name,
        "timezone": member.timezone,
        "active": member.active,
        "hours": [f"{WEEKDAYS[h.weekday][:3]} {_range_text(h.start_time, h.end_time)}" for h in member.hours],
    }


async def staff_page(session: AsyncSession, query: TableQuery, *, base_url: str) -> Page[StaffMember]:
    return await paginate(
        session,
        select(StaffMember).options(selectinload(StaffMember.hours)),
        query,
        base_url=base_url,
        sort_columns={"name": StaffMember.display_name},
        search_columns=[StaffMember.display_name],
    )


async def load_staff(session: AsyncSession, staff_id: UUID) -> StaffMember | None:
    return await session.scalar(
        select(StaffMember).where(StaffMember.id == staff_id).options(selectinload(StaffMember.hours))
    )


async def all_staff(session: AsyncSession) -> list[StaffMember]:
    """Every bookable staff member (active or not) by name, for choosing who takes a type."""
    return list(await session.scalars(select(StaffMember).order_by(StaffMember.display_name)))


async def candidate_users(session: AsyncSession) -> list[User]:
    """Active accounts that open the staff area and are not bookable yet, by name."""
    rows = await session.scalars(
        select(User)
        .where(
            User.is_active.is_(True),
            User.id.in_(select(user_role.c.user_id)),
            User.id.not_in(select(StaffMember.user_id)),
        )
        .order_by(User.first_name, User.last_name, User.email)
        .limit(1000)
    )
    return [user for user in rows if grants(user.permissions, STAFF)]


async def add_staff(
    session: AsyncSession, user_id: UUID | None, data: StaffInput, *, actor: Actor
) -> StaffMember:
    """Make a staff account bookable; a blank display name takes the account's name."""
    user = next((u for u in await candidate_users(session) if u.id == user_id), None)
    if user is not None:
        data = replace(data, display_name=_clean(data.display_name) or user.display_name)
    errors = data.problems()
    if user is None:
        errors["user_id"] = "Choose a staff account from the list."
    if errors:
        raise SetupError(errors)
    member = StaffMember(
        user_id=user.id, display_name=data.display_name, timezone=data.timezone, active=data.active
    )
    member.hours = []
    session.add(member)
    await session.flush()
    _audit(
        session,
        actor,
        "scheduling.staff.created",
        member,
        member.display_name,
        diff({}, _staff_snapshot(member)),
    )
    return member


async def update_staff(
    session: AsyncSession, member: StaffMember, data: StaffInput, hours: Sequence[HoursRange], *, actor: Actor
) -> None:
    """Save the name, zone, active flag and the whole weekly schedule (``member`` from :func:`load_staff`)."""
    errors = data.problems() | hours_problems(hours)
    if errors:
        raise SetupError(errors)
    before = _staff_snapshot(member)
    member.display_name, member.timezone, member.active = (
        _clean(data.display_name),
        data.timezone,
        data.active,
    )
    member.hours = [
        WorkingHours(weekday=r.weekday, start_time=r.start, end_time=r.end)
        for r in sorted(hours, key=lambda r: (r.weekday, r.minutes))
    ]
    await session.flush()
    _audit(
        session,
        actor,
        "scheduling.staff.updated",
        member,
        member.display_name,
        diff(before, _staff_snapshot(member)),
    )


# ---- exceptions and business holidays --------------------------------------------------------------
@dataclass(frozen=True)
class ExceptionInput:
    """A day off (``blocked``) or custom hours on one day, with a reason. Business holidays are
    always days off."""

    day: date
    blocked: bool = True
    start: time | None = None
    end: time | None = None
    reason: str = ""

    def problems(self, today: date) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.day < today:
            errors["day"] = "Choose today or a later day."
        if not self.blocked:
            if self.start is None or self.end is None:
                errors["start"] = "Give both the start and the end of the hours."
            elif (span := HoursRange(0, self.start, self.end).minutes)[1] <= span[0]:
                errors["end"] = "The hours must end after they start."
        if message := _text_problem(self.reason, 120):
            errors["reason"] = message
        return errors


async def upcoming_exceptions(
    session: AsyncSession, staff_id: UUID | None, *, today: date
) -> list[AvailabilityException]:
    """A staff member's exceptions (``staff_id`` None: the business holidays) from ``today`` on."""
    owner = (
        AvailabilityException.staff_id.is_(None)
        if staff_id is None
        else AvailabilityException.staff_id == staff_id
    )
    rows = await session.scalars(
        select(AvailabilityException)
        .where(owner, AvailabilityException.day >= today)
        .order_by(AvailabilityException.day, AvailabilityException.start_time)
    )
    return list(rows)


async def add_exception(
    session: AsyncSession, staff_id: UUID | None, data: ExceptionInput, *, today: date, actor: Actor
) -> AvailabilityException:
    """Add a staff member's exception, or (``staff_id`` None) a business holiday. A day takes one
    day off, or several custom-hours ranges that do not overlap."""
    if staff_id is None:
        data = replace(data, blocked=True, start=None, end=None)
    errors = data.problems(today)
    if not errors:
        same_day = [
            e for e in await upcoming_exceptions(session, staff_id, today=data.day) if e.day == data.day
        ]
        if staff_id is None and same_day:
            errors["day"] = "That day is already a holiday."
        elif same_day and (data.blocked or any(e.blocked for e in same_day)):
            errors["day"] = "That day already has an exception: delete it first."
        elif any(_overlap(data, e) for e in same_day):
            errors["start"] = "These hours overlap other custom hours that day."
    if errors:
        raise SetupError(errors)
    exception = AvailabilityException(
        staff_id=staff_id,
        day=data.day,
        blocked=data.blocked,
        start_time=None if data.blocked else data.start,
        end_time=None if data.blocked else data.end,
        reason=_clean(data.reason),
    )
    session.add(exception)
    await session.flush()
    action = "scheduling.holiday.created" if staff_id is None else "scheduling.exception.created"
    _audit(session, actor, action, exception, f"{data.day.isoformat()} {exception.reason}".strip())
    return exception


def _overlap(data: ExceptionInput, other: AvailabilityException) -> bool:
    if data.start is None or data.end is None or other.start_time is None or other.end_time is None:
        return False
    mine = HoursRange(0, data.start, data.end).minutes
    theirs = HoursRange(0, other.start_time, other.end_time).minutes
    return mine[0] < theirs[1] and theirs[0] < mine[1]


async def load_exception(session: AsyncSession, exception_id: UUID) -> AvailabilityException | None:
    return await session.get(AvailabilityException, exception_id)


async def delete_exception(session: AsyncSession, exception: AvailabilityException, *, actor: Actor) -> None:
    action = "scheduling.holiday.deleted" if exception.staff_id is None else "scheduling.exception.deleted"
    _audit(session, actor, action, exception, f"{exception.day.isoformat()} {exception.reason}".strip())
    await session.delete(exception)
    await session.flush()


# ---- resources ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceInput:
    name: str
    kind: str
    capacity: int = 1
    amenities: tuple[str, ...] = ()
    hourly_rate: int | None = None
    active: bool = True

    def problems(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if message := _text_problem(self.name, 120, required=True):
            errors["name"] = message
        if self.kind not in RESOURCE_KINDS:
            errors["kind"] = "Choose one of the options."
        if not 1 <= self.capacity <= 10_000:
            errors["capacity"] = "Enter 1 to 10000 people."
        if len(self.amenities) > 30 or any(len(a) > 60 for a in self.amenities):
            errors["amenities"] = "Up to 30 amenities of at most 60 characters each."
        if self.hourly_rate is not None and not 0 <= self.hourly_rate <= MAX_MONEY:
            errors["hourly_rate"] = "Enter an amount of zero or more."
        return errors


def clean_amenities(items: Sequence[str]) -> list[str]:
    """Trimmed, without blanks or repeats (ignoring case), in the order typed."""
    seen: dict[str, str] = {}
    for item in items:
        if text := _clean(item):
            seen.setdefault(text.casefold(), text)
    return list(seen.values())


_RESOURCE_FIELDS = ("name", "kind", "capacity", "amenities", "hourly_rate", "active")


async def resource_page(session: AsyncSession, query: TableQuery, *, base_url: str) -> Page[Resource]:
    return await paginate(
        session,
        select(Resource),
        query,
        base_url=base_url,
        sort_columns={"name": Resource.name, "kind": Resource.kind, "capacity": Resource.capacity},
        search_columns=[Resource.name],
    )


async def load_resource(session: AsyncSession, resource_id: UUID) -> Resource | None:
    return await session.get(Resource, resource_id)


async def save_resource(
    session: AsyncSession, resource: Resource | None, data: ResourceInput, *, actor: Actor
) -> Resource:
    if errors := data.problems():
        raise SetupError(errors)
    before = {name: getattr(resource, name) for name in _RESOURCE_FIELDS} if resource else {}
    if resource is None:
        resource = Resource()
        session.add(resource)
    resource.name, resource.kind, resource.capacity = _clean(data.name), data.kind, data.capacity
    resource.amenities, resource.hourly_rate = clean_amenities(data.amenities), data.hourly_rate
    resource.active = data.active
    await session.flush()
    after = {name: getattr(resource, name) for name in _RESOURCE_FIELDS}
    action = "scheduling.resource.updated" if before else "scheduling.resource.created"
    _audit(session, actor, action, resource, resource.name, diff(before, after))
    return resource


async def delete_resource(session: AsyncSession, resource: Resource, *, now: datetime, actor: Actor) -> None:
    """Delete a resource no upcoming appointment holds (past ones just lose the link)."""
    upcoming = await session.scalar(
        select(func.count())
        .select_from(Appointment)
        .where(
            Appointment.resource_id == resource.id, Appointment.end_at > now, Appointment.status.in_(HOLDING)
        )
    )
    if upcoming:
        noun = "appointment holds" if upcoming == 1 else "appointments hold"
        raise SetupError(
            {
                "__all__": f"{upcoming} upcoming {noun} “{resource.name}”, so it cannot be deleted. "
                "Deactivate it instead."
            }
        )
    _audit(session, actor, "scheduling.resource.deleted", resource, resource.name)
    await session.delete(resource)
    await session.flush()


def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target: Any,
    label: str,
    changes: dict[str, Any] | None = None,
) -> None:
    audit(
        session,
        actor,
        action,
        target_type=action.split(".")[1],
        target_id=target.id,
        target_label=label,
        changes=changes,
    )
