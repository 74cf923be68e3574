"""API: personal API keys with scopes, and the JSON API under /api/v1 with its docs."""

from verso.domains.api import api, views
from verso.lib.modules import Module

routes = [*views.routes, *api.routes]
module = Module("api", "API", "API keys and the JSON API", core=True)
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
