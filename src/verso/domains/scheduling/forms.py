"""Staff form input for the scheduling set-up. Text becomes the services' inputs here: amounts in
minor units of the business currency, times as ``datetime.time``, comma lists as lists. The rules
themselves live in ``services._setup``; the structs below only bound lengths against abuse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from verso.domains.scheduling.models import AppointmentType, Resource, StaffMember
from verso.domains.scheduling.services._setup import (
    MAX_QUESTIONS,
    MAX_RANGES,
    WEEKDAYS,
    ExceptionInput,
    HoursRange,
    QuestionInput,
    ResourceInput,
    TypeInput,
)
from verso.lib.forms import FormState
from verso.lib.money import MoneyError, parse_money, to_decimal_text

Short = Annotated[str, Meta(max_length=1000)]
Long = Annotated[str, Meta(max_length=20_000)]
Money = Annotated[str, Meta(max_length=20)]


def add_errors(form: FormState, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        form.add_error(name, message)


def money(form: FormState, name: str, text: str, currency: str) -> int | None:
    """An amount typed as ``12.50``, in minor units; blank is ``None``."""
    if not text.strip():
        return None
    try:
        return parse_money(text, currency)
    except MoneyError as exc:
        form.add_error(name, str(exc))
        return None


def parse_time(text: str) -> time | None:
    """``"09:00"`` (what a time input sends) as a time; ``None`` for anything else."""
    try:
        return time.fromisoformat(text.strip()).replace(second=0, microsecond=0, tzinfo=None)
    except ValueError:
        return None


def uuid_list(form: FormState, name: str, texts: list[str]) -> list[UUID]:
    ids = []
    for text in texts:
        try:
            ids.append(UUID(text))
        except ValueError:
            form.add_error(name, "Choose from the list.")
    return ids


# ---- appointment types ---------------------------------------------------------------------------
class TypeForm(msgspec.Struct, kw_only=True):
    name: Short = ""
    slug: Short = ""
    description: Long = ""
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    step_minutes: int
    price: Money = ""
    deposit_kind: Short = "none"
    deposit_value: Money = ""
    color: Short = "#2563eb"
    max_per_day: int | None = None
    max_attendees: int
    booking_window_days: int
    min_notice_hours: int
    resource_kind: Short = ""
    requires_confirmation: bool = False
    location_kind: Short = "address"
    location: Short = ""
    assignment: Short = "round_robin"
    active: bool = False
    staff_ids: list[str] = []
    cancellation_hours: int
    cancellation_fee: Money = ""
    no_show_fee: Money = ""
    no_show_penalty: Short = "none"
    max_reschedules: int
    reschedule_hours: int
    reminder_1: int | None = None
    reminder_2: int | None = None
    reminder_3: int | None = None
    send_confirmation: bool = False
    send_reminders: bool = False


@dataclass
class QuestionRow:
    """One line of the booking-questions editor as typed; ``options`` comma-separated."""

    label: str = ""
    kind: str = "text"
    required: bool = False
    options: str = ""
    key: str = ""

    @property
    def blank(self) -> bool:
        return not self.label.strip() and not self.options.strip()


def question_rows(submitted: Any) -> list[QuestionRow]:
    """The editor's lines (parallel ``question_*`` fields; ``question_required`` holds the indexes
    of the lines whose box is ticked, as unticked boxes send nothing)."""
    names = ("question_label", "question_kind", "question_options", "question_key")
    columns = [[str(v)[:1000] for v in submitted.getall(name, [])][: MAX_QUESTIONS + 5] for name in names]
    required = {str(v) for v in submitted.getall("question_required", [])}
    count = max(len(column) for column in columns)
    padded = [column + [""] * (count - len(column)) for column in columns]
    return [
        QuestionRow(label, kind or "text", str(i) in required, options, key)
        for i, (label, kind, options, key) in enumerate(zip(*padded, strict=True))
    ]


def rows_from_questions(questions: list[dict[str, Any]]) -> list[QuestionRow]:
    return [
        QuestionRow(
            q["label"], q["kind"], bool(q.get("required")), ", ".join(q.get("options") or []), q["key"]
        )
        for q in questions
    ]


def edited_questions(action: str, rows: list[QuestionRow]) -> list[QuestionRow] | None:
    """The lines after an "Add a question" or "Remove" button, or ``None`` for the save button."""
    if action == "add_question":
        return [*rows, QuestionRow()] if len(rows) < MAX_QUESTIONS else rows
    if action.startswith("remove_question-") and action[16:].isdigit():
        index = int(action[16:])
        return [row for i, row in enumerate(rows) if i != index]
    return None


def type_input(data: TypeForm, rows: list[QuestionRow], form: FormState, currency: str) -> TypeInput | None:
    """The form as a :class:`TypeInput` (blank question lines dropped), or ``None`` with the
    problems of the typed text added to ``form``."""
    price = money(form, "price", data.price, currency)
    if data.deposit_kind == "percent":
        text = data.deposit_value.strip().rstrip("%").strip()
        deposit = int(text) if text.isascii() and text.isdigit() and len(text) < 5 else None
        if deposit is None:
            form.add_error("deposit_value", "Enter a whole percentage, such as 20.")
    elif data.deposit_kind == "amount":
        deposit = money(form, "deposit_value", data.deposit_value, currency)
    else:
        deposit = 0
    fees = {
        name: money(form, name, getattr(data, name), currency) for name in ("cancellation_fee", "no_show_fee")
    }
    staff_ids = uuid_list(form, "staff_ids", data.staff_ids)
    if not form.valid:
        return None
    questions = [
        QuestionInput(
            row.label,
            row.kind,
            row.required,
            tuple(o.strip() for o in row.options.split(",") if o.strip()),
            row.key.strip(),
        )
        for row in rows
        if not row.blank
    ]
    return TypeInput(
        name=data.name,
        slug=data.slug,
        description=data.description.strip(),
        duration_minutes=data.duration_minutes,
        buffer_before_minutes=data.buffer_before_minutes,
        buffer_after_minutes=data.buffer_after_minutes,
        step_minutes=data.step_minutes,
        price=price,
        deposit_kind=data.deposit_kind,
        deposit_value=deposit or 0,
        color=data.color.strip(),
        max_per_day=data.max_per_day,
        max_attendees=data.max_attendees,
        booking_window_days=data.booking_window_days,
        min_notice_hours=data.min_notice_hours,
        resource_kind=data.resource_kind or None,
        questions=questions,
        requires_confirmation=data.requires_confirmation,
        location_kind=data.location_kind,
        location=data.location,
        assignment=data.assignment,
        active=data.active,
        staff_ids=staff_ids,
        cancellation_hours=data.cancellation_hours,
        cancellation_fee=fees["cancellation_fee"] or 0,
        no_show_fee=fees["no_show_fee"] or 0,
        no_show_penalty=data.no_show_penalty,
        max_reschedules=data.max_reschedules,
        reschedule_hours=data.reschedule_hours,
        reminder_hours=[h for h in (data.reminder_1, data.reminder_2, data.reminder_3) if h is not None],
        send_confirmation=data.send_confirmation,
        send_reminders=data.send_reminders,
    )


_PLAIN = (
    "name slug description duration_minutes buffer_before_minutes buffer_after_minutes step_minutes "
    "deposit_kind color max_per_day max_attendees booking_window_days min_notice_hours "
    "requires_confirmation location_kind location assignment active cancellation_hours no_show_penalty "
    "max_reschedules reschedule_hours send_confirmation send_reminders"
).split()


def type_values(kind: AppointmentType | None, currency: str) -> dict[str, Any]:
    """A type's fields as the form shows them; a new type starts from the usual defaults."""
    source: AppointmentType | TypeInput = kind or TypeInput(name="", duration_minutes=30, reminder_hours=[24])
    values = {name: getattr(source, name) for name in _PLAIN}
    for name in ("price", "cancellation_fee", "no_show_fee"):
        values[name] = to_decimal_text(getattr(source, name) or None, currency)
    values["deposit_value"] = {
        "amount": to_decimal_text(source.deposit_value, currency),
        "percent": str(source.deposit_value),
    }.get(source.deposit_kind, "")
    values["resource_kind"] = source.resource_kind or ""
    values["staff_ids"] = [str(member.id) for member in kind.staff] if kind else []
    for index, hours in enumerate(source.reminder_hours[:3]):
        values[f"reminder_{index + 1}"] = hours
    return values


# ---- staff: the account, the weekly hours, exceptions and holidays ----------------------------------
class NewStaffForm(msgspec.Struct):
    user_id: Short = ""
    display_name: Short = ""
    timezone: Short = ""


class StaffForm(msgspec.Struct):
    display_name: Short = ""
    timezone: Short = ""
    active: bool = False


def hours_field(weekday: int, index: int, end: str) -> str:
    """The name of one time box of the weekly editor: ``h-0-1-start`` is Monday's second start."""
    return f"h-{weekday}-{index}-{end}"


def hours_input(submitted: Any, form: FormState) -> list[HoursRange]:
    """The weekly editor's ranges (lines with both boxes blank are skipped); typed values go into
    ``form.values`` and problems under ``hours-<weekday>``."""
    ranges = []
    for weekday, day in enumerate(WEEKDAYS):
        for index in range(MAX_RANGES):
            start_name, end_name = hours_field(weekday, index, "start"), hours_field(weekday, index, "end")
            texts = [str(submitted.get(name) or "")[:10] for name in (start_name, end_name)]
            form.values[start_name], form.values[end_name] = texts
            if not any(t.strip() for t in texts):
                continue
            start, end = parse_time(texts[0]), parse_time(texts[1])
            if start is None or end is None:
                form.errors.setdefault(
                    f"hours-{weekday}", [f"{day}: give both times of each range, such as 09:00."]
                )
                continue
            ranges.append(HoursRange(weekday, start, end))
    return ranges


def hours_values(member: StaffMember) -> dict[str, str]:
    values: dict[str, str] = {}
    for weekday in range(len(WEEKDAYS)):
        for index, hours in enumerate(h for h in member.hours if h.weekday == weekday):
            values[hours_field(weekday, index, "start")] = f"{hours.start_time:%H:%M}"
            values[hours_field(weekday, index, "end")] = f"{hours.end_time:%H:%M}"
    return values


class ExceptionForm(msgspec.Struct):
    day: date
    kind: Short = "off"
    start: Short = ""
    end: Short = ""
    reason: Short = ""


class HolidayForm(msgspec.Struct):
    day: date
    reason: Short = ""


def exception_input(data: ExceptionForm | HolidayForm, form: FormState) -> ExceptionInput | None:
    """A day off (also every holiday) or custom hours, with the typed times checked."""
    if not isinstance(data, ExceptionForm) or data.kind != "hours":
        return ExceptionInput(day=data.day, reason=data.reason)
    times = {}
    for name in ("start", "end"):
        text = getattr(data, name)
        times[name] = parse_time(text) if text.strip() else None
        if text.strip() and times[name] is None:
            form.add_error(name, "Enter a time such as 09:00.")
    if not form.valid:
        return None
    return ExceptionInput(
        day=data.day, blocked=False, start=times["start"], end=times["end"], reason=data.reason
    )


# ---- resources ---------------------------------------------------------------------------------------
class ResourceForm(msgspec.Struct):
    capacity: int
    name: Short = ""
    kind: Short = ""
    amenities: Long = ""
    hourly_rate: Money = ""
    active: bool = False


def resource_input(data: ResourceForm, form: FormState, currency: str) -> ResourceInput | None:
    rate = money(form, "hourly_rate", data.hourly_rate, currency)
    if not form.valid:
        return None
    amenities = tuple(item.strip() for item in data.amenities.split(",") if item.strip())
    return ResourceInput(data.name, data.kind, data.capacity, amenities, rate, data.active)


def resource_values(resource: Resource | None, currency: str) -> dict[str, Any]:
    if resource is None:
        return {"capacity": 1, "kind": "room", "active": True}
    return {
        "name": resource.name,
        "kind": resource.kind,
        "capacity": resource.capacity,
        "amenities": ", ".join(resource.amenities),
        "hourly_rate": to_decimal_text(resource.hourly_rate, currency),
        "active": resource.active,
    }
