"""Identity: accounts, roles, sign-in and sessions."""

from verso.domains.identity.views import routes
from verso.lib.modules import Module

module = Module("identity", "Identity", "Accounts, roles and sign-in", core=True)
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
