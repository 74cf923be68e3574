"""Compliance: the audit log (consent, GDPR and retention come later)."""

from verso.domains.compliance.views import routes
from verso.lib.modules import Module

module = Module("compliance", "Compliance", "Audit log", core=True)
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
