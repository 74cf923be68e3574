"""Set-up rules through the service: an appointment type's limits, deposit, fees, reminders and
questions; slugs; deleting a booked type; weekly hours; exceptions and holidays; resources; and who
can be made bookable."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from tests.factories import make_user
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.scheduling.models import Appointment, AppointmentType, AvailabilityException
from verso.domains.scheduling.services._setup import (
    ExceptionInput,
    HoursRange,
    QuestionInput,
    ResourceInput,
    SetupError,
    StaffInput,
    TypeInput,
    add_exception,
    add_staff,
    candidate_users,
    delete_resource,
    delete_type,
    hours_problems,
    hours_summary,
    load_staff,
    load_type,
    question_dicts,
    save_resource,
    save_type,
    set_type_active,
    update_staff,
)
from verso.lib.audit import SYSTEM, AuditLog

TODAY = date(2026, 12, 1)


def kind(**fields) -> TypeInput:
    return TypeInput(**{"name": "Haircut", "duration_minutes": 30, **fields})


# (fields changed from a valid type, the problems reported)
CASES = [
    ({"name": "  "}, {"name": "This field is required."}),
    ({"duration_minutes": 4}, {"duration_minutes": "Enter 5 to 1440 minutes."}),
    ({"duration_minutes": 1441}, {"duration_minutes": "Enter 5 to 1440 minutes."}),
    ({"step_minutes": 241}, {"step_minutes": "Enter 5 to 240 minutes."}),
    ({"buffer_before_minutes": -1}, {"buffer_before_minutes": "Enter 0 to 1440 minutes."}),
    ({"max_attendees": 0}, {"max_attendees": "Enter 1 to 1000 people."}),
    ({"max_per_day": 0}, {"max_per_day": "Enter 1 to 1000, or leave it empty for no limit."}),
    (
        {"slug": "Hair Cut"},
        {"slug": "Use lower-case letters, digits and hyphens, such as “first-visit”."},
    ),
    ({"color": "blue"}, {"color": "Choose a colour such as #2563eb."}),
    ({"resource_kind": "boat"}, {"resource_kind": "Choose one of the options."}),
    (
        {"location_kind": "video", "location": "zoom room 4"},
        {"location": "Enter the meeting link, starting with https://."},
    ),
    (
        {"deposit_kind": "amount", "deposit_value": 500},
        {"deposit_kind": "A deposit needs a price: set the price first."},
    ),
    (
        {"price": 2000, "deposit_kind": "percent", "deposit_value": 101},
        {"deposit_value": "Enter a percentage from 1 to 100."},
    ),
    (
        {"price": 2000, "deposit_kind": "percent", "deposit_value": 0},
        {"deposit_value": "Enter a percentage from 1 to 100."},
    ),
    (
        {"price": 2000, "deposit_kind": "amount", "deposit_value": 2001},
        {"deposit_value": "The deposit cannot be more than the price."},
    ),
    (
        {"price": 2000, "cancellation_fee": 2500},
        {"cancellation_fee": "The fee cannot be more than the price."},
    ),
    ({"no_show_penalty": "fee"}, {"no_show_fee": "Enter the fee charged for a no-show."}),
    (
        {"no_show_fee": 500},
        {"no_show_penalty": "Choose “Charge the no-show fee” to charge it, or set the fee to 0."},
    ),
    ({"reminder_hours": [48, 24, 2, 1]}, {"reminder_hours": "Up to 3 reminders."}),
    ({"reminder_hours": [24, 24]}, {"reminder_hours": "Give each reminder a different number of hours."}),
    ({"reminder_hours": [0]}, {"reminder_hours": "Send reminders 1 to 720 hours before."}),
    (
        {"questions": [QuestionInput("Colour?", "select", options=("red",))]},
        {"question-0": "List at least two options, separated by commas."},
    ),
    (
        {"questions": [QuestionInput("Notes"), QuestionInput(" ", "text")]},
        {"question-1": "Give the question a label."},
    ),
    ({"questions": [QuestionInput(f"Q{n}") for n in range(11)]}, {"questions": "Up to 10 questions."}),
]


def test_type_rules_name_the_field() -> None:
    """Table-driven in one test: each case is one cheap call, and one test keeps the run short."""
    assert kind().problems() == {}
    assert [kind(**fields).problems() for fields, _ in CASES] == [expected for _, expected in CASES]


def test_allowed_edges() -> None:
    edges = kind(
        duration_minutes=1440,
        step_minutes=5,
        price=2000,
        deposit_kind="amount",
        deposit_value=2000,
        reminder_hours=[720, 1, 24],
        no_show_penalty="fee",
        no_show_fee=2000,
    )
    assert edges.problems() == {}
    assert kind(price=2000, deposit_kind="percent", deposit_value=100).problems() == {}


def test_question_keys_are_made_from_labels_and_kept() -> None:
    stored = question_dicts(
        [
            QuestionInput("Your allergies?", "textarea", True),
            QuestionInput("Your allergies", "select", options=("None", "Nuts")),
            QuestionInput("Renamed", key="first_visit"),
            QuestionInput("Other", "checkbox", options=("ignored",), key="Not A Key"),
        ]
    )
    assert stored == [
        {
            "key": "your_allergies",
            "label": "Your allergies?",
            "kind": "textarea",
            "required": True,
            "options": [],
        },
        {
            "key": "your_allergies_2",
            "label": "Your allergies",
            "kind": "select",
            "required": False,
            "options": ["None", "Nuts"],
        },
        {"key": "first_visit", "label": "Renamed", "kind": "text", "required": False, "options": []},
        {"key": "other", "label": "Other", "kind": "checkbox", "required": False, "options": []},
    ]


async def test_save_type_makes_a_unique_slug_and_stores_the_policy(db_session) -> None:
    staff = await make_staff(db_session)
    await make_type(db_session, [], name="Haircut", slug="haircut")
    saved = await save_type(
        db_session,
        None,
        kind(
            name="  Haircut  ",
            price=0,
            deposit_kind="none",
            deposit_value=40,
            reminder_hours=[2, 48, 24],
            staff_ids=[staff.id],
            color="#AABBCC",
        ),
        actor=SYSTEM,
    )
    await db_session.commit()
    stored = await load_type(db_session, saved.id)
    assert (stored.name, stored.slug, stored.price, stored.deposit_value) == ("Haircut", "haircut-2", None, 0)
    assert (stored.reminder_hours, stored.color) == ([48, 24, 2], "#aabbcc")
    assert [member.display_name for member in stored.staff] == ["Sam Stylist"]
    log = await db_session.scalar(select(AuditLog).where(AuditLog.action == "scheduling.type.created"))
    assert log.target_label == "Haircut" and log.changes["slug"] == [None, "haircut-2"]


async def test_a_typed_slug_must_be_free_and_staff_must_exist(db_session) -> None:
    await make_type(db_session, [], slug="haircut")
    with pytest.raises(SetupError) as refused:
        await save_type(db_session, None, kind(slug="haircut", staff_ids=[uuid4()]), actor=SYSTEM)
    assert refused.value.errors == {
        "staff_ids": "Choose staff from the list.",
        "slug": "Another appointment type already uses this address.",
    }
    with pytest.raises(SetupError) as reserved:
        await save_type(db_session, None, kind(slug="manage"), actor=SYSTEM)
    assert reserved.value.errors == {
        "slug": "“manage” is a word the booking pages use; choose another address."
    }


async def test_a_booked_type_cannot_be_deleted_but_can_be_deactivated(db_session) -> None:
    staff = await make_staff(db_session)
    booked = await make_type(db_session, [staff])
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    db_session.add(
        Appointment(
            type_id=booked.id, staff_id=staff.id, start_at=start, end_at=start + timedelta(minutes=30)
        )
    )
    await db_session.commit()
    loaded = await load_type(db_session, booked.id)
    with pytest.raises(SetupError) as refused:
        await delete_type(db_session, loaded, actor=SYSTEM)
    assert refused.value.errors == {
        "__all__": "“Haircut” has 1 appointment, so it cannot be deleted. Deactivate it instead: customers "
        "can no longer book it and its history stays."
    }
    await set_type_active(db_session, loaded, False, actor=SYSTEM)
    await db_session.commit()
    assert await db_session.scalar(select(AppointmentType.active)) is False


async def test_editing_keeps_its_own_slug_and_an_unbooked_type_is_deleted(db_session) -> None:
    staff = await make_staff(db_session)
    existing = await make_type(db_session, [staff], slug="haircut")
    loaded = await load_type(db_session, existing.id)
    saved = await save_type(db_session, loaded, kind(name="Short haircut", slug="haircut"), actor=SYSTEM)
    assert (saved.name, saved.slug, saved.staff) == ("Short haircut", "haircut", [])
    await db_session.commit()
    await delete_type(db_session, await load_type(db_session, existing.id), actor=SYSTEM)
    await db_session.commit()
    assert await db_session.scalar(select(AppointmentType.id)) is None


# ---- weekly hours ------------------------------------------------------------------------------------
def test_hours_rules() -> None:
    ok = [
        HoursRange(0, time(9), time(12)),
        HoursRange(0, time(12), time(17)),
        HoursRange(4, time(18), time(0)),
    ]
    assert hours_problems(ok) == {}
    assert hours_problems([HoursRange(1, time(9), time(12)), HoursRange(1, time(11), time(13))]) == {
        "hours-1": "Tuesday: 09:00–12:00 and 11:00–13:00 overlap."  # noqa: RUF001
    }
    assert hours_problems([HoursRange(2, time(12), time(9))]) == {
        "hours-2": "Wednesday: 12:00–09:00 must end after it starts."  # noqa: RUF001
    }
    four = [HoursRange(6, time(h), time(h + 1)) for h in (8, 10, 12, 14)]
    assert hours_problems(four) == {"hours-6": "Sunday: up to 3 ranges."}


async def test_update_staff_replaces_the_week_and_checks_the_zone(db_session) -> None:
    staff = await make_staff(db_session)
    member = await load_staff(db_session, staff.id)
    with pytest.raises(SetupError) as refused:
        await update_staff(db_session, member, StaffInput("", "Mars/Olympus"), [], actor=SYSTEM)
    assert refused.value.errors == {
        "display_name": "This field is required.",
        "timezone": "Choose a time zone from the list.",
    }
    week = [
        HoursRange(0, time(13), time(17)),
        HoursRange(0, time(9), time(12)),
        HoursRange(2, time(10), time(16, 30)),
    ]
    await update_staff(
        db_session, member, StaffInput(" Sam  S. ", "America/New_York", False), week, actor=SYSTEM
    )
    await db_session.commit()
    member = await load_staff(db_session, staff.id)
    assert (member.display_name, member.timezone, member.active) == ("Sam S.", "America/New_York", False)
    assert [(h.weekday, h.start_time, h.end_time) for h in member.hours] == [
        (0, time(9), time(12)),
        (0, time(13), time(17)),
        (2, time(10), time(16, 30)),
    ]
    assert hours_summary(member) == "Mon, Wed · 13 h 30 a week"


async def test_only_staff_accounts_not_yet_bookable_can_be_added(db_session) -> None:
    already = await make_staff(db_session)
    employee = await make_user("emma@example.com", ["employee"], first_name="Emma", last_name="Stone")
    await make_user("carl@example.com", ["user"])
    candidates = await candidate_users(db_session)
    assert [user.email for user in candidates] == ["emma@example.com"]
    with pytest.raises(SetupError) as refused:
        await add_staff(db_session, already.user_id, StaffInput("Sam", "Europe/Paris"), actor=SYSTEM)
    assert refused.value.errors == {"user_id": "Choose a staff account from the list."}
    member = await add_staff(db_session, employee.id, StaffInput(" ", "Europe/Paris"), actor=SYSTEM)
    await db_session.commit()
    assert (member.display_name, member.timezone, member.active) == ("Emma Stone", "Europe/Paris", True)


# ---- exceptions and holidays -------------------------------------------------------------------------
async def test_exception_rules(db_session) -> None:
    staff = await make_staff(db_session)
    day = date(2026, 12, 24)

    async def refused(data: ExceptionInput, staff_id=staff.id) -> dict[str, str]:
        with pytest.raises(SetupError) as error:
            await add_exception(db_session, staff_id, data, today=TODAY, actor=SYSTEM)
        return error.value.errors

    assert await refused(ExceptionInput(date(2026, 11, 30))) == {"day": "Choose today or a later day."}
    assert await refused(ExceptionInput(day, blocked=False, start=time(10))) == {
        "start": "Give both the start and the end of the hours."
    }
    assert await refused(ExceptionInput(day, blocked=False, start=time(14), end=time(10))) == {
        "end": "The hours must end after they start."
    }
    await add_exception(
        db_session,
        staff.id,
        ExceptionInput(day, False, time(9), time(12), "Short day"),
        today=TODAY,
        actor=SYSTEM,
    )
    await add_exception(
        db_session, staff.id, ExceptionInput(day, False, time(12), time(14)), today=TODAY, actor=SYSTEM
    )
    assert await refused(ExceptionInput(day, False, time(13), time(15))) == {
        "start": "These hours overlap other custom hours that day."
    }
    assert await refused(ExceptionInput(day)) == {
        "day": "That day already has an exception: delete it first."
    }
    await add_exception(
        db_session,
        None,
        ExceptionInput(day, False, time(9), time(10), "Christmas Eve"),
        today=TODAY,
        actor=SYSTEM,
    )
    assert await refused(ExceptionInput(day), staff_id=None) == {"day": "That day is already a holiday."}
    await db_session.commit()
    rows = (
        await db_session.scalars(select(AvailabilityException).order_by(AvailabilityException.start_time))
    ).all()
    summary = {(r.staff_id == staff.id, r.blocked, r.start_time, r.end_time, r.reason) for r in rows}
    assert summary == {
        (True, False, time(9), time(12), "Short day"),
        (True, False, time(12), time(14), ""),
        (False, True, None, None, "Christmas Eve"),  # a holiday is always a day off
    }


# ---- resources ---------------------------------------------------------------------------------------
def test_resource_rules() -> None:
    assert ResourceInput("", "boat", 0, ("x" * 61,), -1).problems() == {
        "name": "This field is required.",
        "kind": "Choose one of the options.",
        "capacity": "Enter 1 to 10000 people.",
        "amenities": "Up to 30 amenities of at most 60 characters each.",
        "hourly_rate": "Enter an amount of zero or more.",
    }


async def test_resource_saved_and_deleted_only_without_upcoming_bookings(db_session) -> None:
    room = await save_resource(
        db_session,
        None,
        ResourceInput(" Room  1 ", "room", 4, ("Sink", " sink", "", "Chair"), 1500),
        actor=SYSTEM,
    )
    await db_session.commit()
    staff = await make_staff(db_session)
    kind_ = await make_type(db_session, [staff], resource_kind="room")
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    appointment = Appointment(
        type_id=kind_.id,
        staff_id=staff.id,
        resource_id=room.id,
        start_at=start,
        end_at=start + timedelta(hours=1),
    )
    db_session.add(appointment)
    await db_session.commit()
    assert (room.name, room.amenities, room.hourly_rate) == ("Room 1", ["Sink", "Chair"], 1500)
    with pytest.raises(SetupError) as refused:
        await delete_resource(db_session, room, now=datetime(2026, 12, 1, tzinfo=UTC), actor=SYSTEM)
    assert refused.value.errors == {
        "__all__": "1 upcoming appointment holds “Room 1”, so it cannot be deleted. Deactivate it instead."
    }
    await delete_resource(db_session, room, now=datetime(2026, 12, 3, tzinfo=UTC), actor=SYSTEM)
    await db_session.commit()
    assert await db_session.scalar(select(Appointment.resource_id)) is None
