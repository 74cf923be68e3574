"""Registration at /register and email verification at /verify/{token}."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from tests.factories import PASSWORD, make_user, post_form, sign_in
from tests.identity.accounts.helpers import NEW_PASSWORD, emails, last_link, register, user_by_email
from verso.domains.identity.accounts import policy
from verso.domains.identity.accounts.models import PasswordHistory
from verso.lib import clock
from verso.lib.audit import AuditLog
from verso.server.templating import build_environment


async def test_register_page_full_and_fragment(client, admin) -> None:
    page = await client.get("/register")
    assert page.status_code == 200 and "<html" in page.text and 'name="confirm"' in page.text
    fragment = await client.get("/register", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'action="/register"' in fragment.text
    assert fragment.headers["vary"] == "HX-Request"


async def test_registration_creates_an_unverified_customer_and_sends_a_link(
    client, admin, db_session
) -> None:
    response = await register(client, "New.Person@Example.com", username="newbie", first_name="Nia")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    user = await user_by_email("new.person@example.com")
    assert user is not None and user.username == "newbie" and user.first_name == "Nia"
    assert user.role_names == ["user"] and not user.email_verified
    history = (
        await db_session.scalars(select(PasswordHistory).where(PasswordHistory.user_id == user.id))
    ).all()
    assert len(history) == 1
    actions = (await db_session.scalars(select(AuditLog.action))).all()
    assert "account.registered" in actions
    link = await last_link("new.person@example.com", "verify_email")
    assert link.startswith("/verify/")
    # Unverified accounts can sign in; the email page says the address is not verified.
    await sign_in(client, "newbie", NEW_PASSWORD)
    page = await client.get("/account/email")
    assert "Not verified" in page.text and "Resend the verification email" in page.text
    verified = await client.get(link)
    assert verified.status_code == 200 and "Email address confirmed" in verified.text
    assert (await user_by_email("new.person@example.com")).email_verified
    again = await client.get(link)
    assert again.status_code == 400 and "already used" in again.text
    assert "Verified" in (await client.get("/account/email")).text


async def test_every_refusal_is_named_and_values_are_kept(client, admin) -> None:
    cases = [
        ({"password": "too short", "confirm": "too short"}, "password", "Use at least 12 characters."),
        ({"password": "qwerty123456", "confirm": "qwerty123456"}, "password", policy.COMMON),
        ({"password": "kim@example.com", "confirm": "kim@example.com"}, "password", policy.PERSONAL),
        ({"confirm": "something else entirely"}, "confirm", "The two passwords do not match."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"username": "a b"}, "username", "Use 3 to 40 letters"),
    ]
    await client.get("/register")
    for changes, field, message in cases:
        data = {
            "email": "kim@example.com",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "first_name": "Kim",
        }
        response = await post_form(client, "/register", {**data, **changes}, htmx=True)
        assert response.status_code == 422, changes
        assert message in response.text, (changes, response.text)
        assert f'id="f-{field}"' in response.text and 'aria-invalid="true"' in response.text
        assert 'value="Kim"' in response.text  # kept
        assert NEW_PASSWORD not in response.text and "<html" not in response.text  # never echoed
    assert await user_by_email("kim@example.com") is None


async def test_username_must_be_free(client, admin, db_session) -> None:
    await register(client, "first@example.com", username="Taken")
    response = await register(client, "second@example.com", username="taken")
    assert response.status_code == 422 and "This username is taken." in response.text


async def test_existing_address_gets_the_same_answer_and_a_notice(client, admin) -> None:
    await make_user("known@example.com", ["user"])
    response = await register(client, "known@example.com")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert await emails("known@example.com", "verify_email") == []
    assert len(await emails("known@example.com", "account_exists")) == 1
    for _ in range(4):
        await register(client, "known@example.com")
    assert len(await emails("known@example.com", "account_exists")) == 3  # at most 3 an hour
    # and the password did not change
    await sign_in(client, "known@example.com", PASSWORD)


async def test_registration_needs_the_csrf_token(client, admin) -> None:
    await client.get("/register")
    data = {"email": "x@example.com", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = await client.post("/register", data=data)
    assert response.status_code == 403
    assert await user_by_email("x@example.com") is None


async def test_verification_link_expires_after_48_hours(client, admin) -> None:
    start = clock.utcnow()
    clock.freeze(start)
    await register(client, "late@example.com")
    link = await last_link("late@example.com", "verify_email")
    clock.freeze(start + timedelta(hours=48, seconds=1))
    response = await client.get(link)
    assert response.status_code == 400 and "has expired" in response.text
    assert not (await user_by_email("late@example.com")).email_verified
    assert (await client.get("/verify/not-a-real-token")).status_code == 400


async def test_resend_is_limited_to_three_emails_an_hour(client, admin) -> None:
    start = clock.utcnow()
    clock.freeze(start)
    await register(client, "again@example.com")  # email 1
    await sign_in(client, "again@example.com", NEW_PASSWORD)
    for _ in range(2):  # emails 2 and 3
        response = await post_form(client, "/verify/resend", {"next": "/account"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/account"
    refused = await post_form(client, "/verify/resend", htmx=True)
    assert refused.status_code == 200 and "at most 3 emails an hour" in refused.headers["hx-trigger"]
    assert len(await emails("again@example.com", "verify_email")) == 3
    clock.freeze(start + timedelta(hours=1, minutes=1))
    sent = await post_form(client, "/verify/resend", htmx=True)
    assert "We sent a new link" in sent.headers["hx-trigger"]
    assert len(await emails("again@example.com", "verify_email")) == 4
    # every link sent works until one is used; then the others are retired
    link = await last_link("again@example.com", "verify_email")
    assert (await client.get(link)).status_code == 200
    first = (await emails("again@example.com", "verify_email"))[0]
    old = "/verify/" + first.text_body.split("/verify/")[1].split()[0]
    assert (await client.get(old)).status_code == 400
    done = await post_form(client, "/verify/resend", htmx=True)
    assert "already verified" in done.headers["hx-trigger"]


async def test_resend_needs_a_signed_in_person(client, admin) -> None:
    response = await post_form(client, "/verify/resend", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_banner_shows_only_for_unverified_people() -> None:
    template = build_environment(False).get_template("identity/_verify_banner.html")
    context = {"csrf_input": '<input type="hidden" name="_csrf_token" value="t">', "request": None}
    person = SimpleNamespace(email="ann@example.com", email_verified=False)
    shown = template.render(current_user=person, **context)
    assert "ann@example.com" in shown and 'action="/verify/resend"' in shown and "_csrf_token" in shown
    verified = SimpleNamespace(email="ann@example.com", email_verified=True)
    assert template.render(current_user=verified, **context).strip() == ""
    assert template.render(current_user=None, **context).strip() == ""
    no_field = SimpleNamespace(email="ann@example.com")  # a CurrentUser without the field
    assert template.render(current_user=no_field, **context).strip() == ""
