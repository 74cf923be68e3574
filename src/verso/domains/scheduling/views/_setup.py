"""Staff set-up pages at /admin/scheduling: appointment types (with their booking policy and
questions), bookable staff with weekly hours and exceptions, business holidays, and resources.

Lists need "scheduling.appointments.read" (people who take bookings see what exists); every form
and change needs "scheduling.setup.write". Plain POST forms, 303 and a flash on success (htmx gets
HX-Redirect), the form again with 422 and inline errors otherwise. The questions editor adds and
removes lines with submit buttons, so it works without JavaScript."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from verso.domains.identity.deps import actor
from verso.domains.ops.services import business_cache
from verso.domains.scheduling.forms import (
    ExceptionForm,
    HolidayForm,
    NewStaffForm,
    QuestionRow,
    ResourceForm,
    StaffForm,
    TypeForm,
    add_errors,
    edited_questions,
    exception_input,
    hours_field,
    hours_input,
    hours_values,
    question_rows,
    resource_input,
    resource_values,
    rows_from_questions,
    type_input,
    type_values,
)
from verso.domains.scheduling.models import AppointmentType, Resource, StaffMember
from verso.domains.scheduling.services._setup import (
    MAX_QUESTIONS,
    MAX_RANGES,
    WEEKDAYS,
    SetupError,
    StaffInput,
    add_exception,
    add_staff,
    all_staff,
    candidate_users,
    delete_exception,
    delete_resource,
    delete_type,
    hours_problems,
    hours_summary,
    load_exception,
    load_resource,
    load_staff,
    load_type,
    resource_page,
    save_resource,
    save_type,
    set_type_active,
    staff_page,
    type_page,
    upcoming_exceptions,
    update_staff,
)
from verso.lib import clock
from verso.lib.db import DbSession
from verso.lib.forms import FormState, form_from, parse_form
from verso.lib.htmx import redirect, render
from verso.lib.tables import Column, TableQuery
from verso.server.navigation import NavEntry

READ, WRITE = "scheduling.appointments.read", "scheduling.setup.write"
STAFF = {"setup_gate": True, "module": "scheduling"}
BASE = "/admin/scheduling"
T = "scheduling/setup/"
INVALID = HTTP_422_UNPROCESSABLE_ENTITY
Req = Request[Any, Any, Any]

CHOICES = {
    "deposit_kind": [("none", "No deposit"), ("amount", "A fixed amount"), ("percent", "A percentage")],
    "no_show_penalty": [
        ("none", "Nothing"),
        ("fee", "Charge the no-show fee"),
        ("block", "Block them from booking again"),
    ],
    "location_kind": [("address", "In person"), ("phone", "Phone call"), ("video", "Video call")],
    "assignment": [
        ("round_robin", "Round robin: whoever was booked longest ago"),
        ("least_busy", "Least busy: fewest bookings that day"),
    ],
    "resource_kind": [("room", "Room"), ("equipment", "Equipment"), ("vehicle", "Vehicle")],
    "question_kind": [
        ("text", "Short text"),
        ("textarea", "Long text"),
        ("select", "Choice from a list"),
        ("checkbox", "Tick box"),
    ],
}
TYPE_COLUMNS = [
    Column("name", "Name", sortable=True),
    Column("duration", "Duration", sortable=True, numeric=True),
    Column("price", "Price", sortable=True, numeric=True),
    Column("staff", "Staff"),
    Column("active", "Status"),
]
STAFF_COLUMNS = [
    Column("name", "Name", sortable=True),
    Column("timezone", "Time zone"),
    Column("hours", "Weekly hours"),
    Column("active", "Status"),
]
RESOURCE_COLUMNS = [
    Column("name", "Name", sortable=True),
    Column("kind", "Kind", sortable=True),
    Column("capacity", "Capacity", sortable=True, numeric=True),
    Column("amenities", "Amenities"),
    Column("rate", "Hourly rate", numeric=True),
    Column("active", "Status"),
]


def _currency() -> str:
    return business_cache.current().currency


def _today() -> date:
    return clock.to_zone(clock.utcnow(), business_cache.current().timezone).date()


def _zones() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in clock.zone_choices()]


def _query(request: Req, sortable: list[str]) -> TableQuery:
    return TableQuery.from_params(request.query_params, sortable=sortable, default_sort="name")


# ---- appointment types -----------------------------------------------------------------------------
@get(f"{BASE}/types", permission=READ, nav=NavEntry("Scheduling", "Appointment types", 70, "clock"), **STAFF)
async def types_index(request: Req, db_session: DbSession) -> Any:
    page = await type_page(
        db_session, _query(request, ["name", "duration", "price"]), base_url=f"{BASE}/types"
    )
    return render(request, T + "types.html", {"page": page, "columns": TYPE_COLUMNS}, block="table")


async def _type(db_session: DbSession, type_id: UUID) -> AppointmentType:
    kind = await load_type(db_session, type_id)
    if kind is None:
        raise NotFoundException("No such appointment type.")
    return kind


async def _type_page(
    request: Req,
    db_session: DbSession,
    kind: AppointmentType | None,
    form: FormState,
    rows: list[QuestionRow],
    *,
    status: int = 200,
    refused: bool = False,
) -> Any:
    context = {
        "kind": kind,
        "form": form,
        "rows": rows,
        "max_questions": MAX_QUESTIONS,
        "staff": await all_staff(db_session),
        "choices": CHOICES,
        "currency": _currency(),
        "refused": refused,
    }
    return render(request, T + "type.html", context, status_code=status)


@get(f"{BASE}/types/new", permission=WRITE, **STAFF)
async def type_new(request: Req, db_session: DbSession) -> Any:
    return await _type_page(request, db_session, None, form_from(type_values(None, _currency())), [])


@get(f"{BASE}/types/{{type_id:uuid}}", permission=WRITE, **STAFF)
async def type_edit(request: Req, db_session: DbSession, type_id: FromPath[UUID]) -> Any:
    kind = await _type(db_session, type_id)
    form = form_from(type_values(kind, _currency()))
    return await _type_page(request, db_session, kind, form, rows_from_questions(kind.questions))


async def _save_type(request: Req, db_session: DbSession, type_id: UUID | None) -> Any:
    kind = await _type(db_session, type_id) if type_id else None
    submitted = await request.form()
    data, form = parse_form(submitted, TypeForm)
    rows = question_rows(submitted)
    edited = edited_questions(str(submitted.get("action") or "save"), rows)
    if edited is not None:  # editing the question lines, not saving yet
        return await _type_page(request, db_session, kind, FormState(values=form.values), edited)
    kept = [row for row in rows if not row.blank]
    change = type_input(data, kept, form, _currency()) if data else None
    if change is not None:
        try:
            saved = await save_type(db_session, kind, change, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"{BASE}/types", message=f"“{saved.name}” saved.")
        except SetupError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
        kind = await _type(db_session, type_id) if type_id else None
    # Question errors are numbered among the filled lines: show exactly those lines.
    return await _type_page(request, db_session, kind, form, kept, status=INVALID)


@post(f"{BASE}/types", permission=WRITE, **STAFF)
async def type_create(request: Req, db_session: DbSession) -> Any:
    return await _save_type(request, db_session, None)


@post(f"{BASE}/types/{{type_id:uuid}}", permission=WRITE, **STAFF)
async def type_update(request: Req, db_session: DbSession, type_id: FromPath[UUID]) -> Any:
    return await _save_type(request, db_session, type_id)


@post(f"{BASE}/types/{{type_id:uuid}}/active", permission=WRITE, **STAFF)
async def type_set_active(request: Req, db_session: DbSession, type_id: FromPath[UUID]) -> Any:
    """Open or close a type for booking (what to do instead of deleting a type with bookings)."""
    kind = await _type(db_session, type_id)
    active = (await request.form()).get("active") == "on"
    await set_type_active(db_session, kind, active, actor=actor(request))
    await db_session.commit()
    state = "open for booking again" if active else "deactivated: customers can no longer book it"
    return redirect(request, f"{BASE}/types", message=f"“{kind.name}” {state}.")


@post(f"{BASE}/types/{{type_id:uuid}}/delete", permission=WRITE, **STAFF)
async def type_delete(request: Req, db_session: DbSession, type_id: FromPath[UUID]) -> Any:
    kind = await _type(db_session, type_id)
    try:
        await delete_type(db_session, kind, actor=actor(request))
    except SetupError as exc:
        form = form_from(type_values(kind, _currency()))
        add_errors(form, exc.errors)
        rows = rows_from_questions(kind.questions)
        return await _type_page(request, db_session, kind, form, rows, status=INVALID, refused=True)
    await db_session.commit()
    return redirect(request, f"{BASE}/types", message=f"“{kind.name}” deleted.")


# ---- staff and their hours -------------------------------------------------------------------------
@get(f"{BASE}/staff", permission=READ, nav=NavEntry("Scheduling", "Staff & hours", 72, "users"), **STAFF)
async def staff_index(request: Req, db_session: DbSession) -> Any:
    page = await staff_page(db_session, _query(request, ["name"]), base_url=f"{BASE}/staff")
    context = {"page": page, "columns": STAFF_COLUMNS, "summary": hours_summary}
    return render(request, T + "staff.html", context, block="table")


async def _new_staff_page(request: Req, db_session: DbSession, form: FormState, *, status: int = 200) -> Any:
    users = [
        (str(user.id), f"{user.display_name} ({user.email})") for user in await candidate_users(db_session)
    ]
    context = {"form": form, "users": users, "zones": _zones()}
    return render(request, T + "staff_new.html", context, status_code=status)


@get(f"{BASE}/staff/new", permission=WRITE, **STAFF)
async def staff_new(request: Req, db_session: DbSession) -> Any:
    form = form_from({"timezone": business_cache.current().timezone})
    return await _new_staff_page(request, db_session, form)


@post(f"{BASE}/staff", permission=WRITE, **STAFF)
async def staff_create(request: Req, db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), NewStaffForm)
    if data is not None:
        try:
            user_id = UUID(data.user_id) if data.user_id else None
        except ValueError:
            user_id = None
        try:
            member = await add_staff(
                db_session, user_id, StaffInput(data.display_name, data.timezone), actor=actor(request)
            )
            await db_session.commit()
            message = f"{member.display_name} can now be booked once you set their weekly hours."
            return redirect(request, f"{BASE}/staff/{member.id}", message=message)
        except SetupError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    return await _new_staff_page(request, db_session, form, status=INVALID)


async def _member(db_session: DbSession, staff_id: UUID) -> StaffMember:
    member = await load_staff(db_session, staff_id)
    if member is None:
        raise NotFoundException("No such staff member.")
    return member


async def _staff_page(
    request: Req,
    db_session: DbSession,
    member: StaffMember,
    *,
    form: FormState | None = None,
    exception_form: FormState | None = None,
    status: int = 200,
) -> Any:
    if form is None:
        values = {"display_name": member.display_name, "timezone": member.timezone, "active": member.active}
        form = form_from(values | hours_values(member))
    context = {
        "member": member,
        "form": form,
        "exception_form": exception_form or form_from({"kind": "off"}),
        "exceptions": await upcoming_exceptions(db_session, member.id, today=_today()),
        "weekdays": WEEKDAYS,
        "ranges": range(MAX_RANGES),
        "hours_field": hours_field,
        "zones": _zones(),
        "today": _today(),
    }
    return render(request, T + "staff_edit.html", context, status_code=status)


@get(f"{BASE}/staff/{{staff_id:uuid}}", permission=WRITE, **STAFF)
async def staff_edit(request: Req, db_session: DbSession, staff_id: FromPath[UUID]) -> Any:
    return await _staff_page(request, db_session, await _member(db_session, staff_id))


@post(f"{BASE}/staff/{{staff_id:uuid}}", permission=WRITE, **STAFF)
async def staff_update(request: Req, db_session: DbSession, staff_id: FromPath[UUID]) -> Any:
    member = await _member(db_session, staff_id)
    submitted = await request.form()
    data, form = parse_form(submitted, StaffForm)
    hours = hours_input(submitted, form)
    if data is not None and form.valid:
        change = StaffInput(data.display_name, data.timezone, data.active)
        try:
            await update_staff(db_session, member, change, hours, actor=actor(request))
            await db_session.commit()
            return redirect(
                request, f"{BASE}/staff/{staff_id}", message=f"{member.display_name}: hours saved."
            )
        except SetupError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
        member = await _member(db_session, staff_id)
    else:  # times that did not parse: still show what is wrong with the others
        add_errors(
            form, {key: message for key, message in hours_problems(hours).items() if key not in form.errors}
        )
    return await _staff_page(request, db_session, member, form=form, status=INVALID)


@post(f"{BASE}/staff/{{staff_id:uuid}}/exceptions", permission=WRITE, **STAFF)
async def exception_create(request: Req, db_session: DbSession, staff_id: FromPath[UUID]) -> Any:
    member = await _member(db_session, staff_id)
    data, form = parse_form(await request.form(), ExceptionForm)
    change = exception_input(data, form) if data else None
    if change is not None:
        try:
            await add_exception(db_session, member.id, change, today=_today(), actor=actor(request))
            await db_session.commit()
            url = f"{BASE}/staff/{staff_id}#exceptions"
            return redirect(request, url, message=f"Exception added for {member.display_name}.")
        except SetupError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
        member = await _member(db_session, staff_id)
    return await _staff_page(request, db_session, member, exception_form=form, status=INVALID)


@post(f"{BASE}/staff/{{staff_id:uuid}}/exceptions/{{exception_id:uuid}}/delete", permission=WRITE, **STAFF)
async def exception_delete(
    request: Req, db_session: DbSession, staff_id: FromPath[UUID], exception_id: FromPath[UUID]
) -> Any:
    exception = await load_exception(db_session, exception_id)
    if exception is None or exception.staff_id != staff_id:
        raise NotFoundException("No such exception.")
    await delete_exception(db_session, exception, actor=actor(request))
    await db_session.commit()
    return redirect(request, f"{BASE}/staff/{staff_id}#exceptions", message="Exception deleted.")


# ---- business holidays -----------------------------------------------------------------------------
async def _holidays_page(request: Req, db_session: DbSession, form: FormState, *, status: int = 200) -> Any:
    context = {"holidays": await upcoming_exceptions(db_session, None, today=_today()), "form": form}
    return render(request, T + "holidays.html", context, status_code=status)


@get(f"{BASE}/holidays", permission=READ, nav=NavEntry("Scheduling", "Holidays", 74, "calendar"), **STAFF)
async def holidays_index(request: Req, db_session: DbSession) -> Any:
    return await _holidays_page(request, db_session, FormState())


@post(f"{BASE}/holidays", permission=WRITE, **STAFF)
async def holiday_create(request: Req, db_session: DbSession) -> Any:
    data, form = parse_form(await request.form(), HolidayForm)
    change = exception_input(data, form) if data else None
    if change is not None:
        try:
            await add_exception(db_session, None, change, today=_today(), actor=actor(request))
            await db_session.commit()
            return redirect(
                request, f"{BASE}/holidays", message="Holiday added: nobody can be booked that day."
            )
        except SetupError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
    return await _holidays_page(request, db_session, form, status=INVALID)


@post(f"{BASE}/holidays/{{exception_id:uuid}}/delete", permission=WRITE, **STAFF)
async def holiday_delete(request: Req, db_session: DbSession, exception_id: FromPath[UUID]) -> Any:
    holiday = await load_exception(db_session, exception_id)
    if holiday is None or holiday.staff_id is not None:
        raise NotFoundException("No such holiday.")
    await delete_exception(db_session, holiday, actor=actor(request))
    await db_session.commit()
    return redirect(request, f"{BASE}/holidays", message="Holiday deleted.")


# ---- resources ---------------------------------------------------------------------------------------
@get(f"{BASE}/resources", permission=READ, nav=NavEntry("Scheduling", "Resources", 76, "briefcase"), **STAFF)
async def resources_index(request: Req, db_session: DbSession) -> Any:
    query = _query(request, ["name", "kind", "capacity"])
    page = await resource_page(db_session, query, base_url=f"{BASE}/resources")
    context = {"page": page, "columns": RESOURCE_COLUMNS, "kinds": dict(CHOICES["resource_kind"])}
    return render(request, T + "resources.html", context, block="table")


async def _resource(db_session: DbSession, resource_id: UUID) -> Resource:
    resource = await load_resource(db_session, resource_id)
    if resource is None:
        raise NotFoundException("No such resource.")
    return resource


def _resource_page(request: Req, resource: Resource | None, form: FormState, *, status: int = 200) -> Any:
    context = {"resource": resource, "form": form, "kinds": CHOICES["resource_kind"], "currency": _currency()}
    return render(request, T + "resource.html", context, status_code=status)


@get(f"{BASE}/resources/new", permission=WRITE, **STAFF)
async def resource_new(request: Req) -> Any:
    return _resource_page(request, None, form_from(resource_values(None, _currency())))


@get(f"{BASE}/resources/{{resource_id:uuid}}", permission=WRITE, **STAFF)
async def resource_edit(request: Req, db_session: DbSession, resource_id: FromPath[UUID]) -> Any:
    resource = await _resource(db_session, resource_id)
    return _resource_page(request, resource, form_from(resource_values(resource, _currency())))


async def _save_resource(request: Req, db_session: DbSession, resource_id: UUID | None) -> Any:
    resource = await _resource(db_session, resource_id) if resource_id else None
    data, form = parse_form(await request.form(), ResourceForm)
    change = resource_input(data, form, _currency()) if data else None
    if change is not None:
        try:
            saved = await save_resource(db_session, resource, change, actor=actor(request))
            await db_session.commit()
            return redirect(request, f"{BASE}/resources", message=f"“{saved.name}” saved.")
        except SetupError as exc:
            await db_session.rollback()
            add_errors(form, exc.errors)
        resource = await _resource(db_session, resource_id) if resource_id else None
    return _resource_page(request, resource, form, status=INVALID)


@post(f"{BASE}/resources", permission=WRITE, **STAFF)
async def resource_create(request: Req, db_session: DbSession) -> Any:
    return await _save_resource(request, db_session, None)


@post(f"{BASE}/resources/{{resource_id:uuid}}", permission=WRITE, **STAFF)
async def resource_update(request: Req, db_session: DbSession, resource_id: FromPath[UUID]) -> Any:
    return await _save_resource(request, db_session, resource_id)


@post(f"{BASE}/resources/{{resource_id:uuid}}/delete", permission=WRITE, **STAFF)
async def resource_delete(request: Req, db_session: DbSession, resource_id: FromPath[UUID]) -> Any:
    resource = await _resource(db_session, resource_id)
    try:
        await delete_resource(db_session, resource, now=clock.utcnow(), actor=actor(request))
    except SetupError as exc:
        form = form_from(resource_values(resource, _currency()))
        add_errors(form, exc.errors)
        return _resource_page(request, resource, form, status=INVALID)
    await db_session.commit()
    return redirect(request, f"{BASE}/resources", message=f"“{resource.name}” deleted.")


routes = [
    types_index,
    type_new,
    type_edit,
    type_create,
    type_update,
    type_set_active,
    type_delete,
    staff_index,
    staff_new,
    staff_create,
    staff_edit,
    staff_update,
    exception_create,
    exception_delete,
    holidays_index,
    holiday_create,
    holiday_delete,
    resources_index,
    resource_new,
    resource_edit,
    resource_create,
    resource_update,
    resource_delete,
]
