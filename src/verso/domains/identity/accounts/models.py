"""Models for self-service accounts (imported by ``identity/models.py`` so migrations see them)."""

from __future__ import annotations
