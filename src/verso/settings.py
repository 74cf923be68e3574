"""Typed settings from ``VERSO_*`` environment variables and an optional ``.env`` file.

Every setting is declared once in :class:`Settings` with its default and meaning; the README's
settings table is generated from the same declarations (``verso settings``), so the two never drift.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any


def _setting(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True, slots=True)
class Settings:
    """All of Verso's configuration. Read through :func:`get_settings`."""

    data_dir: Path = _setting(
        Path("var"), "Directory for the SQLite database, generated secret key and files."
    )
    database_url: str = _setting("", "SQLAlchemy URL. Empty: SQLite at `<data_dir>/verso.db`.")
    database_pool_size: int = _setting(
        10, "Connection pool size (as many again may open under load); 0 opens a connection per session."
    )
    secret_key: str = _setting(
        "", "Signing key. Empty: generated once and stored in `<data_dir>/secret_key`."
    )
    base_url: str = _setting(
        "http://127.0.0.1:8000", "Public URL; `https://` turns on Secure cookies and HSTS."
    )
    host: str = _setting("127.0.0.1", "Address `verso run` listens on.")
    port: int = _setting(8000, "Port `verso run` listens on.")
    workers: int = _setting(1, "Granian worker processes for `verso run`.")
    debug: bool = _setting(False, "Development mode: template auto-reload, tracebacks in the log only.")
    log_level: str = _setting("INFO", "Logging level.")
    log_format: str = _setting("json", "`json` (one object a line) or `text`.")
    slow_query_ms: int = _setting(250, "SQL statements slower than this are logged as warnings.")
    metrics_token: str = _setting(
        "", "Bearer token for `/metrics`. Empty: `/metrics` answers only on loopback."
    )
    trusted_proxies: str = _setting("", "Comma-separated proxy IPs whose `X-Forwarded-For` is believed.")
    max_body_bytes: int = _setting(10_000_000, "Largest request body accepted.")
    session_idle_minutes: int = _setting(120, "A signed-in session ends after this much inactivity.")
    session_max_hours: int = _setting(
        336, "A signed-in session ends this long after sign-in, whatever happens."
    )
    password_min_length: int = _setting(12, "Shortest password accepted.")
    password_history: int = _setting(5, "A new password may not repeat any of this many previous ones.")
    run_worker: bool = _setting(
        True, "Run the job worker inside the web process (off when using `verso worker`)."
    )
    worker_concurrency: int = _setting(4, "Jobs one worker runs at the same time.")
    worker_poll_seconds: float = _setting(1.0, "How often an idle worker looks for due jobs.")
    job_lease_seconds: int = _setting(
        300, "A running job whose worker stops renewing this lease is run again."
    )
    health_job_lag_seconds: int = _setting(300, "`/health` is unhealthy when a due job has waited longer.")
    health_min_free_mb: int = _setting(200, "`/health` is unhealthy when the data disk has less free space.")
    smtp_host: str = _setting("", "SMTP server. Empty: mail stays in the outbox at `/admin/outbox`.")
    smtp_port: int = _setting(587, "SMTP port.")
    smtp_security: str = _setting("starttls", "`starttls`, `tls` (implicit) or `none`.")
    smtp_user: str = _setting("", "SMTP user name (optional).")
    smtp_password: str = _setting("", "SMTP password (optional).")
    smtp_timeout: float = _setting(20.0, "Seconds before an SMTP conversation is abandoned.")
    mail_from: str = _setting(
        "", "Sender address. Empty: the business contact email, else `verso@localhost`."
    )
    stripe_secret_key: str = _setting(
        "", "Stripe secret key. Empty (or no webhook secret): no card payments."
    )
    stripe_publishable_key: str = _setting(
        "", "Stripe publishable key (only pages embedding Stripe.js need it)."
    )
    stripe_webhook_secret: str = _setting(
        "", "Signing secret of the `/webhooks/stripe` endpoint (`whsec_...`)."
    )
    stripe_api_base: str = _setting(
        "https://api.stripe.com", "Stripe's API address (tests use a local stand-in)."
    )
    stripe_timeout_seconds: float = _setting(20.0, "Seconds before a Stripe API call is abandoned.")
    stripe_max_network_retries: int = _setting(2, "Retries of a Stripe call that failed on the network.")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'verso.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines; ``#`` comments and surrounding quotes are ignored."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _coerce(raw: str, kind: type) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is Path:
        return Path(raw)
    return kind(raw)


def _secret_key(data_dir: Path) -> str:
    """The persisted secret: generated on first use so no install shares a default key."""
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build settings from ``.env`` overlaid by the environment (the environment wins)."""
    env = {**_read_dotenv(dotenv or Path(".env")), **(environ if environ is not None else os.environ)}
    kinds = {"Path": Path, "str": str, "int": int, "bool": bool, "float": float}
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(f"VERSO_{f.name.upper()}")
        if raw is not None:
            try:
                values[f.name] = _coerce(raw, kinds[str(f.type)])
            except ValueError as exc:
                msg = f"VERSO_{f.name.upper()}={raw!r} is not a valid {f.type}"
                raise ValueError(msg) from exc
    settings = Settings(**values)
    if not settings.secret_key:
        settings = _replace(settings, secret_key=_secret_key(settings.data_dir))
    return settings


def _replace(settings: Settings, **changes: Any) -> Settings:
    return Settings(**{**{f.name: getattr(settings, f.name) for f in fields(Settings)}, **changes})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def settings_table() -> list[tuple[str, str, str]]:
    """(env var, default, meaning) rows for the README."""
    rows = []
    for f in fields(Settings):
        default = f.default
        shown = (
            "(empty)"
            if default == ""
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        rows.append((f"VERSO_{f.name.upper()}", shown, f.metadata["doc"]))
    return rows
