"""Sign-in protection: lockout, per-IP rate limit, progressive delay, automatic IP blocking.

The clock moves 61 s between attempts where a test is not about the per-IP rate limit, so only the
rule under test can trigger.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import ADMIN_PASSWORD, post_form
from verso.domains.identity import protection
from verso.domains.identity.models import IPBlock, LoginAttempt
from verso.domains.identity.protection import delay_for
from verso.lib import clock

LOCKED = "Too many failed sign-ins: this account is locked for 15 minutes."


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []

    async def record(seconds: float) -> None:
        seen.append(seconds)

    monkeypatch.setattr(protection, "sleep", record)
    return seen


def tick(seconds: int = 61) -> None:
    clock.freeze(clock.utcnow() + timedelta(seconds=seconds))


async def attempt(client, login: str, password: str):
    tick()
    return await post_form(client, "/login", {"login": login, "password": password}, follow_redirects=False)


def test_delay_doubles_and_is_capped() -> None:
    assert [delay_for(n) for n in range(7)] == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 4.0]


async def test_five_failures_lock_the_account_for_fifteen_minutes(client, admin, delays, db_session) -> None:
    clock.freeze(clock.utcnow())
    await client.get("/login")
    for _ in range(5):
        assert (await attempt(client, admin.email, "wrong password!")).status_code == 422
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0]
    locked = await attempt(client, admin.email, ADMIN_PASSWORD)  # even the right password
    assert locked.status_code == 429 and LOCKED in locked.text
    # The same account through its other login name is locked too.
    tick(60 * 9)
    assert (await attempt(client, admin.email.upper(), ADMIN_PASSWORD)).status_code == 429
    tick(60 * 15)
    assert (await attempt(client, admin.email, ADMIN_PASSWORD)).status_code == 303
    reasons = (await db_session.scalars(select(LoginAttempt.reason).order_by(LoginAttempt.id))).all()
    assert reasons == ["bad_password"] * 5 + ["locked", "locked", "ok"]


async def test_lock_message_does_not_reveal_whether_an_account_exists(client, admin, delays) -> None:
    clock.freeze(clock.utcnow())
    await client.get("/login")
    answers = {}
    for login in (admin.email, "nobody@example.com"):
        for _ in range(5):
            await attempt(client, login, "wrong password!")
        answer = await attempt(client, login, "wrong password!")
        answers[login] = (answer.status_code, LOCKED in answer.text)
    assert answers[admin.email] == answers["nobody@example.com"] == (429, True)


async def test_five_attempts_a_minute_per_ip(client, admin, delays) -> None:
    clock.freeze(clock.utcnow())
    await client.get("/login")
    for n in range(5):
        response = await post_form(client, "/login", {"login": f"user{n}@example.com", "password": "x"})
        assert response.status_code == 422
    limited = await post_form(client, "/login", {"login": admin.email, "password": ADMIN_PASSWORD})
    assert limited.status_code == 429 and "Wait a minute" in limited.text
    tick(61)
    ok = await post_form(
        client, "/login", {"login": admin.email, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert ok.status_code == 303


async def test_failures_across_many_accounts_block_the_ip(client, admin, delays, db_session) -> None:
    clock.freeze(clock.utcnow())
    await client.get("/login")
    for n in range(10):
        await attempt(client, f"victim{n}@example.com", "password123")
    blocked = await attempt(client, admin.email, ADMIN_PASSWORD)
    assert blocked.status_code == 403 and "blocked" in blocked.text
    block = (await db_session.scalars(select(IPBlock))).one()
    assert block.automatic and block.ip_address == "testclient"
    tick(int(timedelta(hours=24).total_seconds()))
    assert (await attempt(client, admin.email, ADMIN_PASSWORD)).status_code == 303
