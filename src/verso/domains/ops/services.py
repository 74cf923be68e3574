"""Business settings, the first-run setup, and the health of the running system."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from dataclasses import dataclass, field
from typing import Any

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.identity.models import User
from verso.domains.identity.services import IdentityError, RoleService, UserService
from verso.domains.ops.models import BusinessSettings
from verso.lib import clock, jobs
from verso.lib.audit import Actor, audit, diff
from verso.lib.caches import on_reset
from verso.lib.modules import declared_actions, default_verified_actions, known_actions, optional_keys
from verso.lib.storage import STILL_IMAGE_TYPES, sniff_image
from verso.settings import get_settings

CACHE_SECONDS = 5.0
HEARTBEAT_STALE_SECONDS = 60  # workers beat every ~10 s
SETTINGS_ID = 1


class SettingsError(Exception):
    """A refused settings change, with a message fit to show the person."""


@dataclass(frozen=True, slots=True)
class Business:
    """A read-only snapshot of the business settings, safe to share between requests."""

    name: str = "Verso"
    address: str = ""
    currency: str = "EUR"
    timezone: str = "UTC"
    locale: str = "en"
    contact_email: str = ""
    enabled_modules: frozenset[str] = field(default_factory=frozenset)
    verified_actions: frozenset[str] = field(default_factory=frozenset)
    logo_digest: str | None = None
    configured: bool = False

    @property
    def logo_url(self) -> str | None:
        return f"/media/logo/{self.logo_digest}" if self.logo_digest else None


def _snapshot(row: BusinessSettings | None) -> Business:
    if row is None:
        return Business()
    return Business(
        name=row.name,
        address=row.address,
        currency=row.currency,
        timezone=row.timezone,
        locale=row.locale,
        contact_email=row.contact_email,
        enabled_modules=frozenset(row.enabled_modules or ()),
        verified_actions=frozenset(row.verified_actions or ()),
        logo_digest=row.logo_digest,
        configured=row.setup_completed_at is not None,
    )


class BusinessCache:
    """The business settings every request reads, reloaded at most every few seconds.

    A change made in this process is visible at once; other processes see it within
    ``CACHE_SECONDS``.
    """

    def __init__(self) -> None:
        self._value = Business()
        self._loaded_at = 0.0
        self._reloading: asyncio.Future[Business] | None = None

    def current(self) -> Business:
        return self._value

    def is_stale(self) -> bool:
        return time.monotonic() - self._loaded_at > CACHE_SECONDS

    async def load(self, session: AsyncSession) -> Business:
        row = await session.get(BusinessSettings, SETTINGS_ID)
        self.set(_snapshot(row))
        return self._value

    async def refresh_if_stale(self) -> Business:
        """The settings, reloaded first when older than ``CACHE_SECONDS`` (or never loaded).

        One reload at a time: the requests that find the settings stale together all wait for the
        same read (under load, each running its own read stalled the event loop for tens of ms)."""
        if not self.is_stale():
            return self._value
        if self._reloading is None:
            self._reloading = asyncio.ensure_future(self._reload())
            self._reloading.add_done_callback(self._reloaded)
        return await asyncio.shield(self._reloading)

    async def _reload(self) -> Business:
        from verso.lib.db import session_factory

        async with session_factory()() as db:
            return await self.load(db)

    def _reloaded(self, _future: asyncio.Future[Business]) -> None:
        self._reloading = None

    def set(self, value: Business) -> None:
        self._value = value
        self._loaded_at = time.monotonic()

    def reset(self) -> None:
        self._value = Business()
        self._loaded_at = 0.0
        self._reloading = None


business_cache = BusinessCache()
on_reset(business_cache.reset)


@dataclass(frozen=True, slots=True)
class SettingsChange:
    name: str
    address: str
    currency: str
    timezone: str
    locale: str
    contact_email: str
    enabled_modules: frozenset[str]
    # The "Reserve for verified accounts" boxes ticked; None leaves the reservations as they are.
    verified_actions: frozenset[str] | None = None


def _reserved(before: frozenset[str], enabled: frozenset[str], ticked: frozenset[str]) -> list[str]:
    """The new reservations: the page lists the actions of the modules that were on (``enabled``), so
    the ticked boxes decide those; actions of modules that are off keep their setting for later."""
    shown = {key for _module, key, _label in declared_actions(enabled)}
    return sorted((ticked & shown) | (before - shown))


MAX_LOGO_BYTES = 512 * 1024


class BusinessSettingsService(SQLAlchemyAsyncRepositoryService[BusinessSettings]):
    class Repo(SQLAlchemyAsyncRepository[BusinessSettings]):
        model_type = BusinessSettings

    repository_type = Repo

    async def row(self) -> BusinessSettings | None:
        return await self.repository.session.get(BusinessSettings, SETTINGS_ID)

    async def update_settings(
        self, change: SettingsChange, *, actor: Actor, logo: bytes | None = None, remove_logo: bool = False
    ) -> Business:
        """Save the settings page (one transaction, audited) and refresh the cache."""
        session = self.repository.session
        row = await self.row()
        if row is None:
            raise SettingsError("Finish the first-run setup before changing settings.")
        unknown = change.enabled_modules - optional_keys()
        if unknown:
            raise SettingsError(f"Unknown module: {', '.join(sorted(unknown))}.")
        before = _fields(row)
        row.name, row.address, row.currency = change.name, change.address, change.currency
        row.timezone, row.locale, row.contact_email = change.timezone, change.locale, change.contact_email
        if change.verified_actions is not None:
            unknown = change.verified_actions - known_actions()
            if unknown:
                raise SettingsError(f"Unknown action: {', '.join(sorted(unknown))}.")
            row.verified_actions = _reserved(
                frozenset(row.verified_actions or ()),
                frozenset(row.enabled_modules or ()),
                change.verified_actions,
            )
        row.enabled_modules = sorted(change.enabled_modules)
        if logo is not None:
            content_type = sniff_image(logo, allowed=STILL_IMAGE_TYPES)
            if content_type is None:
                raise SettingsError("The logo must be a PNG, JPEG or WebP image.")
            if len(logo) > MAX_LOGO_BYTES:
                raise SettingsError("The logo must be 512 KB or smaller.")
            row.logo, row.logo_content_type = logo, content_type
            row.logo_digest = hashlib.sha256(logo).hexdigest()
        elif remove_logo:
            row.logo, row.logo_content_type, row.logo_digest = None, None, None
        changes = diff(before, _fields(row))
        if changes:
            audit(
                session,
                actor,
                "settings.updated",
                target_type="business_settings",
                target_id=SETTINGS_ID,
                target_label=row.name,
                changes=changes,
            )
        await session.commit()
        snapshot = _snapshot(row)
        business_cache.set(snapshot)
        return snapshot

    async def logo(self, digest: str) -> tuple[bytes, str] | None:
        stmt = select(BusinessSettings.logo, BusinessSettings.logo_content_type).where(
            BusinessSettings.id == SETTINGS_ID, BusinessSettings.logo_digest == digest
        )
        found = (await self.repository.session.execute(stmt)).first()
        if found is None or found[0] is None:
            return None
        return found[0], found[1] or "application/octet-stream"


def _fields(row: BusinessSettings) -> dict[str, Any]:
    return {
        "name": row.name,
        "address": row.address,
        "currency": row.currency,
        "timezone": row.timezone,
        "locale": row.locale,
        "contact_email": row.contact_email,
        "enabled_modules": list(row.enabled_modules or []),
        "verified_actions": list(row.verified_actions or []),
        "logo": row.logo_digest,
    }


class SetupState:
    """Whether the first admin exists. Cached once true: setup never runs twice."""

    def __init__(self) -> None:
        self.done = False

    async def is_done(self, session: AsyncSession) -> bool:
        if not self.done:
            self.done = await UserService(session=session).admin_exists()
        return self.done

    def reset(self) -> None:
        self.done = False


setup_state = SetupState()
on_reset(setup_state.reset)


@dataclass(frozen=True, slots=True)
class SetupRequest:
    business_name: str
    timezone: str
    currency: str
    first_name: str
    last_name: str
    email: str
    password: str


async def complete_setup(session: AsyncSession, request: SetupRequest, *, ip: str | None) -> User:
    """Create the business and the first admin in one transaction; refused once an admin exists."""
    if await setup_state.is_done(session):
        raise SettingsError("Verso is already set up.")
    actor = Actor(label=request.email, ip=ip)
    existing = await session.get(BusinessSettings, SETTINGS_ID)
    # A new business starts with every module on and the modules' default reservations for verified
    # accounts; the settings page changes both.
    row = existing or BusinessSettings(
        id=SETTINGS_ID,
        name=request.business_name,
        enabled_modules=sorted(optional_keys()),
        verified_actions=default_verified_actions(),
    )
    row.name, row.timezone, row.currency = request.business_name, request.timezone, request.currency
    row.contact_email = row.contact_email or request.email
    row.setup_completed_at = clock.utcnow()
    if existing is None:
        session.add(row)
    await RoleService(session=session).ensure_defaults()
    try:
        user = await UserService(session=session).create_account(
            email=request.email,
            password=request.password,
            roles=["admin"],
            actor=actor,
            first_name=request.first_name,
            last_name=request.last_name,
            email_verified=True,
        )
    except IdentityError as exc:
        raise SettingsError(str(exc)) from exc
    audit(
        session,
        actor,
        "setup.completed",
        target_type="business_settings",
        target_id=SETTINGS_ID,
        target_label=request.business_name,
    )
    await session.commit()
    setup_state.done = True
    business_cache.set(_snapshot(row))
    return user


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: dict[str, Any]


async def health_checks(session: AsyncSession) -> dict[str, Check]:
    """Database, disk space, job queue lag and worker heartbeat, in one database round trip."""
    settings = get_settings()
    now = clock.utcnow()
    due = (jobs.Job.status.in_([jobs.PENDING, jobs.FAILED]), jobs.Job.run_at <= now)
    figures = select(
        select(func.min(jobs.Job.run_at)).where(*due).scalar_subquery(),
        select(func.count()).select_from(jobs.Job).where(jobs.Job.status == jobs.PENDING).scalar_subquery(),
        select(func.count())
        .select_from(jobs.Job)
        .where(jobs.Job.status == jobs.DEAD_LETTER)
        .scalar_subquery(),
        select(func.max(jobs.WorkerHeartbeat.last_seen_at)).scalar_subquery(),
    )
    checks: dict[str, Check] = {}
    started = time.perf_counter()
    try:
        oldest_due, pending, dead, newest_beat = (await session.execute(figures)).one()
    except Exception as exc:  # any driver error means the database is unreachable
        checks["database"] = Check(False, {"error": type(exc).__name__})
        return checks
    checks["database"] = Check(True, {"latency_ms": round((time.perf_counter() - started) * 1000, 2)})
    usage = shutil.disk_usage(settings.data_dir if settings.data_dir.exists() else ".")
    free_mb = usage.free // (1024 * 1024)
    checks["disk"] = Check(free_mb >= settings.health_min_free_mb, {"free_mb": free_mb})
    lag = (now - clock.as_utc(oldest_due)).total_seconds() if oldest_due else 0.0
    checks["job_queue"] = Check(
        lag <= settings.health_job_lag_seconds,
        {"lag_seconds": round(lag, 1), "pending": pending, "dead_letter": dead},
    )
    age = (now - clock.as_utc(newest_beat)).total_seconds() if newest_beat else None
    checks["worker"] = Check(
        age is not None and age <= HEARTBEAT_STALE_SECONDS,
        {"last_heartbeat_seconds_ago": None if age is None else round(age, 1)},
    )
    return checks
