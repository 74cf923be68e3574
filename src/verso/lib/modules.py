"""The modules Verso is made of, as the settings page and the staff navigation know them.

The server registers one :class:`Module` per domain at start-up; core modules cannot be turned off.
A module also declares the customer actions a business may reserve for verified accounts
(``actions``: key -> label, e.g. ``"shop.reviews.write": "Write reviews"``); routes name one with
the ``verified_action=`` option and the permission guard enforces the business's choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Module:
    key: str
    label: str
    description: str
    core: bool = False
    actions: Mapping[str, str] = field(default_factory=dict, compare=False)
    verified_by_default: tuple[str, ...] = ()  # reserved for verified accounts in a new business


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


def declared_actions(enabled: frozenset[str]) -> list[tuple[Module, str, str]]:
    """``(module, action, label)`` for every action the modules switched on (``enabled``) declare,
    in the settings page's order."""
    return [
        (module, key, label)
        for module in all_modules()
        if is_enabled(module.key, enabled)
        for key, label in module.actions.items()
    ]


def action_label(key: str) -> str | None:
    """The label a module gave ``key`` ("Write reviews"), or ``None`` for an undeclared action."""
    return next((m.actions[key] for m in _modules.values() if key in m.actions), None)


def known_actions() -> frozenset[str]:
    return frozenset(key for module in _modules.values() for key in module.actions)


def default_verified_actions() -> list[str]:
    """What a new business reserves for verified accounts until the settings say otherwise."""
    return sorted({key for module in _modules.values() for key in module.verified_by_default})
