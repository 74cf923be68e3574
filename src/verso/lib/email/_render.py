"""Rendering email templates and checking addresses and header values.

Emails have their own Jinja environment (not the web one): HTML parts autoescaped, text parts not,
and ``StrictUndefined`` so a missing variable fails when the email is queued instead of silently
sending a blank.
"""

from __future__ import annotations

import re
from email.utils import formataddr, parseaddr
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

from verso.lib.caches import on_reset
from verso.lib.email._errors import EmailAddressError

_TEMPLATE_NAME = re.compile(r"^[a-z0-9_\-]+(?:/[a-z0-9_\-]+)*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@" + _LABEL + r"(?:\." + _LABEL + r")*$")
_NAMED = re.compile(r"^(?P<name>[^<>]*)<(?P<address>[^<>]+)>$")
MAX_ADDRESS_LENGTH = 254
MAX_SUBJECT_LENGTH = 998


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The email Jinja environment (templates under ``verso/templates``)."""
    return Environment(
        loader=PackageLoader("verso", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm"), default_for_string=False, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


on_reset(environment.cache_clear)


def check_header(value: str, *, field: str) -> str:
    """Refuse CR, LF and other control characters: they would let a value forge extra headers."""
    if not isinstance(value, str):
        raise EmailAddressError(f"The {field} must be text.")
    if _CONTROL.search(value):
        raise EmailAddressError(f"The {field} must not contain line breaks or control characters.")
    return value


def check_address(value: str, *, field: str = "address", allow_display_name: bool = False) -> str:
    """Return one well-formed address (``Name <a@b>`` only when allowed), or raise EmailAddressError."""
    check_header(value, field=field)
    text = value.strip()
    if not text:
        raise EmailAddressError(f"The {field} is empty.")
    if allow_display_name and "<" in text:
        named = _NAMED.match(text)
        if named is None:
            raise EmailAddressError(f"The {field} {value!r} is not one email address.")
        name, address = named["name"].strip().strip('"').strip(), named["address"].strip()
        if not _ADDRESS.match(address) or len(address) > MAX_ADDRESS_LENGTH:
            raise EmailAddressError(f"The {field} {value!r} is not a valid email address.")
        return formataddr((name, address)) if name else address
    if len(text) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(text):
        raise EmailAddressError(f"The {field} {value!r} is not one valid email address.")
    return text


def address_domain(value: str) -> str:
    """The domain part of an address (for Message-ID), ``localhost`` when there is none."""
    _, address = parseaddr(value)
    return address.rpartition("@")[2] or "localhost"


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``email/{template}.html`` and ``.txt``; returns ``(html, text)``."""
    if not _TEMPLATE_NAME.match(template):
        raise ValueError(f"Email template names look like 'identity/verify', not {template!r}.")
    env = environment()
    try:
        html = env.get_template(f"email/{template}.html").render(context)
        text = env.get_template(f"email/{template}.txt").render(context)
    except TemplateNotFound as exc:
        msg = f"Email template {template!r} needs both email/{template}.html and .txt (missing {exc.name})."
        raise ValueError(msg) from exc
    return html, text
