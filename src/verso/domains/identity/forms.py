"""Form input for sign-in."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


class LoginForm(msgspec.Struct):
    login: Annotated[
        str, Meta(min_length=1, max_length=254, extra={"error": "Enter your email or username."})
    ]
    password: Annotated[str, Meta(min_length=1, max_length=1024, extra={"error": "Enter your password."})]
    next: str = ""


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: never redirect a person to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


class StaffForm(msgspec.Struct):
    roles: list[str]
    job_title: Annotated[str, Meta(max_length=120)] = ""
    department: Annotated[str, Meta(max_length=120)] = ""
    location: Annotated[str, Meta(max_length=120)] = ""
    manager_id: str | None = None
    is_active: bool = False


ROLE_NAME = r"^[a-z][a-z0-9_-]{1,49}$"


class RoleForm(msgspec.Struct):
    name: Annotated[
        str, Meta(pattern=ROLE_NAME, extra={"error": "Use 2-50 lowercase letters, digits, - or _."})
    ]
    description: Annotated[str, Meta(max_length=255)] = ""
    permissions: list[str] = []
    require_mfa: bool = False


BLOCK_DURATIONS = {"1h": 1, "24h": 24, "7d": 24 * 7, "30d": 24 * 30, "never": None}


class BlockForm(msgspec.Struct):
    ip: Annotated[str, Meta(min_length=1, max_length=45, extra={"error": "Enter an IP address."})]
    duration: Annotated[str, Meta(pattern=r"^(1h|24h|7d|30d|never)$", extra={"error": "Choose how long."})]
    reason: Annotated[str, Meta(max_length=255)] = ""


class InviteForm(msgspec.Struct):
    email: Annotated[
        str,
        Meta(
            pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            max_length=254,
            extra={"error": "Enter a valid email address."},
        ),
    ]
    roles: list[str]
    first_name: Annotated[str, Meta(max_length=80)] = ""
    last_name: Annotated[str, Meta(max_length=80)] = ""


class AcceptInviteForm(msgspec.Struct):
    password: Annotated[str, Meta(min_length=1, max_length=1024, extra={"error": "Choose a password."})]
    password_confirm: str = ""

    def check(self) -> dict[str, str]:
        return (
            {}
            if self.password == self.password_confirm
            else {"password_confirm": "The two passwords differ."}
        )
