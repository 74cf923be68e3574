"""The staff sidebar, built from the routes themselves.

A GET handler with ``nav=NavEntry(...)`` appears in the sidebar for people holding its permission,
when its module is enabled. Later modules add entries without touching any wiring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verso.lib.modules import is_enabled


@dataclass(frozen=True, slots=True)
class NavEntry:
    """``also``: other path prefixes that belong to this entry (pages reached from it that live
    under another URL, such as one appointment opened from the calendar)."""

    group: str
    label: str
    order: int = 100
    icon: str | None = None
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    url: str
    active: bool
    icon: str | None


@dataclass(frozen=True, slots=True)
class NavGroup:
    label: str
    items: list[NavItem]


@dataclass(frozen=True, slots=True)
class _Registered:
    entry: NavEntry
    url: str
    permission: str
    module: str | None


GROUP_ORDER = ("Overview", "People", "Operations", "Compliance")
_entries: list[_Registered] = []


def collect(app: Any) -> None:
    from verso.server.routing import route_handlers

    _entries.clear()
    for path, handler in route_handlers(app):
        entry = handler.opt.get("nav")
        if isinstance(entry, NavEntry):
            _entries.append(
                _Registered(entry, path, handler.opt.get("permission", ""), handler.opt.get("module"))
            )
    _entries.sort(key=lambda r: (r.entry.order, r.entry.label))


def for_request(path: str, user: Any, enabled_modules: frozenset[str]) -> list[NavGroup]:
    if user is None:
        return []
    visible = [
        r for r in _entries if user.has_permission(r.permission) and is_enabled(r.module, enabled_modules)
    ]
    best = max(
        (
            (len(prefix), r.url)
            for r in visible
            for prefix in (r.url, *r.entry.also)
            if path == prefix or path.startswith(prefix.rstrip("/") + "/")
        ),
        default=(0, None),
    )[1]
    groups: dict[str, list[NavItem]] = {}
    for r in visible:
        groups.setdefault(r.entry.group, []).append(
            NavItem(r.entry.label, r.url, r.url == best, r.entry.icon)
        )
    order = {name: i for i, name in enumerate(GROUP_ORDER)}
    return [
        NavGroup(name, items) for name, items in sorted(groups.items(), key=lambda g: order.get(g[0], 99))
    ]
