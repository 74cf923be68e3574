"""Staff invitations: emailed link, password policy, single use, expiry, roles granted."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.factories import post_form
from verso.domains.identity.models import User
from verso.lib import clock
from verso.lib.audit import AuditLog
from verso.lib.email import OutboxEmail


async def _invite(admin_client, db_session, email: str = "new.hire@example.com") -> str:
    response = await post_form(
        admin_client,
        "/admin/users/invite",
        {"email": email, "first_name": "Nia", "last_name": "Hire", "roles": ["employee"]},
    )
    assert f"Invitation sent to {email}." in response.text
    mail = (await db_session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == email))).one()
    return re.search(r"/invite/([\w-]+)", mail.text_body).group(1)


async def test_invited_person_sets_a_password_and_joins(admin_client, client, db_session) -> None:
    token = await _invite(admin_client, db_session)
    page = await client.get(f"/invite/{token}")
    assert page.status_code == 200 and "new.hire@example.com" in page.text
    weak = await post_form(client, f"/invite/{token}", {"password": "short", "password_confirm": "short"})
    assert weak.status_code == 422 and "12" in weak.text
    common = await post_form(
        client, f"/invite/{token}", {"password": "1qaz2wsx3edc", "password_confirm": "1qaz2wsx3edc"}
    )
    assert common.status_code == 422
    joined = await post_form(
        client,
        f"/invite/{token}",
        {"password": "a sturdy new passphrase", "password_confirm": "a sturdy new passphrase"},
        follow_redirects=False,
    )
    assert joined.status_code == 303 and joined.headers["location"] == "/admin"
    user = (await db_session.scalars(select(User).where(User.email == "new.hire@example.com"))).one()
    assert user.role_names == ["employee"] and user.email_verified and user.first_name == "Nia"
    assert (await client.get(f"/invite/{token}")).status_code == 410  # single use
    actions = (await db_session.scalars(select(AuditLog.action))).all()
    assert "user.invited" in actions and "user.invitation_accepted" in actions


async def test_expired_and_unknown_invitations_are_refused(admin_client, client, db_session) -> None:
    token = await _invite(admin_client, db_session)
    clock.freeze(clock.utcnow() + timedelta(days=8))
    assert (await client.get(f"/invite/{token}")).status_code == 410
    assert (await client.get("/invite/made-up")).status_code == 410


async def test_invitation_refusals(admin_client, admin) -> None:
    existing = await post_form(
        admin_client, "/admin/users/invite", {"email": admin.email, "roles": ["employee"]}
    )
    assert existing.status_code == 422 and "An account with this email already exists." in existing.text
    no_role = await post_form(admin_client, "/admin/users/invite", {"email": "x@example.com"})
    assert no_role.status_code == 422 and "Choose at least one role from the list." in no_role.text
