"""The context every page template receives (see the layouts for how it is used)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from verso.lib import flash
from verso.lib.htmx import is_htmx
from verso.lib.personal import visitor_data
from verso.server import navigation
from verso.settings import get_settings


def page_context(request: Request) -> dict[str, Any]:
    from verso.domains.ops.services import business_cache

    business = business_cache.current()
    user = request.scope.get("user")
    flashes = flash.decode(get_settings().secret_key, request.cookies.get(flash.COOKIE))
    if flashes:
        request.scope.setdefault("state", {})["verso_flash_consumed"] = True
    return {
        "current_user": user,
        "business": business,
        "flashes": flashes,
        "is_htmx": is_htmx(request),
        "admin_nav": navigation.LazyNav(request.url.path, user, business.enabled_modules),
        "visitor": visitor_data(request),
    }
