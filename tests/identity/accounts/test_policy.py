"""The password policy as a service: every rule, named, in one function."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import PASSWORD, make_user
from verso.domains.identity.accounts import policy
from verso.domains.identity.accounts.models import PasswordHistory
from verso.domains.identity.accounts.services import AccountService
from verso.domains.identity.models import User


def test_the_shipped_list_holds_the_ten_thousand_most_common() -> None:
    common = policy.common_passwords()
    assert len(common) == 10_000
    assert {"password", "123456", "qwerty123456", "1qaz2wsx3edc"} <= common
    assert not any(line.startswith("#") for line in common)


async def test_each_failed_rule_is_named() -> None:
    short = await policy.password_problems("short pw", email="ann@example.com")
    assert short == ["Use at least 12 characters."]
    common = await policy.password_problems("QWERTY123456", email="ann@example.com")
    assert common == [policy.COMMON]
    both = await policy.password_problems("password", email="ann@example.com")
    assert both == ["Use at least 12 characters.", policy.COMMON]
    for personal in ("Annabelle.Lee@example.com", "annabelle.lee", "Annabelle_L"):
        problems = await policy.password_problems(
            personal, email="annabelle.lee@example.com", username="annabelle_l"
        )
        assert policy.PERSONAL in problems, personal
    assert await policy.password_problems("x" * 1025) == [policy.TOO_LONG]
    assert await policy.password_problems("purple elephants dance", email="ann@example.com") == []


async def test_recent_passwords_cannot_be_reused(db_session) -> None:
    await make_user("ann@example.com", ["user"])
    service = AccountService(session=db_session)
    user = await db_session.scalar(select(User).where(User.email == "ann@example.com"))
    assert await service.check_password(PASSWORD, user=user) == [policy.reused_message()]
    for n in range(6):
        user.password_hash = await policy.passwords.hash_password(f"passphrase number {n} here")
        await service.remember_password(user)
    await db_session.commit()
    count = await db_session.scalar(select(func.count()).where(PasswordHistory.user_id == user.id))
    assert count == 5  # only the last VERSO_PASSWORD_HISTORY are kept
    assert await service.check_password("passphrase number 5 here", user=user) == [policy.reused_message()]
    assert await service.check_password("passphrase number 1 here", user=user) == [policy.reused_message()]
    assert await service.check_password("passphrase number 0 here", user=user) == []  # the sixth back
    assert await service.check_password(PASSWORD, user=user) == []
