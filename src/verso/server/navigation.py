"""The staff sidebar, built from the routes themselves.

A GET handler with ``nav=NavEntry(...)`` appears in the sidebar for people holding its permission,
when its module is enabled. Later modules add entries without touching any wiring.
"""

from __future__ import annotations

from collections.abc import Iterator
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


class LazyNav:
    """The sidebar for one request, built on first use: every page's context carries it, but only
    the staff layout shows it, and building it checks every entry's permission (public pages, the
    storefront's hot path, never pay for that)."""

    __slots__ = ("_args", "_groups")

    def __init__(self, path: str, user: Any, enabled_modules: frozenset[str]) -> None:
        self._args = (path, user, enabled_modules)
        self._groups: list[NavGroup] | None = None

    def groups(self) -> list[NavGroup]:
        if self._groups is None:
            self._groups = for_request(*self._args)
        return self._groups

    def __iter__(self) -> Iterator[NavGroup]:
        return iter(self.groups())

    def __bool__(self) -> bool:
        return bool(self.groups())


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
