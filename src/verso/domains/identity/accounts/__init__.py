"""Self-service accounts: registration, email verification, password policy and reset, profile.

``routes`` is collected by the identity domain (``domains/identity/__init__.py``).
"""

from verso.domains.identity.accounts.views import routes

__all__ = ["routes"]
