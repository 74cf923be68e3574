"""OpenID Connect sign-in: Google, Microsoft, Apple presets and any other OIDC provider.

``routes`` is collected by the identity domain (``domains/identity/__init__.py``). It loads lazily:
``identity.models`` imports ``oidc.models`` to register the tables, and importing the views at that
point would import identity's modules while they are half-initialised.
"""

from __future__ import annotations

from typing import Any

__all__ = ["routes"]


def __getattr__(name: str) -> Any:
    if name == "routes":
        from verso.domains.identity.oidc import admin_views, views

        return [*views.routes, *admin_views.routes]
    raise AttributeError(name)
