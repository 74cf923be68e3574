"""The ``verso`` command, run as a person runs it (a subprocess against the test database)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from verso.domains.identity.models import User


def verso(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "verso", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "VERSO_LOG_LEVEL": "ERROR"},
    )


async def test_create_admin_then_refuses_a_duplicate(db_session) -> None:
    done = verso("users", "create-admin", "--email", "Root@Example.com", "--password", "a long cli password")
    assert done.returncode == 0, done.stderr
    assert "Administrator Root@Example.com created." in done.stdout
    user = (await db_session.scalars(select(User))).one()
    assert user.email == "root@example.com" and user.role_names == ["admin"]
    again = verso("users", "create-admin", "--email", "root@example.com", "--password", "a long cli password")
    assert again.returncode != 0 and "already exists" in again.stderr


def test_create_admin_refuses_a_short_password() -> None:
    done = verso("users", "create-admin", "--email", "x@example.com", "--password", "short")
    assert done.returncode != 0 and "at least 12 characters" in done.stderr


async def test_demo_is_idempotent(db_session) -> None:
    first = verso("demo")
    assert first.returncode == 0, first.stderr
    assert "login: admin@demo.verso" in first.stdout
    count = await db_session.scalar(select(func.count()).select_from(User))
    second = verso("demo")
    assert second.returncode == 0
    assert await db_session.scalar(select(func.count()).select_from(User)) == count
    assert first.stdout.split("password: ")[1] == second.stdout.split("password: ")[1]


@pytest.mark.parametrize(
    "args", [("--help",), ("run", "--help"), ("worker", "--help"), ("database", "--help")]
)
def test_commands_are_listed(args: tuple[str, ...]) -> None:
    done = verso(*args)
    assert done.returncode == 0, done.stderr


def test_check_reports_each_item() -> None:
    done = verso("check")
    for item in ("secret key", "data directory", "database", "migrations", "smtp", "payments"):
        assert item in done.stdout
