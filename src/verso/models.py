"""Imports every model so the shared metadata is complete (alembic, tests, ``verso check``)."""

from __future__ import annotations

import importlib

import verso.lib.audit
import verso.lib.email
import verso.lib.jobs  # noqa: F401
from verso.lib.db import metadata
from verso.server.routing import DOMAINS


def load_all() -> None:
    for spec in DOMAINS:
        try:
            importlib.import_module(f"{spec.package}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"{spec.package}.models":
                raise


load_all()
__all__ = ["metadata"]
