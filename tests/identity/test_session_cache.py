"""The signed-in person is remembered between requests (on SQLite) but never outlives a change: a
sign-out elsewhere, a deactivation, a role change or an expiry shows on the very next request."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, event, select, update

from tests.factories import PASSWORD, make_user, sign_in
from verso.domains.identity.models import Role, User, UserSession
from verso.lib import clock
from verso.lib.db import get_engine, has_local_reads


def _orm_statements() -> tuple[list[str], object]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(get_engine().sync_engine, "before_cursor_execute", count)
    return seen, count


async def test_a_known_session_costs_no_orm_query_on_sqlite(client, admin) -> None:
    await make_user("shopper@example.com", ["user"])
    await sign_in(client, "shopper@example.com", PASSWORD)
    assert (await client.get("/account")).status_code == 200
    seen, count = _orm_statements()
    try:
        assert (await client.get("/account")).status_code == 200
    finally:
        event.remove(get_engine().sync_engine, "before_cursor_execute", count)
    session_reads = [s for s in seen if "user_session" in s]
    assert session_reads == [] if has_local_reads() else session_reads


async def test_sign_out_elsewhere_shows_on_the_next_request(client, admin, db_session) -> None:
    await make_user("shopper@example.com", ["user"])
    await sign_in(client, "shopper@example.com", PASSWORD)
    assert (await client.get("/account")).status_code == 200
    await db_session.execute(delete(UserSession))
    await db_session.commit()
    page = await client.get("/account", follow_redirects=False)
    assert page.status_code in (302, 303, 401) and "/login" in page.headers.get("location", "/login")


async def test_deactivation_and_role_changes_apply_at_once(client, admin, db_session) -> None:
    user = await make_user("clerk@example.com", ["user"])
    await sign_in(client, "clerk@example.com", PASSWORD)
    assert (await client.get("/admin/shop/products")).status_code == 403

    commercial = await db_session.scalar(select(Role).where(Role.name == "commercial"))
    staff = await db_session.get(User, user.id)
    await db_session.refresh(staff, ["roles"])
    staff.roles.append(commercial)
    await db_session.commit()
    assert (await client.get("/admin/shop/products")).status_code == 200

    commercial.permissions = [p for p in commercial.permissions if p != "shop.products.read"]
    await db_session.commit()
    assert (await client.get("/admin/shop/products")).status_code == 403

    await db_session.execute(update(User).where(User.id == user.id).values(is_active=False))
    await db_session.commit()
    page = await client.get("/account", follow_redirects=False)
    assert page.status_code in (302, 303, 401)


async def test_an_idle_session_ends_even_when_remembered(client, admin) -> None:
    await make_user("shopper@example.com", ["user"])
    await sign_in(client, "shopper@example.com", PASSWORD)
    assert (await client.get("/account")).status_code == 200
    clock.freeze(clock.utcnow() + timedelta(days=60))
    page = await client.get("/account", follow_redirects=False)
    assert page.status_code in (302, 303, 401)
