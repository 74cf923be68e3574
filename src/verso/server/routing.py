"""How domains are found and their exports collected."""

from __future__ import annotations

import pkgutil
from importlib import import_module
from types import ModuleType
from typing import Any

from litestar import Router
from litestar.handlers import BaseRouteHandler

from verso.lib.modules import Module


def domain_packages() -> tuple[str, ...]:
    """Every package under ``verso.domains``: found, not listed, so a new module needs no wiring."""
    import verso.domains

    return tuple(
        f"verso.domains.{info.name}" for info in pkgutil.iter_modules(verso.domains.__path__) if info.ispkg
    )


def load_domains() -> list[tuple[Module, ModuleType]]:
    """Each domain's ``module`` description and package (which exports routes, listeners, jobs),
    core modules first."""
    loaded = [(package.module, package) for package in map(import_module, domain_packages())]
    return sorted(loaded, key=lambda pair: (not pair[0].core, pair[0].key))


def domain_router(module: Module, package: ModuleType) -> Router:
    """All of a domain's routes under one router that tags them with the module key."""
    # Pages stay out of the OpenAPI document; JSON handlers opt in with include_in_schema=True.
    return Router(
        path="/", route_handlers=list(package.routes), opt={"module": module.key}, include_in_schema=False
    )


def undeclared_permissions(handlers: list[tuple[str, BaseRouteHandler]]) -> list[str]:
    """Route paths whose handler does not declare ``permission`` (the app refuses to start)."""
    from verso.server.security import route_permission

    return sorted(
        f"{path} ({handler.handler_name})" for path, handler in handlers if route_permission(handler) is None
    )


def unknown_verified_actions(handlers: list[tuple[str, BaseRouteHandler]]) -> list[str]:
    """Route paths whose ``verified_action`` no module declares: a typo would switch the check off,
    so the app refuses to start."""
    from verso.lib.modules import known_actions

    known = known_actions()
    return sorted(
        f"{path} ({handler.opt['verified_action']})"
        for path, handler in handlers
        if handler.opt.get("verified_action") is not None and handler.opt["verified_action"] not in known
    )


def route_handlers(app: Any) -> list[tuple[str, BaseRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            found.append((route.path, handler))
    return found
