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
