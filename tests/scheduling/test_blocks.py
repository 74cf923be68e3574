"""Booking blocks: the service (block once per person, by email or account; lift; list newest first;
which attendees are blocked), and the staff page at /admin/scheduling/blocks (list, block by hand
with a reason, lift; 422 with inline errors; CSRF; only "scheduling.setup.write" may open it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from uuid import uuid4

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.scheduling.helpers import make_staff, make_type
from verso.domains.scheduling.models import AppointmentType, Attendee, BookingBlock
from verso.domains.scheduling.services import Booker, BookingError, book
from verso.domains.scheduling.services._blocks import block, blocked_attendees, lift, list_blocks
from verso.lib.audit import Actor, AuditLog

PAGE = "/admin/scheduling/blocks"
STAFF = Actor(id="staff-1", label="owner@example.com")


# ---- the service -------------------------------------------------------------------------------
async def test_one_block_per_person_by_email_or_account(db_session) -> None:
    customer = await make_user("cleo@example.com", ["user"])
    first = await block(db_session, " Cleo@Example.com ", reason="  Missed twice ", actor=STAFF)
    assert first is not None and (first.email, first.reason) == ("cleo@example.com", "Missed twice")
    assert await block(db_session, "CLEO@example.com", reason="Again", actor=STAFF) is None
    by_account = await block(
        db_session, "other@example.com", reason="Rude", actor=STAFF, customer_id=customer.id
    )
    assert by_account is not None
    assert (
        await block(db_session, "third@example.com", reason="x", actor=STAFF, customer_id=customer.id) is None
    )
    await db_session.commit()
    assert [b.email for b in await list_blocks(db_session)] == ["other@example.com", "cleo@example.com"]
    actions = list(
        await db_session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("scheduling.%")).order_by(AuditLog.id)
        )
    )
    assert actions == ["scheduling.block.created", "scheduling.block.created"]


async def test_lifting_deletes_the_block_once(db_session) -> None:
    row = await block(db_session, "cleo@example.com", reason="Missed", actor=STAFF)
    await db_session.commit()
    lifted = await lift(db_session, row.id, actor=STAFF)
    await db_session.commit()
    assert lifted.email == "cleo@example.com" and await list_blocks(db_session) == []
    assert await lift(db_session, row.id, actor=STAFF) is None
    assert await lift(db_session, uuid4(), actor=STAFF) is None
    entry = await db_session.scalar(select(AuditLog).where(AuditLog.action == "scheduling.block.lifted"))
    assert (entry.target_id, entry.target_label, entry.actor_label) == (
        str(row.id), "cleo@example.com", "owner@example.com"
    )  # fmt: skip


async def test_blocked_attendees_are_matched_by_email_or_account(db_session) -> None:
    customer = await make_user("dan@example.com", ["user"])
    await block(db_session, "ann@example.com", reason="x", actor=STAFF)
    await block(db_session, "old-address@example.com", reason="x", actor=STAFF, customer_id=customer.id)
    people = [
        Attendee(id=uuid4(), name="Ann", email="ANN@example.com"),
        Attendee(id=uuid4(), name="Dan", email="dan.new@example.com", customer_id=customer.id),
        Attendee(id=uuid4(), name="Eve", email="eve@example.com"),
    ]
    assert await blocked_attendees(db_session, people) == {people[0].id, people[1].id}
    assert await blocked_attendees(db_session, []) == set()


# ---- the page ----------------------------------------------------------------------------------
async def test_the_page_lists_blocks_and_blocks_by_hand(admin_client, db_session) -> None:
    empty = await admin_client.get(PAGE)
    text = unescape(empty.text)
    assert empty.status_code == 200 and "Nobody is blocked." in text
    assert f'href="{PAGE}" aria-current="page">Booking blocks<' in text  # its set-up tab
    done = await post_form(
        admin_client, PAGE, {"email": "Cleo@Example.com", "reason": "Three missed appointments"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == PAGE
    page = unescape((await admin_client.get(PAGE)).text)
    assert "cleo@example.com can no longer book online." in page  # the flash, as a toast
    assert "Three missed appointments" in page and "Nobody is blocked." not in page
    row = await db_session.scalar(select(BookingBlock))
    assert f'action="{PAGE}/{row.id}/lift"' in page and "data-confirm=" in page
    assert f'<time datetime="{row.created_at.isoformat()}">' in page  # since


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"email": "not-an-email", "reason": "x"}, "Enter an email address, like name@example.com."),
        ({"email": "cleo@example.com", "reason": ""}, "Say why, for whoever lifts it."),
        ({"email": "", "reason": "x"}, "Enter an email address, like name@example.com."),
    ],
)
async def test_a_bad_form_is_422_with_the_reason(admin_client, db_session, data, field_error) -> None:
    refused = await post_form(admin_client, PAGE, data)
    assert refused.status_code == 422 and field_error in unescape(refused.text)
    assert await db_session.scalar(select(BookingBlock.id)) is None


async def test_blocking_someone_already_blocked_is_422(admin_client, db_session) -> None:
    await block(db_session, "cleo@example.com", reason="Missed", actor=STAFF)
    await db_session.commit()
    again = await post_form(admin_client, PAGE, {"email": "CLEO@example.com", "reason": "Again"}, htmx=True)
    assert again.status_code == 422 and "A block already stops this person from booking." in again.text
    assert 'value="CLEO@example.com"' in again.text  # what was typed is kept
    assert len(await list_blocks(db_session)) == 1


async def test_lift_then_lifting_again_is_404(admin_client, db_session) -> None:
    row = await block(db_session, "cleo@example.com", reason="Missed", actor=STAFF)
    await db_session.commit()
    lifted = await post_form(admin_client, f"{PAGE}/{row.id}/lift", htmx=True)
    assert lifted.status_code < 300 and lifted.headers["hx-redirect"] == PAGE
    assert await list_blocks(db_session) == []
    assert (await post_form(admin_client, f"{PAGE}/{row.id}/lift")).status_code == 404


async def test_posts_need_the_csrf_token(admin_client, db_session) -> None:
    row = await block(db_session, "cleo@example.com", reason="Missed", actor=STAFF)
    await db_session.commit()
    assert (await admin_client.post(f"{PAGE}/{row.id}/lift")).status_code == 403
    assert (await admin_client.post(PAGE, data={"email": "a@b.co", "reason": "x"})).status_code == 403
    assert len(await list_blocks(db_session)) == 1


async def test_only_set_up_staff_reach_it(client, admin, db_session) -> None:
    row = await block(db_session, "cleo@example.com", reason="Missed", actor=STAFF)
    await db_session.commit()
    anonymous = await client.get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    await make_user("desk@example.com", ["employee"])  # appointments, not set-up
    await sign_in(client, "desk@example.com", PASSWORD)
    assert (await client.get(PAGE)).status_code == 403
    assert (await post_form(client, f"{PAGE}/{row.id}/lift")).status_code == 403
    holidays = unescape((await client.get("/admin/scheduling/holidays")).text)
    assert "Holidays" in holidays and PAGE not in holidays  # no tab they could not open
    assert len(await list_blocks(db_session)) == 1


async def test_a_blocked_address_cannot_book_until_lifted(admin_client, db_session) -> None:
    kind = await make_type(db_session, [await make_staff(db_session)])
    kind_id, start = kind.id, datetime(2026, 12, 1, 9, tzinfo=UTC)
    cleo, now = Booker("Cleo", "cleo@example.com"), start - timedelta(days=1)
    await post_form(admin_client, PAGE, {"email": "cleo@example.com", "reason": "Missed"})
    with pytest.raises(BookingError) as refused:
        await book(db_session, kind, start, cleo, now=now)
    assert refused.value.code == "blocked"
    await db_session.rollback()
    row = await db_session.scalar(select(BookingBlock))
    await post_form(admin_client, f"{PAGE}/{row.id}/lift")
    kind = await db_session.get(AppointmentType, kind_id)
    booked = await book(db_session, kind, start, cleo, now=now)
    assert booked.email == "cleo@example.com"


async def test_an_appointment_marked_no_show_penalises_everyone_expected(db_session) -> None:
    """The status form and the API mark a whole appointment; the type's penalty still applies."""
    from verso.domains.scheduling.services import load_appointment, set_status
    from verso.lib import clock

    staff = await make_staff(db_session)
    kind = await make_type(db_session, [staff], no_show_penalty="block", no_show_fee=1500, max_attendees=3)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    clock.freeze(start - timedelta(days=1))
    for n in (1, 2):
        await book(db_session, kind, start, Booker(f"P{n}", f"p{n}@example.com"), now=clock.utcnow())
    await db_session.commit()
    came = await db_session.scalar(select(Attendee).where(Attendee.email == "p2@example.com"))
    came.checked_in_at = start
    await db_session.commit()
    appointment = await load_appointment(db_session, came.appointment_id)
    await set_status(db_session, appointment, "no_show", now=start + timedelta(hours=1), actor=STAFF)
    await db_session.commit()
    rows = {
        a.email: a
        for a in await db_session.scalars(select(Attendee).execution_options(populate_existing=True))
    }
    assert (rows["p1@example.com"].status, rows["p1@example.com"].fee_due) == ("no_show", 1500)
    assert (rows["p2@example.com"].status, rows["p2@example.com"].fee_due) == ("confirmed", 0)
    assert [b.email for b in await list_blocks(db_session)] == ["p1@example.com"]
