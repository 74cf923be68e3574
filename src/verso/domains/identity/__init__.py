"""Identity: accounts, roles, sign-in and sessions."""

from verso.domains.identity import accounts, invitation_views, mfa_views, staff_views, views
from verso.domains.identity.oidc import routes as oidc_routes
from verso.domains.identity.passkeys import routes as passkey_routes
from verso.lib.modules import Module

routes = [
    *views.routes,
    *mfa_views.routes,
    *invitation_views.routes,
    *staff_views.routes,
    *accounts.routes,
    *passkey_routes,
    *oidc_routes,
]
module = Module("identity", "Identity", "Accounts, roles and sign-in", core=True)
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
