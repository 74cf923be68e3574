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


async def test_apple_needs_its_ids_and_an_ec_private_key(admin_client, db_session) -> None:
    from joserfc.jwk import ECKey, RSAKey

    form = await admin_client.get(f"{BASE}/new")
    assert 'data-preset-only="apple"' in form.text and "Apple only" in form.text  # visible without JS
    pem = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()
    apple = {
        "slug": "apple",
        "name": "Apple",
        "preset": "apple",
        "client_id": "com.example.signin",
        "team_id": "TEAM123456",
        "key_id": "KEY1234567",
        "client_secret": pem.replace("\n", ""),  # a password field drops the line breaks
        "enabled": "on",
    }
    missing = await post_form(admin_client, BASE, {**apple, "team_id": "", "key_id": "short"})
    assert missing.status_code == 422
    assert "Enter the Team ID" in missing.text and "The Key ID is ten letters and digits" in missing.text
    rsa = RSAKey.generate_key(2048).as_pem(private=True).decode()
    p384 = ECKey.generate_key("P-384").as_pem(private=True).decode()
    for secret in (rsa, "not a key", p384):
        wrong = await post_form(admin_client, BASE, {**apple, "client_secret": secret})
        assert wrong.status_code == 422 and "This is not an Apple private key" in wrong.text
    absent = await post_form(admin_client, BASE, {**apple, "client_secret": ""})
    assert absent.status_code == 422 and "Paste the private key" in absent.text
    scopes = await post_form(admin_client, BASE, {**apple, "scopes": "openid email profile"})
    assert scopes.status_code == 422 and "Apple knows only these scopes" in scopes.text
    assert (await db_session.scalars(select(OIDCProvider))).first() is None
    made = await post_form(admin_client, BASE, apple, follow_redirects=False)
    assert made.status_code == 303
    provider = (await db_session.scalars(select(OIDCProvider))).one()
    assert (provider.issuer, provider.scopes) == ("https://appleid.apple.com", "openid email name")
    assert (provider.team_id, provider.key_id) == ("TEAM123456", "KEY1234567")
    assert decrypt_secret(provider.client_secret_encrypted) == pem  # stored encrypted, line breaks back
    # editing with an empty key field keeps the stored key; the page never shows it
    page = await admin_client.get(f"{BASE}/apple")
    assert 'value="TEAM123456"' in page.text and "PRIVATE KEY" not in page.text
    edit = {**apple, "client_secret": "", "key_id": "KEY7654321"}
    assert (await post_form(admin_client, f"{BASE}/apple", edit, follow_redirects=False)).status_code == 303
    await db_session.refresh(provider)
    assert provider.key_id == "KEY7654321" and decrypt_secret(provider.client_secret_encrypted) == pem


async def test_switching_to_or_from_apple_handles_the_key(admin_client, db_session) -> None:
    from joserfc.jwk import ECKey

    await post_form(admin_client, BASE, GOOGLE)
    apple = {**GOOGLE, "preset": "apple", "team_id": "TEAM123456", "key_id": "KEY1234567", "scopes": ""}
    page = await post_form(admin_client, f"{BASE}/google", {**apple, "client_secret": ""})
    assert page.status_code == 422 and "Paste the private key" in page.text  # not the Google secret
    pem = ECKey.generate_key("P-256", private=True).as_pem(private=True).decode()
    await post_form(admin_client, f"{BASE}/google", {**apple, "client_secret": pem})
    provider = (await db_session.scalars(select(OIDCProvider))).one()
    assert decrypt_secret(provider.client_secret_encrypted) == pem
    # back to Google without a new secret: Apple's key is dropped, never sent to Google
    back = {**GOOGLE, "team_id": "TEAM123456", "client_secret": ""}  # Apple-only fields posted anyway
    assert (await post_form(admin_client, f"{BASE}/google", back, follow_redirects=False)).status_code == 303
    await db_session.refresh(provider)
    assert (provider.preset, provider.team_id, provider.key_id) == ("google", "", "")
    assert decrypt_secret(provider.client_secret_encrypted) == ""
