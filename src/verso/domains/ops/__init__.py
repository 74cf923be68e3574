"""Operations: first-run setup, business settings, jobs, outbox, health, metrics and stored media."""

from verso.domains.ops.views import routes
from verso.lib.modules import Module

module = Module("ops", "Operations", "Settings, jobs, outbox, health", core=True)
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
