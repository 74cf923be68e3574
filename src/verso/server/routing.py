"""The list of domains and how their exports are collected. Adding a module = one line here."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any

from litestar import Router
from litestar.handlers import BaseRouteHandler

from verso.lib.modules import Module


@dataclass(frozen=True, slots=True)
class DomainSpec:
    module: Module
    package: str


DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec(
        Module("identity", "Identity", "Accounts, roles and sign-in", core=True), "verso.domains.identity"
    ),
    DomainSpec(Module("ops", "Operations", "Settings, jobs, outbox, health", core=True), "verso.domains.ops"),
    DomainSpec(Module("compliance", "Compliance", "Audit log", core=True), "verso.domains.compliance"),
)


def load_domains() -> list[tuple[DomainSpec, ModuleType]]:
    return [(spec, import_module(spec.package)) for spec in DOMAINS]


def domain_router(spec: DomainSpec, package: ModuleType) -> Router:
    """All of a domain's routes under one router that tags them with the module key."""
    return Router(path="/", route_handlers=list(package.routes), opt={"module": spec.module.key})


def undeclared_permissions(handlers: list[tuple[str, BaseRouteHandler]]) -> list[str]:
    """Route paths whose handler does not declare ``permission`` (the app refuses to start)."""
    from verso.server.security import route_permission

    return sorted(
        f"{path} ({handler.handler_name})" for path, handler in handlers if route_permission(handler) is None
    )


def route_handlers(app: Any) -> list[tuple[str, BaseRouteHandler]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            found.append((route.path, handler))
    return found
