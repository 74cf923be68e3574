"""Form input for registration, password reset and the account pages."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from msgspec import Meta

from verso.domains.ops.forms import EMAIL, LOCALES
from verso.lib.clock import is_valid_zone, zone_choices

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,39}$")
MISMATCH = "The two passwords do not match."

Email = Annotated[str, Meta(pattern=EMAIL, max_length=254, extra={"error": "Enter a valid email address."})]
NewPassword = Annotated[str, Meta(min_length=1, max_length=1024, extra={"error": "Choose a password."})]
Confirm = Annotated[str, Meta(min_length=1, max_length=1024, extra={"error": "Repeat the password."})]
Current = Annotated[str, Meta(min_length=1, max_length=1024, extra={"error": "Enter your password."})]
Name = Annotated[str, Meta(max_length=80)]


def zone_options() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in zone_choices()]


def locale_options() -> list[tuple[str, str]]:
    return [(code, label.split(":")[0]) for code, label in LOCALES]


class RegisterForm(msgspec.Struct):
    email: Email
    password: NewPassword
    confirm: Confirm
    username: Annotated[str, Meta(max_length=40)] = ""
    first_name: Name = ""
    last_name: Name = ""

    def check(self) -> dict[str, str]:
        errors = {}
        if self.password != self.confirm:
            errors["confirm"] = MISMATCH
        if self.username and not USERNAME.match(self.username):
            errors["username"] = (
                "Use 3 to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit."
            )
        return errors


class ForgotForm(msgspec.Struct):
    email: Email


class ResetForm(msgspec.Struct):
    password: NewPassword
    confirm: Confirm

    def check(self) -> dict[str, str]:
        return {"confirm": MISMATCH} if self.password != self.confirm else {}


class PasswordChangeForm(msgspec.Struct):
    current_password: Annotated[
        str, Meta(min_length=1, max_length=1024, extra={"error": "Enter your current password."})
    ]
    password: NewPassword
    confirm: Confirm

    def check(self) -> dict[str, str]:
        return {"confirm": MISMATCH} if self.password != self.confirm else {}


class EmailChangeForm(msgspec.Struct):
    email: Email
    password: Current


class CloseForm(msgspec.Struct):
    password: Current
    confirm: bool = False

    def check(self) -> dict[str, str]:
        return {} if self.confirm else {"confirm": "Tick the box to confirm that you want to close it."}


class ProfileForm(msgspec.Struct):
    first_name: Name = ""
    last_name: Name = ""
    phone: Annotated[
        str,
        Meta(
            max_length=40,
            pattern=r"^[0-9+() .-]*$",
            extra={"error": "Enter a phone number (digits, +, spaces)."},
        ),
    ] = ""
    timezone: Annotated[str, Meta(max_length=64)] = ""
    locale: Annotated[str, Meta(max_length=16)] = ""
    bio: Annotated[str, Meta(max_length=2000)] = ""
    remove_avatar: bool = False

    def check(self) -> dict[str, str]:
        errors = {}
        if self.timezone and not is_valid_zone(self.timezone):
            errors["timezone"] = "Choose a time zone from the list."
        if self.locale and self.locale not in {code for code, _ in LOCALES}:
            errors["locale"] = "Choose a language from the list."
        return errors
