"""The calendar's read model: weeks start on Monday, month grids are padded to whole weeks, navigation
steps by day, week or month, local days are cut at the business zone's midnight (an appointment at
23:30 UTC is on the next day in Paris), and the database reads behind the calendar, the appointment's
timeline, the waitlist and the staff-only edits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.scheduling.helpers import make_staff, make_type
from verso.domains.scheduling.models import (
    Appointment,
    Attendee,
    BookingBlock,
    CalendarFeed,
    RescheduleRequest,
    Resource,
    WaitlistEntry,
)
from verso.domains.scheduling.services import PolicyError, checkin_code, load_appointment
from verso.domains.scheduling.services._blocks import booking_block
from verso.domains.scheduling.services._calendar import (
    CalendarItem,
    CalendarQuery,
    GridColumn,
    calendar_page,
    calendar_query,
    group_by_day,
    mark_no_show,
    month_grid,
    next_statuses,
    period_title,
    save_notes,
    set_priority,
    shift,
    shown_days,
    staff_choices,
    time_grid,
    timeline,
    utc_bounds,
    utc_moment,
    waitlist_by_day,
    week_of,
)
from verso.lib.audit import SYSTEM, Actor, AuditLog

PARIS = ZoneInfo("Europe/Paris")
STAFF_A, STAFF_B = UUID(int=1), UUID(int=2)


# ---- pure layout -----------------------------------------------------------------------------
def test_weeks_start_on_monday() -> None:
    assert week_of(date(2026, 12, 2)) == [date(2026, 11, 30) + timedelta(days=n) for n in range(7)]
    assert week_of(date(2026, 12, 6))[0] == date(2026, 11, 30)  # a Sunday belongs to the week before
    assert week_of(date(2026, 12, 7))[0] == date(2026, 12, 7)
    assert shown_days("week", date(2026, 12, 2)) == (date(2026, 11, 30), date(2026, 12, 6))
    assert shown_days("day", date(2026, 12, 2)) == (date(2026, 12, 2), date(2026, 12, 2))


def test_month_grid_pads_to_whole_weeks() -> None:
    december = month_grid(date(2026, 12, 17))  # 1 December 2026 is a Tuesday
    assert (december[0][0], december[-1][-1], len(december)) == (date(2026, 11, 30), date(2027, 1, 3), 5)
    february = month_grid(date(2021, 2, 10))  # starts on a Monday, 28 days: no padding at all
    assert (february[0][0], february[-1][-1], len(february)) == (date(2021, 2, 1), date(2021, 2, 28), 4)
    august = month_grid(date(2026, 8, 1))  # starts on a Saturday, ends on a Monday: six rows
    assert (august[0][0], august[-1][-1], len(august)) == (date(2026, 7, 27), date(2026, 9, 6), 6)
    assert shown_days("month", date(2026, 8, 31)) == (date(2026, 7, 27), date(2026, 9, 6))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_month_grid_is_whole_consecutive_weeks_around_the_month(day: date) -> None:
    weeks = month_grid(day)
    days = [d for week in weeks for d in week]
    assert all(len(week) == 7 for week in weeks)
    assert days[0].weekday() == 0 and days[-1].weekday() == 6
    assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(days))
    month = [d for d in days if (d.year, d.month) == (day.year, day.month)]
    assert month[0].day == 1 and (month[-1] + timedelta(days=1)).day == 1
    assert days.index(month[0]) < 7 and len(days) - days.index(month[-1]) <= 7


def test_shift_moves_by_the_view() -> None:
    assert shift("day", date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert shift("week", date(2026, 12, 2), -1) == date(2026, 11, 25)
    assert shift("month", date(2026, 1, 31), 1) == date(2026, 2, 1)  # no 31 February: the first
    assert shift("month", date(2026, 1, 15), -1) == date(2025, 12, 1)
    assert shift("month", date(2026, 12, 15), 1) == date(2027, 1, 1)


def test_titles() -> None:
    assert period_title("day", date(2026, 12, 1)) == "Tuesday 1 December 2026"
    assert period_title("week", date(2026, 12, 2)) == "30 Nov \N{EN DASH} 6 Dec 2026"
    assert period_title("week", date(2026, 12, 30)) == "28 Dec 2026 \N{EN DASH} 3 Jan 2027"
    assert period_title("month", date(2026, 12, 9)) == "December 2026"


def test_the_query_string_is_read_leniently_and_written_without_blanks() -> None:
    today = date(2026, 12, 1)
    query = calendar_query({"view": "agenda", "date": "2026-13-01", "staff": "nobody"}, today=today)
    assert query == CalendarQuery("week", today, None, None)
    query = calendar_query({"view": "day", "date": "2026-12-24", "resource": str(STAFF_B)}, today=today)
    assert query == CalendarQuery("day", date(2026, 12, 24), None, STAFF_B)
    assert query.params() == f"view=day&date=2026-12-24&resource={STAFF_B}"
    assert query.params(view="month", resource_id=None) == "view=month&date=2026-12-24"


def test_local_days_are_cut_at_the_zones_midnight() -> None:
    winter = utc_bounds(date(2026, 12, 1), date(2026, 12, 1), PARIS)
    assert winter == (datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2026, 12, 1, 23, tzinfo=UTC))
    # The week of the spring change (29 March 2026) is an hour shorter.
    spring = utc_bounds(date(2026, 3, 23), date(2026, 3, 29), PARIS)
    assert spring == (datetime(2026, 3, 22, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    assert utc_moment(date(2026, 7, 1), time(10, 30), "Europe/Paris") == datetime(
        2026, 7, 1, 8, 30, tzinfo=UTC
    )


def _item(start_utc: datetime, staff: UUID = STAFF_A, name: str = "Ann") -> CalendarItem:
    start = start_utc.astimezone(PARIS)
    return CalendarItem(
        id=uuid4(), start=start, end=start + timedelta(minutes=30), type_name="Haircut", color="#2563eb",
        staff_id=staff, staff_name="Sam" if staff == STAFF_A else "Kim", resource_name="", status="confirmed",
        label=name,
    )  # fmt: skip


def test_an_appointment_at_2330_utc_is_on_the_next_local_day() -> None:
    late = _item(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    early = _item(datetime(2026, 12, 2, 8, 0, tzinfo=UTC), name="Bob")
    days = group_by_day([early, late])
    assert list(days) == [date(2026, 12, 2)]
    assert [i.label for i in days[date(2026, 12, 2)]] == ["Ann", "Bob"]  # 00:30 then 09:00


def test_time_grid_puts_items_in_their_hour_and_widens_the_rows() -> None:
    week = [GridColumn(d, d.isoformat()) for d in week_of(date(2026, 12, 2))]
    late = _item(datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # Wednesday 00:30 in Paris
    ten = _item(datetime(2026, 12, 3, 9, 0, tzinfo=UTC), staff=STAFF_B, name="Bob")  # Thursday 10:00
    outside = _item(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), name="Cy")  # next week
    grid = time_grid([ten, late, outside], week, "day")
    assert grid.hours == tuple(range(0, 20))
    assert grid.at(date(2026, 12, 2), 0) == (late,)
    assert grid.at(date(2026, 12, 3), 10) == (ten,)
    assert sum(len(items) for items in grid.cells.values()) == 2
    by_staff = time_grid([ten], [GridColumn(STAFF_A, "Sam"), GridColumn(STAFF_B, "Kim")], "staff")
    assert (by_staff.hours, by_staff.at(STAFF_B, 10), by_staff.at(STAFF_A, 10)) == (
        tuple(range(8, 20)),
        (ten,),
        (),
    )


# ---- reads and edits -------------------------------------------------------------------------
async def _appointment(
    session,
    kind,
    staff,
    start: datetime,
    names: tuple[str, ...] = ("Ann Example",),
    *,
    capacity: int = 1,
    status: str = "confirmed",
    resource_id: UUID | None = None,
) -> Appointment:
    appointment = Appointment(
        type_id=kind.id, staff_id=staff.id, resource_id=resource_id, start_at=start,
        end_at=start + timedelta(minutes=kind.duration_minutes), status=status, capacity=capacity,
        seats_taken=len(names),
    )  # fmt: skip
    session.add(appointment)
    await session.flush()
    for name in names:
        attendee_id = uuid4()
        session.add(
            Attendee(
                id=attendee_id, appointment_id=appointment.id, name=name, status="confirmed",
                email=f"{name.split()[0].lower()}@example.com", checkin_code=checkin_code(attendee_id),
            )
        )  # fmt: skip
    await session.commit()
    return appointment


async def test_calendar_page_filters_by_staff_and_resource_and_shows_local_days(db_session) -> None:
    sam = await make_staff(db_session)
    kim = await make_staff(db_session, "kim@example.com", "Kim Colour")
    haircut = await make_type(db_session, [sam, kim], color="#ff0000")
    yoga = await make_type(db_session, [kim], slug="yoga", name="Yoga", max_attendees=8, color="#00aa00")
    room = Resource(name="Studio", kind="room")
    db_session.add(room)
    await db_session.commit()
    await _appointment(db_session, haircut, sam, datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    await _appointment(
        db_session, yoga, kim, datetime(2026, 12, 3, 9, tzinfo=UTC), ("Bo One", "Cy Two"), capacity=8,
        resource_id=room.id,
    )  # fmt: skip
    await _appointment(db_session, haircut, kim, datetime(2026, 12, 9, 9, tzinfo=UTC))  # the next week

    week = await calendar_page(
        db_session, CalendarQuery("week", date(2026, 12, 2)), zone="Europe/Paris", today=date(2026, 12, 1)
    )
    labels = {
        day: [(i.type_name, i.label, i.color, i.staff_name) for i in items]
        for day, items in week.by_day.items()
    }
    assert labels == {
        date(2026, 12, 2): [("Haircut", "Ann Example", "#ff0000", "Sam Stylist")],
        date(2026, 12, 3): [("Yoga", "2/8 booked", "#00aa00", "Kim Colour")],
    }
    assert week.items[0].start == datetime(2026, 12, 2, 0, 30, tzinfo=PARIS)
    assert (week.title, week.previous, week.following) == (
        "30 Nov \N{EN DASH} 6 Dec 2026",
        date(2026, 11, 25),
        date(2026, 12, 9),
    )
    only_sam = await calendar_page(
        db_session, CalendarQuery("month", date(2026, 12, 2), staff_id=sam.id), zone="Europe/Paris",
        today=date(2026, 12, 1),
    )  # fmt: skip
    assert [i.label for i in only_sam.items] == ["Ann Example"]
    assert len(only_sam.weeks) == 5 and only_sam.grid is None
    in_the_studio = await calendar_page(
        db_session, CalendarQuery("month", date(2026, 12, 2), resource_id=room.id), zone="Europe/Paris",
        today=date(2026, 12, 1),
    )  # fmt: skip
    assert [(i.label, i.resource_name) for i in in_the_studio.items] == [("2/8 booked", "Studio")]

    day = await calendar_page(
        db_session, CalendarQuery("day", date(2026, 12, 1)), zone="Europe/Paris", today=date(2026, 12, 1)
    )
    assert day.items == ()  # 23:30 UTC on the 1st is the 2nd in Paris
    assert [c.label for c in day.grid.columns] == ["Kim Colour", "Sam Stylist"]


async def test_day_view_columns_skip_inactive_staff_unless_they_have_bookings(db_session) -> None:
    sam = await make_staff(db_session)
    kim = await make_staff(db_session, "kim@example.com", "Kim Colour")
    lee = await make_staff(db_session, "lee@example.com", "Lee Gone")
    kind = await make_type(db_session, [sam, kim, lee])
    kim.active = lee.active = False
    await db_session.commit()
    await _appointment(db_session, kind, kim, datetime(2026, 12, 1, 9, tzinfo=UTC))
    page = await calendar_page(
        db_session, CalendarQuery("day", date(2026, 12, 1)), zone="Europe/Paris", today=date(2026, 12, 1)
    )
    assert [c.label for c in page.grid.columns] == ["Sam Stylist", "Kim Colour"]  # active first
    db_session.add(CalendarFeed(kind="staff", owner_id=sam.id, token_hash="x" * 64))
    await db_session.commit()
    assert [(c.name, c.active, c.has_feed) for c in await staff_choices(db_session)] == [
        ("Sam Stylist", True, True), ("Kim Colour", False, False), ("Lee Gone", False, False)
    ]  # fmt: skip


async def test_timeline_lists_what_the_rows_know_in_order(db_session) -> None:
    sam = await make_staff(db_session)
    kind = await make_type(db_session, [sam])
    created = await _appointment(db_session, kind, sam, datetime(2026, 12, 1, 9, tzinfo=UTC))
    appointment = await load_appointment(db_session, created.id)
    person = appointment.attendees[0]
    person.checked_in_at, person.checkin_method = appointment.created_at + timedelta(hours=3), "qr"
    appointment.sequence = 2
    proposal = RescheduleRequest(
        appointment_id=appointment.id, proposed_start=datetime(2026, 12, 2, 9, tzinfo=UTC), reason="Ill",
        status="rejected", decided_at=appointment.created_at + timedelta(hours=2),
    )  # fmt: skip
    db_session.add(proposal)
    await db_session.commit()
    proposal.created_at = appointment.created_at + timedelta(hours=1)
    appointment = await load_appointment(db_session, created.id)
    texts = [entry.text for entry in timeline(appointment, [proposal])]
    assert texts == [
        "Appointment created",
        "Ann Example booked",
        "Last changed (2 changes in all)",  # the moment of the commit above
        "New time proposed to the customer",
        "Proposal rejected",
        "Ann Example checked in (QR code)",
    ]


async def test_waitlist_is_by_day_in_queue_order(db_session) -> None:
    sam = await make_staff(db_session)
    kind = await make_type(db_session, [sam])
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for n, (day, priority, status) in enumerate(
        [(2, 0, "waiting"), (2, 5, "waiting"), (1, 0, "offered"), (2, 0, "waiting"), (30, 0, "waiting")]
    ):
        entry = WaitlistEntry(
            type_id=kind.id, day=date(2026, 11, day), name=f"Person {n}", email=f"p{n}@example.com",
            priority=priority, status=status,
        )  # fmt: skip
        entry.created_at = base + timedelta(minutes=n)
        db_session.add(entry)
    await db_session.commit()
    days = await waitlist_by_day(db_session, since=date(2026, 11, 2))
    assert {day: [r.entry.name for r in rows] for day, rows in days.items()} == {
        date(2026, 11, 2): ["Person 1", "Person 0", "Person 3"],
        date(2026, 11, 30): ["Person 4"],
    }
    assert days[date(2026, 11, 2)][0].type_name == "Haircut"
    offered = await waitlist_by_day(db_session, since=date(2026, 11, 1), status="offered")
    assert [r.entry.name for rows in offered.values() for r in rows] == ["Person 2"]
    first = days[date(2026, 11, 30)][0].entry
    assert (await set_priority(db_session, first.id, 7)).priority == 7
    await db_session.commit()
    assert await set_priority(db_session, uuid4(), 7) is None


async def test_notes_are_saved_trimmed(db_session) -> None:
    sam = await make_staff(db_session)
    kind = await make_type(db_session, [sam])
    appointment = await _appointment(db_session, kind, sam, datetime(2026, 12, 1, 9, tzinfo=UTC))
    await save_notes(db_session, appointment, "  Prefers the window seat.\n")
    await db_session.commit()
    assert (await load_appointment(db_session, appointment.id)).notes == "Prefers the window seat."


async def test_no_show_needs_a_started_appointment_and_flips_it_when_nobody_is_left(db_session) -> None:
    sam = await make_staff(db_session)
    kind = await make_type(db_session, [sam], slug="class", max_attendees=4)
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    created = await _appointment(db_session, kind, sam, start, ("Ann One", "Bob Two"), capacity=4)
    appointment = await load_appointment(db_session, created.id)
    ann, bob = appointment.attendees
    with pytest.raises(PolicyError) as early:
        await mark_no_show(db_session, appointment, ann, now=start - timedelta(minutes=1), actor=SYSTEM)
    assert early.value.message == "The appointment has not started yet."
    assert await mark_no_show(db_session, appointment, ann, now=start, actor=SYSTEM) == ""  # no penalty
    assert (ann.status, appointment.status) == ("no_show", "confirmed")
    with pytest.raises(PolicyError) as twice:
        await mark_no_show(db_session, appointment, ann, now=start, actor=SYSTEM)
    assert twice.value.message == "Ann One is not expected any more, so cannot be marked as a no-show."
    await mark_no_show(db_session, appointment, bob, now=start, actor=SYSTEM)
    await db_session.commit()
    fresh = await load_appointment(db_session, created.id)
    assert (fresh.status, [a.status for a in fresh.attendees]) == ("no_show", ["no_show", "no_show"])
    assert [a.fee_due for a in fresh.attendees] == [0, 0]
    assert await db_session.scalar(select(func.count()).select_from(BookingBlock)) == 0


async def test_a_no_show_fee_falls_due_keeping_a_larger_fee_already_due(db_session) -> None:
    sam = await make_staff(db_session)
    kind = await make_type(
        db_session, [sam], slug="class", max_attendees=4, no_show_penalty="fee", no_show_fee=2500
    )
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    created = await _appointment(db_session, kind, sam, start, ("Ann One", "Bob Two"), capacity=4)
    appointment = await load_appointment(db_session, created.id)
    ann, bob = appointment.attendees
    ann.fee_due, bob.fee_due = 1000, 4000  # e.g. an earlier fee: the larger one stands
    said = await mark_no_show(db_session, appointment, ann, now=start, actor=SYSTEM)
    assert said == "A no-show fee of €25.00 is due."
    assert await mark_no_show(db_session, appointment, bob, now=start, actor=SYSTEM) == (
        "A no-show fee of €40.00 is due."
    )
    await db_session.commit()
    fresh = await load_appointment(db_session, created.id)
    assert [(a.status, a.fee_due) for a in fresh.attendees] == [("no_show", 2500), ("no_show", 4000)]
    assert await db_session.scalar(select(func.count()).select_from(BookingBlock)) == 0


async def test_a_blocking_no_show_stops_the_person_booking_once_and_is_audited(db_session) -> None:
    sam = await make_staff(db_session)
    kind = await make_type(db_session, [sam], slug="class", max_attendees=4, no_show_penalty="block")
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    created = await _appointment(db_session, kind, sam, start, ("Ann One", "Ann Two"), capacity=4)
    appointment = await load_appointment(db_session, created.id)
    first, second = appointment.attendees  # the same email ("ann@example.com") twice
    staff = Actor(id="staff-1", label="desk@example.com")
    said = await mark_no_show(db_session, appointment, first, now=start, actor=staff)
    assert said == "Ann One can no longer book online."
    await mark_no_show(db_session, appointment, second, now=start, actor=staff)  # already blocked
    await db_session.commit()
    (row,) = await db_session.scalars(select(BookingBlock))
    assert (row.email, row.attendee_id, row.reason) == (
        "ann@example.com", first.id, "No-show: Haircut on 01 December 2026, 09:00"
    )  # fmt: skip
    assert await booking_block(db_session, "ANN@example.com ", None) is not None
    (entry,) = await db_session.scalars(select(AuditLog).where(AuditLog.action == "scheduling.block.created"))
    assert (entry.actor_label, entry.target_label) == ("desk@example.com", "ann@example.com")
    assert [a.fee_due for a in (await load_appointment(db_session, created.id)).attendees] == [0, 0]


def test_staff_are_offered_the_allowed_statuses_but_cancelling() -> None:
    assert next_statuses(Appointment(status="scheduled")) == [
        ("confirmed", "Confirmed"), ("no_show", "No-show")
    ]  # fmt: skip
    assert next_statuses(Appointment(status="confirmed")) == [
        ("in_progress", "In progress"), ("completed", "Completed"), ("no_show", "No-show")
    ]  # fmt: skip
    assert next_statuses(Appointment(status="completed")) == []
