"""Registration, verification, password reset and the account pages."""

from __future__ import annotations

routes: list = []
