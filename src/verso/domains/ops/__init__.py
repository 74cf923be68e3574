"""Operations: first-run setup, business settings, jobs, outbox, health and metrics."""

from verso.domains.ops.views import routes

listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "routes"]
