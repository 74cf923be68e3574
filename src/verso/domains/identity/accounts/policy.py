"""The password policy, in one place: registration, reset, change (and staff invitations) call
:func:`password_problems`, which returns one message per failed rule, worded for the form.

Rules: at least ``VERSO_PASSWORD_MIN_LENGTH`` characters; not one of the 10,000 most common passwords
(``common_passwords.txt``, shipped with Verso, built by ``scripts/extract_common_passwords.py``); not
the email address, its local part or the username; not one of the last ``VERSO_PASSWORD_HISTORY``
passwords (argon2 hashes passed in by the caller, checked off the event loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from verso.domains.identity import passwords
from verso.settings import get_settings

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
MAX_LENGTH = 1024

COMMON = "This is one of the most common passwords. Choose something harder to guess."
PERSONAL = "Do not use your email address or username as your password."
TOO_LONG = f"Use at most {MAX_LENGTH} characters."


def too_short_message() -> str:
    return f"Use at least {get_settings().password_min_length} characters."


def reused_message() -> str:
    return f"Choose a password you have not used recently (the last {get_settings().password_history})."


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (read once per process)."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def _personal_values(email: str, username: str | None) -> set[str]:
    values = set()
    email = email.strip().lower()
    if email:
        values.add(email)
        values.add(email.split("@", 1)[0])
    if username and username.strip():
        values.add(username.strip().lower())
    return {value for value in values if value}


def static_problems(password: str, *, email: str = "", username: str | None = None) -> list[str]:
    """The rules that need no database: length, common list, personal values."""
    problems = []
    if len(password) < get_settings().password_min_length:
        problems.append(too_short_message())
    if len(password) > MAX_LENGTH:
        problems.append(TOO_LONG)
    if is_common(password):
        problems.append(COMMON)
    if password.strip().lower() in _personal_values(email, username):
        problems.append(PERSONAL)
    return problems


async def password_problems(
    password: str,
    *,
    email: str = "",
    username: str | None = None,
    previous_hashes: Sequence[str] = (),
) -> list[str]:
    """Every rule ``password`` breaks (empty when acceptable). ``previous_hashes``: the account's
    current and recent password hashes, newest first (see ``AccountService.recent_hashes``)."""
    problems = static_problems(password, email=email, username=username)
    if len(password) <= MAX_LENGTH:
        for stored in previous_hashes[: get_settings().password_history]:
            if await passwords.verify_password(stored, password):
                problems.append(reused_message())
                break
    return problems
