"""A registry of the few in-process caches, so tests (and settings changes) can reset them all."""

from __future__ import annotations

from collections.abc import Callable

_resetters: list[Callable[[], None]] = []


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    """Register ``fn`` to be called by :func:`reset_process_caches`."""
    _resetters.append(fn)
    return fn


def reset_process_caches() -> None:
    for fn in _resetters:
        fn()
