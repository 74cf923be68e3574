"""Imports every model so the shared metadata is complete (alembic, tests, ``verso check``)."""

from __future__ import annotations

import importlib

import verso.lib.audit
import verso.lib.email
import verso.lib.jobs
import verso.lib.storage  # noqa: F401
from verso.lib.db import metadata
from verso.server.routing import domain_packages


def load_all() -> None:
    for package in domain_packages():
        try:
            importlib.import_module(f"{package}.models")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.models":
                raise


load_all()
__all__ = ["metadata"]
