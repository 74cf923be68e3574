"""Compliance: the audit log (consent, GDPR and retention come later)."""

from verso.domains.compliance.views import routes

listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "routes"]
