"""Staff management: editing accounts and roles, ending sessions, blocking addresses."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import ADMIN_PASSWORD, PASSWORD, make_user, post_form, sign_in
from verso.domains.identity.models import IPBlock, Role, User, UserSession
from verso.domains.identity.protection import LoginProtection
from verso.lib.audit import AuditLog

STAFF_FORM = {
    "roles": ["commercial"],
    "is_active": "on",
    "job_title": "Buyer",
    "department": "Sales",
    "location": "Lyon",
    "manager_id": "",
}


async def test_role_change_is_audited_and_ends_the_persons_sessions(app, admin_client, db_session) -> None:
    from litestar.testing import AsyncTestClient

    sam = await make_user("sam@example.com", ["employee"])
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as sams_browser:
        await sign_in(sams_browser, "sam@example.com", PASSWORD)
        assert (await sams_browser.get("/admin/users")).status_code == 403  # employee
        response = await post_form(admin_client, f"/admin/users/{sam.id}", STAFF_FORM)
        assert response.status_code == 200 and "Account saved." in response.text
        # Sam's privileges changed: his old session is gone; he signs in again and gets the new ones.
        assert (await sams_browser.get("/admin/users", follow_redirects=False)).status_code == 303
        await sign_in(sams_browser, "sam@example.com", PASSWORD)
        assert (await sams_browser.get("/admin/users")).status_code == 200
    user = await db_session.get(User, sam.id, populate_existing=True)
    assert user.role_names == ["commercial"] and (user.job_title, user.location) == ("Buyer", "Lyon")
    entry = (await db_session.scalars(select(AuditLog).where(AuditLog.action == "user.updated"))).one()
    assert entry.changes["roles"] == [["employee"], ["commercial"]]


async def test_admin_cannot_demote_or_deactivate_themself(admin_client, admin) -> None:
    response = await post_form(
        admin_client, f"/admin/users/{admin.id}", {**STAFF_FORM, "roles": ["commercial"]}
    )
    assert response.status_code == 422
    assert "You cannot remove your own administrator role or deactivate yourself." in response.text


async def test_reading_is_not_editing(client, admin) -> None:
    await make_user("viewer@example.com", ["commercial"])
    await sign_in(client, "viewer@example.com", PASSWORD)
    page = await client.get(f"/admin/users/{admin.id}")
    assert page.status_code == 200 and "Save account" not in page.text
    assert (await post_form(client, f"/admin/users/{admin.id}", STAFF_FORM)).status_code == 403


async def test_roles_create_edit_matrix_and_refusals(admin_client, db_session) -> None:
    created = await post_form(
        admin_client,
        "/admin/roles",
        {
            "name": "warehouse",
            "description": "Packs orders",
            "permissions": ["ops.jobs.read", "admin.access"],
        },
    )
    assert created.status_code == 200 and "Role warehouse saved." in created.text
    role = (await db_session.scalars(select(Role).where(Role.name == "warehouse"))).one()
    assert sorted(role.permissions) == ["admin.access", "ops.jobs.read"]
    matrix = await admin_client.get("/admin/roles")
    assert (
        "warehouse has ops.jobs.read" in matrix.text and "warehouse has ops.settings.write" not in matrix.text
    )
    duplicate = await post_form(admin_client, "/admin/roles", {"name": "warehouse", "permissions": []})
    assert duplicate.status_code == 422 and "A role with this name already exists." in duplicate.text
    bad = await post_form(admin_client, "/admin/roles", {"name": "Bad Name!", "permissions": []})
    assert "Use 2-50 lowercase letters" in bad.text
    builtin = (await db_session.scalars(select(Role).where(Role.name == "employee"))).one()
    renamed = await post_form(
        admin_client, f"/admin/roles/{builtin.id}", {"name": "staffer", "permissions": []}
    )
    assert "Built-in roles keep their name." in renamed.text
    await make_user("packer@example.com", ["warehouse"])
    refused = await post_form(admin_client, f"/admin/roles/{role.id}/delete")
    assert "remove it from them first" in refused.text


async def test_my_sessions_sign_out_others_and_one(app, client, admin, db_session) -> None:
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://testserver.local") as other_browser:
        await sign_in(other_browser, admin.email, ADMIN_PASSWORD)
        await sign_in(client, admin.email, ADMIN_PASSWORD)
        page = await client.get("/account/sessions")
        table = page.text[page.text.index("<tbody") : page.text.index("</tbody>")]
        assert table.count("Sign out</button>") == 2 and "this browser" in table
        ended = await post_form(client, "/account/sessions/others/end")
        assert "Signed out of 1 other session(s)." in ended.text
        assert (await other_browser.get("/admin", follow_redirects=False)).status_code == 303
        assert (await client.get("/admin")).status_code == 200
    stranger = await make_user("stranger@example.com", ["user"])
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as strangers_browser:
        await sign_in(strangers_browser, stranger.email, PASSWORD)
        theirs = (
            await db_session.scalars(select(UserSession).where(UserSession.user_id == stranger.id))
        ).one()
        assert (await post_form(client, f"/account/sessions/{theirs.id}/end")).status_code == 404
        assert (await strangers_browser.get("/account")).status_code == 200


async def test_manual_ip_block_and_unblock(admin_client, db_session) -> None:
    invalid = await post_form(admin_client, "/admin/security/blocks", {"ip": "999.1.1.1", "duration": "24h"})
    assert invalid.status_code == 422 and "Enter a valid IPv4 or IPv6 address." in invalid.text
    blocked = await post_form(
        admin_client, "/admin/security/blocks", {"ip": "203.0.113.5", "duration": "1h", "reason": "Scraping"}
    )
    assert "203.0.113.5 is blocked." in blocked.text
    assert await LoginProtection(db_session).is_blocked("203.0.113.5")
    block = (await db_session.scalars(select(IPBlock))).one()
    await post_form(admin_client, f"/admin/security/blocks/{block.id}/delete")
    assert not await LoginProtection(db_session).is_blocked("203.0.113.5")
    page = await admin_client.get("/admin/security", params={"result": "ok"})
    assert page.status_code == 200 and "owner@example.com" in page.text
