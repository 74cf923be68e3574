"""The application factory."""

from __future__ import annotations

from litestar import Litestar
from litestar.exceptions import ImproperlyConfiguredException

from verso.server import navigation
from verso.server.observability import ObservabilityMiddleware
from verso.server.plugin import VersoPlugin
from verso.server.routing import route_handlers, undeclared_permissions, unknown_verified_actions
from verso.settings import get_settings


def create_app() -> Litestar:
    """Build Verso. Refuses to start if a route declares no permission, or reserves an action for
    verified accounts that no module declares."""
    app = Litestar(plugins=[VersoPlugin()])
    handlers = route_handlers(app)
    missing = undeclared_permissions(handlers)
    if missing:
        raise ImproperlyConfiguredException(f"Routes without a declared permission: {', '.join(missing)}")
    unknown = unknown_verified_actions(handlers)
    if unknown:
        raise ImproperlyConfiguredException(f"Routes reserving an undeclared action: {', '.join(unknown)}")
    navigation.collect(app)
    # Outermost: request ids, metrics and security headers for every response, 404s included.
    app.asgi_handler = ObservabilityMiddleware(app.asgi_handler, get_settings())
    return app
