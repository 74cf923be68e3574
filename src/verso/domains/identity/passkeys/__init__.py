"""Passkeys (WebAuthn): register several, name and remove them, sign in with one without a
password, or use one as the second factor at ``/mfa``.

The views load lazily: ``identity.models`` imports ``passkeys.models`` to register the tables, and
importing the views at that point would import identity's modules while they are half-initialised.
"""

from __future__ import annotations

from typing import Any

__all__ = ["has_passkeys", "mfa_passkey_available", "routes", "start_passkey_session"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from verso.domains.identity.passkeys import views

        return getattr(views, name)
    raise AttributeError(name)
