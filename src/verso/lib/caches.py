"""A registry of the few in-process caches, so tests (and settings changes) can reset them all."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

_resetters: list[Callable[[], None]] = []


def on_reset(fn: Callable[[], None]) -> Callable[[], None]:
    """Register ``fn`` to be called by :func:`reset_process_caches`."""
    _resetters.append(fn)
    return fn


def reset_process_caches() -> None:
    for fn in _resetters:
        fn()


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class VersionedLRU(Generic[K, V]):
    """Values built from data that carries a version number (the catalogue's), kept with the
    version they were built at and reused only while that version is still the current one.

    The caller reads the current version fresh on every request, so a change anywhere is seen at
    once; the least recently used entries go when there are more than ``max_entries``."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: OrderedDict[K, tuple[Hashable, V]] = OrderedDict()
        self._max = max_entries
        on_reset(self._entries.clear)

    def get(self, key: K, version: Hashable) -> V | None:
        found = self._entries.get(key)
        if found is None or found[0] != version:
            return None
        self._entries.move_to_end(key)
        return found[1]

    def put(self, key: K, version: Hashable, value: V) -> None:
        self._entries[key] = (version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
