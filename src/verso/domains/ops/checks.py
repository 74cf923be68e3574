"""``verso check``: configuration and database sanity, in words an operator can act on."""

from __future__ import annotations

import os

from sqlalchemy import text

from verso.settings import get_settings

Result = tuple[str, bool, str]


async def run_checks() -> list[Result]:
    import anyio.to_thread

    from verso.domains.shop.services import checkout_settings, ways_to_pay
    from verso.lib.db import session_factory
    from verso.lib.migrate import current_revision, head_revision

    settings = get_settings()
    results: list[Result] = [
        (
            "secret key",
            len(settings.secret_key) >= 32,
            "set" if len(settings.secret_key) >= 32 else "too short",
        ),
    ]
    data_ok = settings.data_dir.is_dir() and os.access(settings.data_dir, os.W_OK)
    results.append(("data directory", data_ok, str(settings.data_dir.resolve())))
    try:
        async with session_factory()() as db:
            await db.execute(text("SELECT 1"))
        results.append(("database", True, settings.effective_database_url.split("@")[-1]))
    except Exception as exc:  # report any driver failure, never crash the check
        results.append(("database", False, f"{type(exc).__name__}: {exc}"))
        return results
    current = await anyio.to_thread.run_sync(current_revision)
    head = head_revision()
    results.append(("migrations", current == head, f"database at {current or 'nothing'}, code at {head}"))
    smtp = (
        f"{settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else "not configured (mail is held)"
    )
    results.append(("smtp", True, smtp))
    if current == head:  # the shop's settings are read as the code expects them only then
        async with session_factory()() as db:
            ways = ways_to_pay(await checkout_settings(db))
        none = "none: set up bank transfer or pickup in Checkout settings, or Stripe's keys"
        results.append(("payments", True, ", ".join(ways) or none))
    else:
        results.append(("payments", True, "not checked until the database is migrated"))
    results.append(("base url", settings.base_url.startswith(("http://", "https://")), settings.base_url))
    return results
