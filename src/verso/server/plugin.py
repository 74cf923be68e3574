"""VersoPlugin: the one place that wires domains, data, templates, security and the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from click import Group
from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins import CLIPluginProtocol, InitPluginProtocol
from litestar.static_files import create_static_files_router

from verso.domains.api.schemas import security_components
from verso.domains.identity.permissions import PUBLIC
from verso.lib import email, jobs
from verso.lib.db import provide_db_session
from verso.lib.events import bus
from verso.lib.htmx import add_context_processor
from verso.lib.modules import register_module
from verso.lib.personal import load_visitor, load_visitor_late
from verso.server.errors import handle_exception
from verso.server.observability import configure_logging
from verso.server.page_context import page_context
from verso.server.routing import domain_router, load_domains
from verso.server.security import AuthMiddleware, csrf_config, permission_guard
from verso.server.templating import STATIC_DIR, template_config
from verso.settings import get_settings

log = logging.getLogger("verso")
YEAR = 365 * 24 * 3600


async def before_request(request: Request) -> None:
    """Keep the cached business settings fresh (a query at most every few seconds), then load what
    the page's personal parts need about the visitor (lib.personal's loaders)."""
    from verso.domains.ops.services import business_cache

    await business_cache.refresh_if_stale()
    await load_visitor(request)


@contextlib.asynccontextmanager
async def background_worker(app: Litestar) -> AsyncIterator[None]:
    """Run the job worker inside the web process unless ``VERSO_RUN_WORKER`` is off.

    The worker syncs the cron table itself as it starts (so does ``verso worker``), after the app
    already serves: nothing here delays the first response.
    """
    stop = asyncio.Event()
    task = asyncio.create_task(jobs.Worker().run(stop)) if get_settings().run_worker else None
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            await task
        await bus.drain()


CLI_FLAG = "VERSO_CLI"


def register_domains() -> list[tuple[Any, Any]]:
    """Register every domain's module entry, listeners and jobs (the web app and ``verso worker``)."""
    domains = load_domains()
    for module, package in domains:
        register_module(module)
        bus.register(package.listeners)
        jobs.register(package.jobs)
    jobs.register(jobs.jobs)
    jobs.register(email.jobs)
    return domains


def _database_cli_plugin() -> Any:
    """advanced-alchemy's plugin, for its ``database`` commands; only the CLI loads it."""
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin

    from verso.lib.db import build_alchemy_config

    return SQLAlchemyPlugin(config=build_alchemy_config(get_settings(), SQLAlchemyAsyncConfig))


class VersoPlugin(InitPluginProtocol, CLIPluginProtocol):
    """Collects every domain's ``routes``, ``listeners`` and ``jobs`` and configures the app."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = get_settings()
        configure_logging(settings)
        domains = register_domains()
        app_config.dependencies["db_session"] = Provide(provide_db_session)
        if os.environ.get(CLI_FLAG):
            app_config.plugins.append(_database_cli_plugin())
        app_config.route_handlers.extend(domain_router(module, package) for module, package in domains)
        app_config.route_handlers.append(
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                cache_control=_static_cache(),
                opt={"permission": PUBLIC},
                include_in_schema=False,
            )
        )
        app_config.template_config = template_config()
        app_config.csrf_config = csrf_config(settings)
        app_config.middleware = [AuthMiddleware(), *app_config.middleware]
        app_config.guards.append(permission_guard)
        app_config.exception_handlers[Exception] = handle_exception
        app_config.before_request = before_request
        app_config.after_request = load_visitor_late
        app_config.lifespan.append(background_worker)
        app_config.request_max_body_size = settings.max_body_bytes
        app_config.debug = False
        app_config.logging_config = None  # Verso configures logging itself: JSON lines with request ids
        app_config.openapi_config = OpenAPIConfig(
            components=security_components(),
            title="Verso API",
            version="1",
            path="/api",
            render_plugins=[JsonRenderPlugin(path="/openapi.json")],
        )
        add_context_processor(page_context)
        return app_config

    def on_cli_init(self, cli: Group) -> None:
        from verso.cli import register_commands

        register_commands(cli)


def _static_cache() -> Any:
    from litestar.datastructures import CacheControlHeader

    return CacheControlHeader(public=True, max_age=YEAR, immutable=True)
