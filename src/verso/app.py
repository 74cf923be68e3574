"""The application factory."""

from __future__ import annotations

from litestar import Litestar
from litestar.exceptions import ImproperlyConfiguredException

from verso.server import navigation
from verso.server.observability import ObservabilityMiddleware
from verso.server.plugin import VersoPlugin
from verso.server.routing import route_handlers, undeclared_permissions
from verso.settings import get_settings


def create_app() -> Litestar:
    """Build Verso. Refuses to start if any route does not declare its permission."""
    app = Litestar(plugins=[VersoPlugin()])
    missing = undeclared_permissions(route_handlers(app))
    if missing:
        raise ImproperlyConfiguredException(f"Routes without a declared permission: {', '.join(missing)}")
    navigation.collect(app)
    # Outermost: request ids, metrics and security headers for every response, 404s included.
    app.asgi_handler = ObservabilityMiddleware(app.asgi_handler, get_settings())
    return app
