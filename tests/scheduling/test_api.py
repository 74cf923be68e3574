"""The scheduling JSON API: types, free slots in the caller's zone with their parameter checks,
booking (201, a taken time 409 with the reason, the engine's other refusals and bad bodies 422 naming
the field), the list and one appointment under the visibility rule, staff changes, scopes, and the
OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from tests.api.conftest import bearer, create_key
from tests.factories import make_user
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.api.models import ApiKey
from verso.domains.api.services import PREFIX_LENGTH, hash_key, new_secret
from verso.domains.scheduling.models import STATUSES, Appointment, BookingBlock
from verso.lib import clock
from verso.lib.email import OutboxEmail

PROBLEM = "application/problem+json"
TYPES, SLOTS, URL = "/api/v1/appointment-types", "/api/v1/availability/slots", "/api/v1/appointments"
READ, WRITE = "read:appointments", "write:appointments"
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # Tuesday 08:00 in Paris (the business zone)
TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Paris


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


@pytest.fixture
async def key(admin_client) -> str:
    return await create_key(admin_client, "Front desk", (READ, WRITE))


@pytest.fixture
async def staff(db_session):
    return await make_staff(db_session)


@pytest.fixture
async def kind(db_session, staff):
    note = {"key": "note", "label": "Anything we should know?", "kind": "text", "required": False}
    return await make_type(db_session, [staff], questions=[note])


@pytest.fixture
def api(admin_client, key, kind):
    """Calls with the staff key, the clock at NOW (after the keys are made)."""
    clock.freeze(NOW)

    async def call(method: str, url: str, secret: str = key, **kwargs: Any) -> Any:
        headers = {**bearer(secret), **kwargs.pop("headers", {})}
        return await admin_client.request(method, url, headers=headers, **kwargs)

    return call


def booking(**fields: Any) -> dict[str, Any]:
    base = {
        "type": "haircut",
        "start": "2026-12-01T10:00:00+01:00",
        "name": "Ann",
        "email": "ann@example.com",
    }
    return {**base, **fields}


async def _book(api, secret: str | None = None, **fields: Any) -> dict[str, Any]:
    response = await api("post", URL, json=booking(**fields), **({"secret": secret} if secret else {}))
    assert response.status_code == 201, response.text
    return response.json()


async def customer_key(db_session, email: str) -> tuple[str, Any]:
    """A key for a customer (any account may hold the appointment scopes, for its own bookings)."""
    user = await make_user(email, ["user"])
    secret = new_secret()
    db_session.add(
        ApiKey(name="Mine", prefix=secret[:PREFIX_LENGTH], key_hash=hash_key(secret), user_id=user.id,
               scopes=[READ, WRITE])
    )  # fmt: skip
    await db_session.commit()
    return secret, user


# ---- types and slots --------------------------------------------------------------------------
async def test_types_are_the_active_ones_with_their_questions(api, db_session, staff, kind) -> None:
    question = {"key": "length", "label": "Hair length", "kind": "select", "required": True,
                "options": ["short", "long"]}  # fmt: skip
    colour = await make_type(
        db_session, [staff], slug="colour", name="Colour", price=4500, questions=[question], max_attendees=2
    )
    await make_type(db_session, [staff], slug="old", name="Old cut", active=False)
    body = (await api("get", TYPES)).json()
    assert body == [
        {"id": str(colour.id), "slug": "colour", "name": "Colour", "description": "", "duration_minutes": 30,
         "price": 4500, "currency": "EUR", "max_attendees": 2, "location_kind": "address",
         "questions": [question]},
        {"id": str(kind.id), "slug": "haircut", "name": "Haircut", "description": "", "duration_minutes": 30,
         "price": None, "currency": "EUR", "max_attendees": 1, "location_kind": "address",
         "questions": [{**kind.questions[0], "options": []}]},
    ]  # fmt: skip


async def test_slots_are_given_in_the_zone_asked_for(api, staff, kind) -> None:
    paris = (await api("get", f"{SLOTS}?type=haircut&date_from=2026-12-01&date_to=2026-12-01")).json()
    assert (paris["timezone"], paris["date_from"], paris["date_to"]) == (
        "Europe/Paris",
        "2026-12-01",
        "2026-12-01",
    )
    assert len(paris["items"]) == 16  # 09:00 to 16:30, every half hour
    assert paris["items"][0] == {
        "start": "2026-12-01T09:00:00+01:00",
        "start_utc": "2026-12-01T08:00:00Z",
        "end": "2026-12-01T09:30:00+01:00",
        "staff": [str(staff.id)],
        "seats_left": 1,
    }
    query = f"{SLOTS}?type={kind.id}&staff={staff.id}&date_from=2026-12-01&tz=America/New_York"
    new_york = (await api("get", query)).json()
    assert new_york["timezone"] == "America/New_York" and len(new_york["items"]) == 16
    assert new_york["items"][0]["start"] == "2026-12-01T03:00:00-05:00"
    await _book(api)
    after = (await api("get", f"{SLOTS}?type=haircut&date_from=2026-12-01")).json()
    starts = [slot["start"] for slot in after["items"]]
    assert len(starts) == 15 and "2026-12-01T10:00:00+01:00" not in starts


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=2026-13-01", "date_from", "date_from must be a date as YYYY-MM-DD, e.g. 2026-03-01."),
        ("date_from=2026-12-02&date_to=2026-12-01", "date_to", "date_to must be on or after date_from."),
        ("date_from=2026-12-01&date_to=2027-01-01", "date_to", "The range may cover at most 31 days."),
        ("tz=Mars/Olympus", "tz", "tz must be an IANA time zone such as Europe/Paris, not 'Mars/Olympus'."),
    ],
)
async def test_bad_slot_parameters_are_422_problems(api, query: str, field: str, message: str) -> None:
    body = _problem(await api("get", f"{SLOTS}?type=haircut&{query}"), 422)
    assert body["errors"] == [{"field": field, "message": message}]
    assert body["detail"] == message


async def test_an_unknown_type_is_404_and_a_stranger_to_the_type_422(api, db_session) -> None:
    assert _problem(await api("get", f"{SLOTS}?type=massage"), 404)["detail"] == (
        "No appointment type has this slug or id."
    )
    other = await make_staff(db_session, email="other@example.com", name="Olga Other")
    body = _problem(await api("get", f"{SLOTS}?type=haircut&staff={other.id}"), 422)
    assert body["errors"] == [
        {"field": "staff", "message": "This staff member does not take this appointment type."}
    ]
    # A 31-day range is allowed.
    assert (
        await api("get", f"{SLOTS}?type=haircut&date_from=2026-12-01&date_to=2026-12-31")
    ).status_code == 200


# ---- booking ----------------------------------------------------------------------------------
async def test_booking_answers_201_and_a_taken_time_409(api, db_session, staff, kind) -> None:
    body = await _book(api, phone="+33 6 12 34 56 78", answers={"note": "fringe"})
    assert (body["type"]["slug"], body["staff"], body["status"]) == (
        "haircut",
        {"id": str(staff.id), "name": "Sam Stylist"},
        "confirmed",
    )
    assert (body["start"], body["end"], body["seats_taken"], body["notes"]) == (
        "2026-12-01T09:00:00Z",
        "2026-12-01T09:30:00Z",
        1,
        "",
    )
    [person] = body["attendees"]
    assert (person["name"], person["email"], person["phone"], person["timezone"], person["answers"]) == (
        "Ann",
        "ann@example.com",
        "+33 6 12 34 56 78",
        "Europe/Paris",
        {"note": "fringe"},
    )
    assert (person["customer_id"], person["status"], person["checked_in_at"]) == (None, "confirmed", None)
    mail = await db_session.scalar(select(OutboxEmail))
    assert mail.to_address == "ann@example.com" and mail.subject.startswith("Booked: Haircut")
    unknown_only = await _book(api, start="2026-12-01T10:00:00Z", answers={"shoe_size": "42"})
    assert unknown_only["attendees"][0]["answers"] == {"note": None}  # only the type's questions are kept
    taken = _problem(await api("post", URL, json=booking(name="Bob", email="bob@example.com")), 409)
    assert taken["detail"] == "That time was just taken."
    assert taken["errors"] == [{"field": "start", "message": "That time was just taken.", "code": "taken"}]
    assert await db_session.scalar(select(Appointment.seats_taken)) == 1


@pytest.mark.parametrize(
    ("fields", "field", "message", "code"),
    [
        ({"start": "2026-12-01T06:00:00+01:00"}, "start", "That time has passed.", "in_past"),
        (
            {"start": "2026-12-01T19:00:00+01:00"},
            "start",
            "That time is outside opening hours.",
            "outside_hours",
        ),
        ({"type": "massage"}, "type", "No appointment type open for booking has this slug or id.", None),
        (
            {"timezone": "Mars/Olympus"},
            "timezone",
            "timezone must be an IANA time zone such as Europe/Paris",
            None,
        ),
        (
            {"start": "2026-12-01T10:00:00"},
            "start",
            "start: Expected `datetime` with a timezone component",
            None,
        ),
        ({"email": "not-an-email"}, "email", "email: Expected `str` matching regex", None),
        ({"name": None}, "name", "name: Expected `str`, got `null`", None),
        ({"colour": "red"}, "colour", "colour: Object contains unknown field `colour`", None),
    ],
)
async def test_refusals_and_bad_bodies_are_422_naming_the_field(
    api, db_session, fields: dict[str, Any], field: str, message: str, code: str | None
) -> None:
    body = _problem(await api("post", URL, json=booking(**fields)), 422)
    [error] = body["errors"]
    assert error["field"] == field and error["message"].startswith(message), error
    assert error.get("code") == code, error  # the engine's refusals carry their code; bad bodies none
    assert await db_session.scalar(select(Appointment.id)) is None


async def test_a_missing_field_is_named_and_a_body_that_is_not_json_is_400(api) -> None:
    body = _problem(
        await api("post", URL, json={"type": "haircut", "start": "2026-12-01T10:00:00+01:00"}), 422
    )
    assert body["errors"] == [{"field": "name", "message": "name: Object missing required field `name`"}]
    assert body["detail"] == "name: Object missing required field `name`"
    headers = {"content-type": "application/json"}
    _problem(await api("post", URL, content=b"{not json", headers=headers), 400)


# ---- reading and visibility -------------------------------------------------------------------
async def test_the_list_filters_and_pages(api, db_session, staff) -> None:
    other = await make_staff(db_session, email="other@example.com", name="Olga Other")
    await make_type(db_session, [staff, other], slug="colour", name="Colour")
    first = await _book(api)
    second = await _book(api, type="colour", start="2026-12-02T10:00:00+01:00", staff=str(other.id))
    third = await _book(api, start="2026-12-03T11:00:00+01:00")
    await api("patch", f"{URL}/{third['id']}", json={"status": "completed"})

    async def ids(query: str = "") -> list[str]:
        response = await api("get", f"{URL}?{query}")
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [first["id"], second["id"], third["id"]]
    assert await ids("status=completed") == [third["id"]]
    assert await ids(f"staff={other.id}") == [second["id"]]
    assert await ids("date_from=2026-12-02") == [second["id"], third["id"]]
    assert await ids("date_from=2026-12-02&date_to=2026-12-02") == [second["id"]]
    paged = (await api("get", f"{URL}?per_page=2&page=2")).json()
    assert [i["id"] for i in paged["items"]] == [third["id"]]
    assert (paged["page"], paged["per_page"], paged["total"], paged["pages"]) == (2, 2, 3, 2)
    assert "attendees" not in paged["items"][0]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("per_page=101", "per_page", "per_page must be from 1 to 100."),
        ("status=lost", "status", "status must be one of: " + ", ".join(STATUSES) + "."),
        ("date_to=tomorrow", "date_to", "date_to must be a date as YYYY-MM-DD, e.g. 2026-03-01."),
    ],
)
async def test_bad_list_parameters_are_422_problems(api, query: str, field: str, message: str) -> None:
    body = _problem(await api("get", f"{URL}?{query}"), 422)
    assert body["errors"] == [{"field": field, "message": message}]


async def test_a_customer_key_sees_only_its_owners_bookings(api, db_session) -> None:
    secret, cleo = await customer_key(db_session, "cleo@example.com")
    await make_type(db_session, [await make_staff(db_session, email="y@example.com", name="Yan Yoga")],
                            slug="yoga", name="Yoga", max_attendees=5)  # fmt: skip
    staff_booking = await _book(api)  # someone else's
    mine = await _book(api, secret=secret, type="yoga", name="Cleo", email="cleo@example.com")
    shared = await _book(api, type="yoga", name="Dan", email="dan@example.com")  # same session, not hers
    assert shared["id"] == mine["id"] and len(shared["attendees"]) == 2
    [own] = mine["attendees"]
    assert own["customer_id"] == str(cleo.id) and mine["notes"] is None
    listing = (await api("get", URL, secret=secret)).json()
    assert [item["id"] for item in listing["items"]] == [mine["id"]] and listing["total"] == 1
    detail = (await api("get", f"{URL}/{mine['id']}", secret=secret)).json()
    assert [a["name"] for a in detail["attendees"]] == ["Cleo"]  # not the other person in the group
    missing = _problem(await api("get", f"{URL}/{staff_booking['id']}", secret=secret), 404)
    assert missing["detail"] == "No such appointment."
    refused = _problem(await api("patch", f"{URL}/{mine['id']}", secret=secret, json={"notes": "x"}), 403)
    assert (
        refused["detail"]
        == "Only a key whose owner holds scheduling.appointments.read may change appointments."
    )
    everyone = (await api("get", f"{URL}/{mine['id']}")).json()
    assert sorted(a["name"] for a in everyone["attendees"]) == ["Cleo", "Dan"]
    _problem(await api("get", f"{URL}/{uuid4()}"), 404)


# ---- staff changes ----------------------------------------------------------------------------
async def test_staff_change_notes_time_and_status(api, db_session) -> None:
    booked = await _book(api)
    other = await _book(api, start="2026-12-01T12:00:00+01:00", name="Bob", email="bob@example.com")
    item = f"{URL}/{booked['id']}"
    noted = await api("patch", item, json={"notes": "  Prefers scissors  "})
    assert noted.status_code == 200 and noted.json()["notes"] == "Prefers scissors"
    moved = (await api("patch", item, json={"start": "2026-12-01T11:00:00+01:00"})).json()
    assert (moved["start"], moved["end"]) == ("2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z")
    clash = _problem(await api("patch", item, json={"start": "2026-12-01T12:00:00+01:00"}), 409)
    assert clash["detail"] == "That time was just taken."
    assert clash["errors"] == [{"field": "start", "message": "That time was just taken.", "code": "taken"}]
    assert other["start"] == "2026-12-01T11:00:00Z"
    done = (await api("patch", item, json={"status": "completed"})).json()
    assert done["status"] == "completed"
    same = await api("patch", item, json={"status": "completed"})  # the current status: nothing to do
    assert same.status_code == 200 and same.json()["status"] == "completed"
    refused = _problem(await api("patch", item, json={"status": "confirmed"}), 409)
    assert refused["detail"] == "A completed appointment can become: none."
    assert refused["errors"] == [
        {"field": "status", "message": "A completed appointment can become: none.", "code": "state"}
    ]
    unknown = _problem(await api("patch", item, json={"status": "teleported"}), 422)
    assert unknown["errors"] == [
        {"field": "status", "message": "status must be one of: " + ", ".join(STATUSES) + "."}
    ]
    _problem(await api("patch", item, json={"start": "2026-12-01T11:00:00"}), 422)  # no offset
    _problem(await api("patch", f"{URL}/{uuid4()}", json={"notes": ""}), 404)
    stored = await db_session.scalar(select(Appointment).where(Appointment.id == booked["id"]))
    assert (stored.status, stored.notes, stored.start_at) == (
        "completed",
        "Prefers scissors",
        TEN + timedelta(hours=1),
    )


async def test_cancelling_through_the_api_cancels_every_booking(api, db_session) -> None:
    booked = await _book(api)
    body = (await api("patch", f"{URL}/{booked['id']}", json={"status": "cancelled"})).json()
    assert body["status"] == "cancelled" and [a["status"] for a in body["attendees"]] == ["cancelled"]
    slots = (await api("get", f"{SLOTS}?type=haircut&date_from=2026-12-01")).json()["items"]
    assert "2026-12-01T10:00:00+01:00" in [slot["start"] for slot in slots]


# ---- scopes and the document ------------------------------------------------------------------
async def test_scopes_are_enforced(admin_client, db_session, kind) -> None:
    reader = bearer(await create_key(admin_client, "Reader", (READ,)))
    orders = bearer(await create_key(admin_client, "Orders", ("read:orders",)))
    clock.freeze(NOW)
    for url in (TYPES, f"{SLOTS}?type=haircut", URL):
        assert (await admin_client.get(url, headers=reader)).status_code == 200
        assert "read:appointments" in _problem(await admin_client.get(url, headers=orders), 403)["detail"]
        _problem(await admin_client.get(url), 401)
    refused = _problem(await admin_client.post(URL, json=booking(), headers=reader), 403)
    assert refused["detail"] == "This key lacks the scope write:appointments."
    _problem(await admin_client.patch(f"{URL}/{uuid4()}", json={"notes": ""}, headers=reader), 403)
    assert await db_session.scalar(select(Appointment.id)) is None


async def test_the_openapi_document_describes_the_scheduling_api(client) -> None:
    document = (await client.get("/api/openapi.json")).json()
    paths = document["paths"]
    assert set(paths[TYPES]) == {"get"} and set(paths[SLOTS]) == {"get"}
    assert set(paths[URL]) == {"get", "post"} and set(paths[URL + "/{appointment_id}"]) == {"get", "patch"}
    operations = [op for p in (TYPES, SLOTS, URL, URL + "/{appointment_id}") for op in paths[p].values()]
    for operation in operations:
        assert operation["security"] == [{"bearerAuth": []}]
        assert {"401", "403"} <= set(operation["responses"])
        for status, response in operation["responses"].items():
            if status.startswith("4"):
                assert list(response["content"]) == [PROBLEM], (status, response)
    assert {"409", "422"} <= set(paths[URL]["post"]["responses"])
    assert {"404", "409", "422"} <= set(paths[URL + "/{appointment_id}"]["patch"]["responses"])
    assert {"404", "422"} <= set(paths[SLOTS]["get"]["responses"])
    assert {p["name"] for p in paths[SLOTS]["get"]["parameters"]} == {
        "type",
        "staff",
        "date_from",
        "date_to",
        "tz",
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["AppointmentIn"]["required"]) == {"type", "start", "name", "email"}
    assert {"start", "start_utc", "end", "staff", "seats_left"} == set(schemas["SlotOut"]["properties"])
    assert {"attendees", "notes", "status", "type", "staff"} <= set(
        schemas["AppointmentDetail"]["properties"]
    )


async def test_a_required_question_left_blank_is_a_422_naming_it(api, db_session, staff) -> None:
    must = {"key": "pieces", "label": "How many pieces?", "kind": "text", "required": True}
    await make_type(db_session, [staff], slug="glaze", name="Glaze", questions=[must])
    body = _problem(await api("post", URL, json=booking(type="glaze", answers={})), 422)
    assert body["detail"] == "How many pieces?: This field is required."
    assert body["errors"] == [{"field": "answers.pieces", "message": body["detail"], "code": "answers"}]


async def test_a_blocked_person_is_refused_with_the_code_blocked(api, db_session) -> None:
    db_session.add(BookingBlock(email="ann@example.com", reason="Missed twice"))
    await db_session.commit()
    body = _problem(await api("post", URL, json=booking(email="Ann@Example.com")), 422)
    [error] = body["errors"]
    assert (error["field"], error["code"]) == ("email", "blocked")
    assert error["message"] == body["detail"]
    assert body["detail"].startswith("Online booking is not open to you")
    assert await db_session.scalar(select(Appointment.id)) is None


async def test_a_customer_key_cannot_skip_an_online_payment(api, db_session, stripe_on) -> None:
    secret, _cleo = await customer_key(db_session, "cleo@example.com")
    staff = await make_staff(db_session, email="z@example.com", name="Zoe Colour")
    await make_type(db_session, [staff], slug="colour", name="Colour", price=4000, deposit_kind="amount",
                    deposit_value=1000)  # fmt: skip
    body = _problem(
        await api("post", URL, secret=secret, json=booking(type="colour", email="cleo@example.com")), 422
    )
    assert body["errors"][0]["field"] == "type" and "paid online when booked" in body["detail"]
    staff_booked = await _book(api, type="colour")  # staff book on the customer's behalf: paid there
    assert staff_booked["attendees"][0]["payment_status"] == "none"
    assert staff_booked["attendees"][0]["price"] == 4000
