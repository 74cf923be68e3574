"""Sections other modules contribute to the public home page, without the home page knowing them.

A domain registers an async provider at import time::

    register_home_section("shop.collections", featured_section, module="shop", order=10)

The home page (ops) calls :func:`home_sections` with its database session and the business's enabled
modules; each provider of an enabled module returns zero or more :class:`HomeSection` (a template
name and its context), rendered in ``order``. The template receives the section as ``section`` and
reads its data from ``section.context``. Providers only read: the home page commits nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from verso.lib.modules import is_enabled


@dataclass(frozen=True, slots=True)
class HomeSection:
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)


HomeProvider = Callable[[AsyncSession], Awaitable[Sequence[HomeSection]]]


@dataclass(frozen=True, slots=True)
class _Registered:
    provider: HomeProvider
    module: str | None
    order: int


_providers: dict[str, _Registered] = {}


def register_home_section(key: str, provider: HomeProvider, *, module: str | None, order: int = 100) -> None:
    """Add (or, for a known ``key``, replace) a provider; ``module`` turns it off with its module."""
    _providers[key] = _Registered(provider, module, order)


async def home_sections(session: AsyncSession, enabled_modules: frozenset[str]) -> list[HomeSection]:
    sections: list[HomeSection] = []
    for _key, registered in sorted(_providers.items(), key=lambda item: (item[1].order, item[0])):
        if is_enabled(registered.module, enabled_modules):
            sections.extend(await registered.provider(session))
    return sections
