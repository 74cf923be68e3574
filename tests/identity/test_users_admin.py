"""The staff list of accounts: search, filter by role and status, sort; page and htmx fragment."""

from __future__ import annotations

from sqlalchemy import update

from tests.factories import make_user
from verso.domains.identity.models import User


async def test_search_filter_and_fragment(admin_client, db_session) -> None:
    await make_user("sam.sales@example.com", ["commercial"], first_name="Sam")
    await make_user("chloe@example.com", ["user"], first_name="Chloé")
    leaver = await make_user("old@example.com", ["user"])
    await db_session.execute(update(User).where(User.id == leaver.id).values(is_active=False))
    await db_session.commit()

    page = await admin_client.get("/admin/users")
    assert page.status_code == 200 and "<html" in page.text and page.headers["vary"] == "HX-Request"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for email in ("owner@example.com", "sam.sales@example.com", "chloe@example.com", "old@example.com"):
        assert email in page.text

    found = await admin_client.get("/admin/users", params={"q": "CHLO"})
    assert "chloe@example.com" in found.text and "sam.sales@example.com" not in found.text

    customers = await admin_client.get("/admin/users", params={"role": "user", "status": "active"})
    assert "chloe@example.com" in customers.text
    assert "old@example.com" not in customers.text and "sam.sales@example.com" not in customers.text

    inactive = await admin_client.get("/admin/users", params={"status": "inactive"})
    assert "old@example.com" in inactive.text and "chloe@example.com" not in inactive.text

    fragment = await admin_client.get(
        "/admin/users", params={"sort": "email", "direction": "asc"}, headers={"HX-Request": "true"}
    )
    assert (
        fragment.status_code == 200 and "<html" not in fragment.text and 'id="users-table"' in fragment.text
    )
    assert fragment.text.index("chloe@example.com") < fragment.text.index("sam.sales@example.com")

    junk = await admin_client.get(
        "/admin/users", params={"page": "-3", "per_page": "99999", "sort": "password"}
    )
    assert junk.status_code == 200
