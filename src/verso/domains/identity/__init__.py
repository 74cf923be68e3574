"""Identity: accounts, roles, sign-in and sessions."""

from verso.domains.identity.views import routes

listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "routes"]
