"""Admin pages for sign-in providers: permission, add, edit (secret kept encrypted), enable/disable."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from verso.domains.identity.oidc.crypto import decrypt_secret
from verso.domains.identity.oidc.models import OIDCProvider
from verso.domains.identity.oidc.services import login_buttons
from verso.lib.audit import AuditLog

BASE = "/admin/identity/sign-in-providers"
GOOGLE = {
    "slug": "google",
    "name": "Google",
    "preset": "google",
    "client_id": "abc.apps.googleusercontent.com",
    "client_secret": "s3cret-value",
    "scopes": "openid email profile",
    "enabled": "on",
}


async def test_add_edit_and_toggle_a_provider(admin_client, db_session) -> None:
    assert (await admin_client.get(BASE)).status_code == 200
    assert (await admin_client.get(f"{BASE}/new")).status_code == 200
    bad = await post_form(admin_client, BASE, {**GOOGLE, "slug": "Bad Slug!", "scopes": "email"})
    assert bad.status_code == 422 and "lowercase letters" in bad.text and "must include openid" in bad.text
    insecure = await post_form(
        admin_client, BASE, {**GOOGLE, "preset": "generic", "issuer": "http://idp.example"}
    )
    assert insecure.status_code == 422 and "https://" in insecure.text
    made = await post_form(admin_client, BASE, GOOGLE, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == f"{BASE}/google"
    provider = (await db_session.scalars(select(OIDCProvider))).one()
    assert provider.issuer == "https://accounts.google.com"  # filled by the preset
    assert "s3cret-value" not in provider.client_secret_encrypted
    assert decrypt_secret(provider.client_secret_encrypted) == "s3cret-value"
    page = await admin_client.get(f"{BASE}/google")
    assert (
        "http://testserver.local/login/oidc/google/callback" in page.text and "s3cret-value" not in page.text
    )
    duplicate = await post_form(admin_client, BASE, GOOGLE)
    assert duplicate.status_code == 422 and "already uses" in duplicate.text
    # editing with an empty secret keeps the stored one
    edit = {**GOOGLE, "name": "Google Workspace", "client_secret": ""}
    assert (await post_form(admin_client, f"{BASE}/google", edit, follow_redirects=False)).status_code == 303
    await db_session.refresh(provider)
    assert (
        provider.name == "Google Workspace"
        and decrypt_secret(provider.client_secret_encrypted) == "s3cret-value"
    )
    assert await login_buttons(db_session) == [("google", "Google Workspace")]
    await post_form(admin_client, f"{BASE}/google/enabled", {})
    await db_session.refresh(provider)
    assert provider.enabled is False and await login_buttons(db_session) == []
    await post_form(admin_client, f"{BASE}/google/enabled", {"enabled": "on"})
    await db_session.refresh(provider)
    assert provider.enabled is True
    logged = (await db_session.scalars(select(AuditLog).where(AuditLog.action.like("oidc.provider%")))).all()
    assert [e.action for e in logged] == [
        "oidc.provider_created",
        "oidc.provider_updated",
        "oidc.provider_disabled",
        "oidc.provider_enabled",
    ]
    assert "s3cret-value" not in str([e.changes for e in logged])


async def test_only_security_admins_reach_the_pages(client, admin) -> None:
    assert (await client.get(BASE, follow_redirects=False)).status_code == 303  # anonymous: to /login
    await make_user("sam@example.com", ["commercial"])
    await sign_in(client, "sam@example.com", PASSWORD)
    assert (await client.get(BASE)).status_code == 403
    assert (await client.get(f"{BASE}/new")).status_code == 403
    assert (await post_form(client, BASE, GOOGLE)).status_code == 403
    await post_form(client, "/logout")
    await make_user("cus@example.com", ["user"])
    await sign_in(client, "cus@example.com", PASSWORD)
    assert (await client.get(BASE)).status_code == 403
    assert (await client.get("/account/sign-in-methods")).status_code == 200


def test_the_login_buttons_partial() -> None:
    from verso.lib.forms import FormState
    from verso.server.templating import build_environment

    template = build_environment(False).get_template("identity/oidc/_login_buttons.html")
    assert template.render(oidc_providers=[]).strip() == ""
    html = template.render(oidc_providers=[("google", "Google")], form=FormState(values={"next": "/shop"}))
    assert 'href="/login/oidc/google?next=/shop"' in html and "Sign in with Google" in html
