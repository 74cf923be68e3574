"""The Jinja environment: filters for dates and money, content-hashed static URLs, page context."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from verso.lib import clock
from verso.lib.countries import address_lines
from verso.lib.personal import personal
from verso.lib.storage import url_for_file
from verso.settings import get_settings

PACKAGE_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"


@lru_cache(maxsize=512)
def _static_digest(path: str) -> str:
    file = (STATIC_DIR / path).resolve()
    if not file.is_relative_to(STATIC_DIR) or not file.is_file():
        return "0"
    return hashlib.sha256(file.read_bytes()).hexdigest()[:10]


def static(path: str) -> str:
    """URL of a static file, with its content hash so it can be cached for a year."""
    return f"/static/{path}?v={_static_digest(path)}"


def _zone() -> str:
    from verso.domains.ops.services import business_cache

    return business_cache.current().timezone


def _locale() -> str:
    from verso.domains.ops.services import business_cache

    return business_cache.current().locale


def format_local(moment: datetime | None, fmt: str = "d MMM y, HH:mm", zone: str | None = None) -> str:
    """A stored UTC time shown in the business time zone (or ``zone``)."""
    if moment is None:
        return ""
    from babel.dates import format_datetime  # babel loads on first use, not at start-up

    local = clock.to_zone(moment, zone or _zone())
    return format_datetime(local, fmt, locale=_locale())


def format_date(moment: datetime | None) -> str:
    return format_local(moment, "d MMM y")


def timeago(moment: datetime | None) -> str:
    """ "3 minutes ago" / "in 2 hours", for lists where the exact time is secondary."""
    if moment is None:
        return ""
    from babel.dates import format_timedelta

    # Phrases follow the interface language (English), not the business's number and date formats.
    return format_timedelta(moment - clock.utcnow(), add_direction=True, locale="en", threshold=1.1)


def money(minor: int | None, currency: str | None = None) -> str:
    """Minor units shown in the business currency (or ``currency``) and locale: ``1250`` -> €12.50."""
    if minor is None:
        return ""
    from verso.domains.ops.services import business_cache
    from verso.lib.money import format_money

    business = business_cache.current()
    return format_money(minor, currency or business.currency, business.locale)


@pass_context
def must_verify(context: Any, action: str) -> bool:
    """``{% if must_verify("shop.reviews.write") %}``: the signed-in person must verify their email
    address before this action (show how, instead of a form the server would refuse)."""
    from verso.server.security import needs_verification

    return needs_verification(context.get("current_user"), action)


class _Context(Context):
    """Jinja's context without a check that costs on every ``{% import %}`` and never applies here.

    Jinja renders an imported template again (instead of reusing its module) when the importing
    context has globals the imported template lacks; finding out tests each global's name against
    a ChainMap, on every import of every render (7% of a search page). Verso never loads a template
    with globals of its own, so every template sees the same globals and the answer is always no."""

    globals_keys = property(lambda _self: frozenset(), lambda _self, _value: None)  # type: ignore[assignment]


def build_environment(debug: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"], default=True),
        auto_reload=debug,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.context_class = _Context
    env.globals["static"] = static
    env.globals["media_url"] = url_for_file
    env.globals["must_verify"] = must_verify
    env.globals["personal"] = personal
    env.globals["address_lines"] = address_lines
    env.filters["datetime"] = format_local
    env.filters["date"] = format_date
    env.filters["timeago"] = timeago
    env.filters["money"] = money
    return env


def template_config() -> TemplateConfig[Any]:
    env = build_environment(get_settings().debug)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
