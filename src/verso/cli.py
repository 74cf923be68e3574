"""Verso's own commands, added to Litestar's CLI by the plugin."""

from __future__ import annotations

import asyncio
import importlib
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

import click

from verso.settings import get_settings, settings_table


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@click.command("run")
@click.option("--host", default=None, help="Address to listen on (default VERSO_HOST).")
@click.option("--port", type=int, default=None, help="Port (default VERSO_PORT).")
@click.option("--workers", type=int, default=None, help="Worker processes (default VERSO_WORKERS).")
def run_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve Verso with Granian."""
    serve(host=host, port=port, workers=workers)


def serve(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """One worker: Granian embedded in this process (one process, one import of the app).
    Several: Granian's supervisor spawning worker processes, each importing the app."""
    from granian.constants import Interfaces

    settings = get_settings()
    address, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    if workers == 1:
        asyncio.run(_serve_embedded(address, port))
        return
    from granian import Granian

    Granian(
        target="verso.app:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=address,
        port=port,
        workers=workers,
        respawn_failed_workers=True,
        log_access=False,
    ).serve()


async def _serve_embedded(address: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    from verso.app import create_app

    server = Server(
        target=create_app,
        factory=True,
        interface=Interfaces.ASGI,
        address=address,
        port=port,
        log_access=False,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    await server.serve()


@click.command("worker")
def worker_command() -> None:
    """Run the background job worker alone (set VERSO_RUN_WORKER=false on the web processes)."""
    from verso.lib import jobs
    from verso.lib.db import session_factory
    from verso.server.observability import configure_logging
    from verso.server.plugin import register_domains

    configure_logging(get_settings())
    register_domains()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with session_factory()() as db:
            await jobs.sync_cron(db)
        click.echo("verso worker running; Ctrl+C stops it")
        await jobs.Worker().run(stop)

    _run(main())


DEMO_CREDENTIALS = "demo-credentials.txt"


def demo_password(data_dir: Path) -> str:
    """The demo admin's password: generated once per install, kept beside the database."""
    path = data_dir / DEMO_CREDENTIALS
    if path.is_file():
        return path.read_text(encoding="utf-8").split()[-1]
    data_dir.mkdir(parents=True, exist_ok=True)
    password = f"demo-{secrets.token_urlsafe(9)}"
    path.write_text(f"admin@demo.verso {password}\n", encoding="utf-8")
    path.chmod(0o600)
    return password


@click.command("demo")
def demo_command() -> None:
    """Load the demo business (idempotent: running it again changes nothing)."""
    creds = load_demo()
    click.echo(f"Demo business loaded. Sign in at {get_settings().base_url}/login")
    click.echo(f"  login: {creds[0]}\n  password: {creds[1]}")


def load_demo() -> tuple[str, str]:
    password = demo_password(get_settings().data_dir)
    _run(load_demo_data(password))
    return "admin@demo.verso", password


async def load_demo_data(password: str) -> None:
    """Each domain's optional ``demo.load``, in domain order, each in its own transaction."""
    from verso.lib.db import session_factory
    from verso.server.routing import domain_packages

    async with session_factory()() as db:
        for package in domain_packages():
            try:
                module = importlib.import_module(f"{package}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.demo":
                    raise
                continue
            await module.load(db, admin_password=password)
            await db.commit()


@click.group("users")
def users_group() -> None:
    """Manage accounts from the command line."""


@users_group.command("create-admin")
@click.option("--email", required=True)
@click.option("--password", required=True)
def create_admin(email: str, password: str) -> None:
    """Create an administrator (non-interactive)."""
    from verso.domains.identity.services import IdentityError, UserService
    from verso.lib.audit import Actor
    from verso.lib.db import session_factory

    async def main() -> None:
        async with session_factory()() as db:
            await UserService(session=db).create_account(
                email=email, password=password, roles=["admin"], actor=Actor(label="cli"), email_verified=True
            )
            await db.commit()

    if len(password) < 12:
        raise click.ClickException("The password must be at least 12 characters.")
    try:
        _run(main())
    except IdentityError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Administrator {email} created.")


@click.command("check")
def check_command() -> None:
    """Check configuration and database; exits non-zero when something is wrong."""
    from verso.domains.ops.checks import run_checks

    results = _run(run_checks())
    failed = False
    for name, ok, detail in results:
        click.echo(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        failed = failed or not ok
    if failed:
        sys.exit(1)


@click.command("settings")
def settings_command() -> None:
    """Print every setting as a Markdown table (the README's table comes from here)."""
    click.echo("| Variable | Default | Meaning |\n|---|---|---|")
    for name, default, meaning in settings_table():
        click.echo(f"| `{name}` | `{default}` | {meaning} |")


@click.command("quickstart")
@click.option("--no-run", is_flag=True, help="Prepare only; do not start the server.")
def quickstart_command(no_run: bool) -> None:
    """Migrate the database, load the demo business, print the login and start Verso."""
    from verso.lib.migrate import upgrade_head

    settings = get_settings()
    upgrade_head()
    login, password = load_demo()
    click.echo(f"\nVerso is ready at {settings.base_url} (data in {settings.data_dir.resolve()})")
    click.echo(f"Demo admin: {login} / {password}\n")
    if not no_run:
        serve()


def register_commands(cli: click.Group) -> None:
    for command in (
        run_command,
        worker_command,
        demo_command,
        users_group,
        check_command,
        settings_command,
        quickstart_command,
    ):
        cli.add_command(command)
