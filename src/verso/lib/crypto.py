"""Symmetric encryption for secrets kept in the database (TOTP seeds, provider client secrets).

One Fernet key per purpose, derived from the app secret, so one leaked purpose key opens nothing
else. cryptography loads on first use: the served app does not pay for it at start-up.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from verso.settings import get_settings


def fernet(purpose: str) -> Any:
    """A ``cryptography.fernet.Fernet`` keyed for ``purpose`` (e.g. ``"totp"``)."""
    from cryptography.fernet import Fernet

    key = hashlib.sha256(f"verso-{purpose}:{get_settings().secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))
