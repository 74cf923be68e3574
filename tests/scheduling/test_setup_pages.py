"""Staff set-up screens over HTTP: appointment types (list, form with questions, validation, delete
or deactivate), staff with weekly hours and exceptions, business holidays, resources, and who may
see and change them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Resource,
    StaffMember,
    WorkingHours,
)
from verso.lib import clock

BASE = "/admin/scheduling"

TYPE_FORM = {
    "name": "Colour & cut",
    "description": "Colour, wash and cut.",
    "duration_minutes": "90",
    "buffer_before_minutes": "5",
    "buffer_after_minutes": "10",
    "step_minutes": "15",
    "price": "85.50",
    "deposit_kind": "percent",
    "deposit_value": "20",
    "color": "#AA3366",
    "max_per_day": "4",
    "max_attendees": "1",
    "booking_window_days": "30",
    "min_notice_hours": "12",
    "resource_kind": "room",
    "location_kind": "address",
    "location": "12 rue des Potiers, Lyon",
    "assignment": "least_busy",
    "active": "on",
    "cancellation_hours": "48",
    "cancellation_fee": "15",
    "no_show_fee": "30",
    "no_show_penalty": "fee",
    "max_reschedules": "1",
    "reschedule_hours": "24",
    "reminder_1": "24",
    "reminder_3": "2",
    "send_confirmation": "on",
    "send_reminders": "on",
    "question_label": ["Allergies?", "", "Hair length"],
    "question_kind": ["textarea", "text", "select"],
    "question_options": ["", "", "Short, Medium, Long"],
    "question_key": ["", "", ""],
    "question_required": ["2"],
}


async def _created(client, url: str, data: dict) -> str:
    response = await post_form(client, url, data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# ---- appointment types -----------------------------------------------------------------------------
async def test_type_is_created_with_every_field_and_listed(admin_client, db_session) -> None:
    staff = await make_staff(db_session)
    new = await admin_client.get(f"{BASE}/types/new")
    assert new.status_code == 200 and 'type="color"' in new.text and "Sam Stylist" in new.text
    location = await _created(admin_client, f"{BASE}/types", {**TYPE_FORM, "staff_ids": [str(staff.id)]})
    assert location == f"{BASE}/types"
    kind = (await db_session.scalars(select(AppointmentType))).one()
    assert (kind.slug, kind.price, kind.deposit_kind, kind.deposit_value) == (
        "colour-cut",
        8550,
        "percent",
        20,
    )
    assert (kind.cancellation_fee, kind.no_show_fee, kind.no_show_penalty) == (1500, 3000, "fee")
    assert (kind.duration_minutes, kind.step_minutes, kind.buffer_before_minutes, kind.max_per_day) == (
        90,
        15,
        5,
        4,
    )
    assert (kind.color, kind.resource_kind, kind.assignment, kind.reminder_hours) == (
        "#aa3366",
        "room",
        "least_busy",
        [24, 2],
    )
    assert kind.questions == [
        {"key": "allergies", "label": "Allergies?", "kind": "textarea", "required": False, "options": []},
        {
            "key": "hair_length",
            "label": "Hair length",
            "kind": "select",
            "required": True,
            "options": ["Short", "Medium", "Long"],
        },
    ]
    page = await admin_client.get(f"{BASE}/types")
    assert page.status_code == 200 and "<html" in page.text and "Appointment types" in page.text
    assert "Colour &amp; cut" in page.text and "€85.50" in page.text and "Sam Stylist" in page.text
    fragment = await admin_client.get(f"{BASE}/types?q=nothing", headers={"HX-Request": "true"})
    assert (
        fragment.status_code == 200 and "<html" not in fragment.text and 'id="types-table"' in fragment.text
    )
    assert "Colour &amp; cut" not in fragment.text


async def test_type_form_refuses_bad_input_inline_and_edits_question_lines(admin_client, db_session) -> None:
    await admin_client.get(f"{BASE}/types/new")
    bad = {
        **TYPE_FORM,
        "duration_minutes": "2",
        "step_minutes": "300",
        "buffer_after_minutes": "-5",
        "deposit_value": "150",
        "reminder_2": "24",
        "question_options": ["", "", "Only one"],
    }
    response = await post_form(admin_client, f"{BASE}/types", bad)
    assert response.status_code == 422
    for message in (
        "Enter 5 to 1440 minutes.",
        "Enter 5 to 240 minutes.",
        "Enter 0 to 1440 minutes.",
        "Enter a percentage from 1 to 100.",
        "Give each reminder a different number of hours.",
        "List at least two options, separated by commas.",
    ):
        assert message in response.text
    assert 'value="Colour &amp; cut"' in response.text and 'value="12 rue des Potiers, Lyon"' in response.text
    assert response.text.count('name="question_label"') == 2  # the blank line is dropped
    money = await post_form(
        admin_client, f"{BASE}/types", {**TYPE_FORM, "price": "", "deposit_kind": "amount"}
    )
    assert money.status_code == 422 and "A deposit needs a price: set the price first." in money.text
    assert await db_session.scalar(select(AppointmentType.id)) is None
    # The question editor's buttons change the lines without saving.
    added = await post_form(admin_client, f"{BASE}/types", {**TYPE_FORM, "action": "add_question"})
    assert added.status_code == 200 and added.text.count('name="question_label"') == 4
    removed = await post_form(admin_client, f"{BASE}/types", {**TYPE_FORM, "action": "remove_question-0"})
    assert removed.text.count('name="question_label"') == 2 and "Allergies?" not in removed.text
    assert await db_session.scalar(select(AppointmentType.id)) is None


async def test_type_is_edited_then_deleted(admin_client, db_session) -> None:
    kind = await make_type(
        db_session,
        [],
        questions=[{"key": "notes", "label": "Notes", "kind": "text", "required": False, "options": []}],
    )
    edit = await admin_client.get(f"{BASE}/types/{kind.id}")
    assert edit.status_code == 200 and 'value="Haircut"' in edit.text and 'value="notes"' in edit.text
    change = {
        **TYPE_FORM,
        "name": "Long haircut",
        "slug": "haircut",
        "price": "",
        "deposit_kind": "none",
        "no_show_fee": "",
        "no_show_penalty": "block",
        "question_label": ["Notes for us"],
        "question_kind": ["text"],
        "question_options": [""],
        "question_key": ["notes"],
        "question_required": [],
    }
    response = await post_form(admin_client, f"{BASE}/types/{kind.id}", change, htmx=True)
    assert response.headers["hx-redirect"] == f"{BASE}/types"
    await db_session.refresh(kind)
    assert (kind.name, kind.slug, kind.price, kind.no_show_penalty) == (
        "Long haircut",
        "haircut",
        None,
        "block",
    )
    assert kind.questions == [
        {"key": "notes", "label": "Notes for us", "kind": "text", "required": False, "options": []}
    ]
    assert await _created(admin_client, f"{BASE}/types/{kind.id}/delete", {}) == f"{BASE}/types"
    assert await db_session.scalar(select(AppointmentType.id)) is None


async def test_a_booked_type_offers_deactivation_instead_of_deletion(admin_client, db_session) -> None:
    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff])
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    db_session.add(
        Appointment(type_id=kind.id, staff_id=staff.id, start_at=start, end_at=start + timedelta(minutes=30))
    )
    await db_session.commit()
    await admin_client.get(f"{BASE}/types")
    refused = await post_form(admin_client, f"{BASE}/types/{kind.id}/delete")
    assert refused.status_code == 422
    assert "“Haircut” has 1 appointment, so it cannot be deleted. Deactivate it instead" in refused.text
    assert f'action="{BASE}/types/{kind.id}/active"' in refused.text
    assert await _created(admin_client, f"{BASE}/types/{kind.id}/active", {}) == f"{BASE}/types"
    await db_session.refresh(kind)
    assert kind.active is False
    listed = await admin_client.get(f"{BASE}/types")
    assert (
        "“Haircut” deactivated: customers can no longer book it." in listed.text and "Inactive" in listed.text
    )


# ---- staff, weekly hours and exceptions -------------------------------------------------------------
async def test_staff_member_is_added_then_given_hours(admin_client, db_session) -> None:
    employee = await make_user("emma@example.com", ["employee"], first_name="Emma", last_name="Stone")
    new = await admin_client.get(f"{BASE}/staff/new")
    assert new.status_code == 200 and "Emma Stone (emma@example.com)" in new.text
    assert '<option value="Europe/Paris" selected>' in new.text  # the business zone first
    refused = await post_form(admin_client, f"{BASE}/staff", {"user_id": "nope", "timezone": "Europe/Paris"})
    assert refused.status_code == 422 and "Choose a staff account from the list." in refused.text
    location = await _created(
        admin_client, f"{BASE}/staff", {"user_id": str(employee.id), "timezone": "Europe/London"}
    )
    member = (await db_session.scalars(select(StaffMember))).one()
    assert location == f"{BASE}/staff/{member.id}"
    assert (member.display_name, member.timezone) == ("Emma Stone", "Europe/London")
    hours = {"display_name": "Emma", "timezone": "Europe/London", "active": "on"}
    hours |= {"h-0-0-start": "09:00", "h-0-0-end": "12:00", "h-0-1-start": "13:00", "h-0-1-end": "17:30"}
    hours |= {"h-5-0-start": "10:00", "h-5-0-end": "00:00"}
    assert await _created(admin_client, location, hours) == location
    rows = (
        await db_session.scalars(select(WorkingHours).order_by(WorkingHours.weekday, WorkingHours.start_time))
    ).all()
    assert [(h.weekday, h.start_time, h.end_time) for h in rows] == [
        (0, time(9), time(12)),
        (0, time(13), time(17, 30)),
        (5, time(10), time(0)),
    ]
    listed = await admin_client.get(f"{BASE}/staff")
    assert "Emma" in listed.text and "Mon, Sat · 21 h 30 a week" in listed.text
    edit = await admin_client.get(location)
    assert 'value="13:00"' in edit.text and 'value="17:30"' in edit.text


def _ahead(days: int) -> date:
    """A day relative to today in the business zone (the signed-in session needs the real clock)."""
    return clock.to_zone(clock.utcnow(), "Europe/Paris").date() + timedelta(days=days)


def _long(day: date) -> str:
    return day.strftime("%A %-d %B %Y")


async def test_hours_and_exceptions_are_checked(admin_client, db_session) -> None:
    staff = await make_staff(db_session)
    page = f"{BASE}/staff/{staff.id}"
    await admin_client.get(page)
    bad = {"display_name": "Sam", "timezone": "Europe/Paris", "active": "on"}
    bad |= {"h-1-0-start": "09:00", "h-1-0-end": "12:00", "h-1-1-start": "11:00", "h-1-1-end": "14:00"}
    bad |= {"h-2-0-start": "15:00", "h-2-0-end": "10:00", "h-3-0-start": "09:00"}
    response = await post_form(admin_client, f"{BASE}/staff/{staff.id}", bad)
    assert response.status_code == 422
    assert "Tuesday: 09:00–12:00 and 11:00–14:00 overlap." in response.text  # noqa: RUF001
    assert "Thursday: give both times of each range, such as 09:00." in response.text
    assert 'value="11:00"' in response.text
    wednesday = {**bad, "h-1-1-start": "", "h-1-1-end": "", "h-3-0-start": ""}
    response = await post_form(admin_client, f"{BASE}/staff/{staff.id}", wednesday)
    assert response.status_code == 422 and "Wednesday: 15:00–10:00 must end after it starts." in response.text  # noqa: RUF001
    assert len((await db_session.scalars(select(WorkingHours))).all()) == 5  # unchanged
    off, short = _ahead(10), _ahead(12)
    day_off = {"day": off.isoformat(), "kind": "off", "reason": "Dentist"}
    assert await _created(admin_client, f"{page}/exceptions", day_off) == f"{page}#exceptions"
    hours = {
        "day": short.isoformat(),
        "kind": "hours",
        "start": "10:00",
        "end": "14:00",
        "reason": "Training",
    }
    await _created(admin_client, f"{page}/exceptions", hours)
    bad_day = _ahead(13).isoformat()
    bad = {"day": bad_day, "kind": "hours", "start": "14:00", "end": "10:00"}
    refused = await post_form(admin_client, f"{page}/exceptions", bad)
    assert refused.status_code == 422 and "The hours must end after they start." in refused.text
    assert f'value="{bad_day}"' in refused.text
    past = await post_form(admin_client, f"{page}/exceptions", {"day": _ahead(-1).isoformat(), "kind": "off"})
    assert past.status_code == 422 and "Choose today or a later day." in past.text
    shown = (await admin_client.get(page)).text
    assert _long(off) in shown and "Dentist" in shown and "10:00–14:00" in shown  # noqa: RUF001
    rows = (await db_session.scalars(select(AvailabilityException).order_by(AvailabilityException.day))).all()
    assert [(e.day, e.blocked, e.start_time, e.end_time) for e in rows] == [
        (off, True, None, None),
        (short, False, time(10), time(14)),
    ]
    await _created(admin_client, f"{page}/exceptions/{rows[0].id}/delete", {})
    assert (await db_session.scalars(select(AvailabilityException.day))).all() == [short]


# ---- holidays ----------------------------------------------------------------------------------------
async def test_holidays_are_listed_added_and_deleted(admin_client, db_session) -> None:
    page = await admin_client.get(f"{BASE}/holidays")
    assert page.status_code == 200 and "No holidays ahead." in page.text
    day = _ahead(20)
    added = await _created(
        admin_client, f"{BASE}/holidays", {"day": day.isoformat(), "reason": "Founders' day"}
    )
    assert added == f"{BASE}/holidays"
    again = await post_form(admin_client, f"{BASE}/holidays", {"day": day.isoformat()})
    assert again.status_code == 422 and "That day is already a holiday." in again.text
    blank = await post_form(admin_client, f"{BASE}/holidays", {"day": ""})
    assert blank.status_code == 422 and "Enter a valid date." in blank.text
    listed = await admin_client.get(f"{BASE}/holidays")
    assert _long(day) in listed.text and "Founders&#39; day" in listed.text
    holiday = (await db_session.scalars(select(AvailabilityException))).one()
    assert (holiday.staff_id, holiday.blocked, holiday.reason) == (None, True, "Founders' day")
    await _created(admin_client, f"{BASE}/holidays/{holiday.id}/delete", {})
    assert await db_session.scalar(select(AvailabilityException.id)) is None


# ---- resources ---------------------------------------------------------------------------------------
async def test_resources_are_created_edited_and_deleted(admin_client, db_session) -> None:
    await admin_client.get(f"{BASE}/resources/new")
    form = {
        "name": "Room 1",
        "kind": "room",
        "capacity": "0",
        "amenities": "sink, chair",
        "hourly_rate": "12.5",
    }
    bad = await post_form(admin_client, f"{BASE}/resources", form)
    assert (
        bad.status_code == 422
        and "Enter 1 to 10000 people." in bad.text
        and 'value="sink, chair"' in bad.text
    )
    await _created(admin_client, f"{BASE}/resources", {**form, "capacity": "3", "active": "on"})
    resource = (await db_session.scalars(select(Resource))).one()
    assert (resource.capacity, resource.amenities, resource.hourly_rate, resource.active) == (
        3,
        ["sink", "chair"],
        1250,
        True,
    )
    listed = await admin_client.get(f"{BASE}/resources")
    assert "Room 1" in listed.text and "€12.50" in listed.text and "sink, chair" in listed.text
    edit = await admin_client.get(f"{BASE}/resources/{resource.id}")
    assert 'value="12.50"' in edit.text
    await _created(
        admin_client,
        f"{BASE}/resources/{resource.id}",
        {**form, "kind": "equipment", "capacity": "1", "hourly_rate": ""},
    )
    await db_session.refresh(resource)
    assert (resource.kind, resource.hourly_rate, resource.active) == ("equipment", None, False)
    await _created(admin_client, f"{BASE}/resources/{resource.id}/delete", {})
    assert await db_session.scalar(select(Resource.id)) is None


# ---- permissions -------------------------------------------------------------------------------------
async def test_employees_see_the_lists_but_change_nothing(client, admin, db_session) -> None:
    kind = await make_type(db_session, [])
    await make_user("emp@example.com", ["employee"])
    await sign_in(client, "emp@example.com", PASSWORD)
    for url in ("types", "staff", "holidays", "resources"):
        page = await client.get(f"{BASE}/{url}")
        assert page.status_code == 200, url
    listed = await client.get(f"{BASE}/types")
    assert "Haircut" in listed.text and f'href="{BASE}/types/{kind.id}"' not in listed.text
    assert "New appointment type" not in listed.text
    assert (await client.get(f"{BASE}/types/new")).status_code == 403
    for url in ("types", f"types/{kind.id}/delete", "staff", "holidays", "resources"):
        response = await post_form(client, f"{BASE}/{url}", {"name": "X", "day": "2030-01-01"})
        assert response.status_code == 403, url
    assert await db_session.scalar(select(AppointmentType.name)) == "Haircut"
