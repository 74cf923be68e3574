"""The modules Verso is made of, as the settings page and the staff navigation know them.

The server registers one :class:`Module` per domain at start-up; core modules cannot be turned off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Module:
    key: str
    label: str
    description: str
    core: bool = False


_modules: dict[str, Module] = {}


def register_module(module: Module) -> None:
    _modules[module.key] = module


def all_modules() -> list[Module]:
    return sorted(_modules.values(), key=lambda m: (not m.core, m.label))


def optional_keys() -> frozenset[str]:
    return frozenset(key for key, module in _modules.items() if not module.core)


def is_enabled(key: str | None, enabled: frozenset[str]) -> bool:
    """Core modules, and code outside any module, are always on."""
    if key is None or key not in _modules or _modules[key].core:
        return True
    return key in enabled
