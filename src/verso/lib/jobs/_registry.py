"""The process registry of job handlers and cron schedules.

Domains declare handlers with :func:`job` and schedules with :func:`cron`, export them in a ``jobs``
list, and the plugin calls :func:`register` at start-up. The worker looks handlers up here by name, so
a job row only stores the name and a JSON payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from verso.lib.jobs._errors import RegistryConflictError, UnknownJobError
from verso.lib.jobs._schedule import validate_schedule

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(slots=True)
class JobContext:
    """What a handler knows about its run, and the session its writes go through.

    ``session`` is opened by the worker for this run: whatever the handler writes commits in the same
    transaction that marks the job completed, and is rolled back if the handler raises. Use
    :meth:`open_session` only for writes that must survive a failure (e.g. recording a delivery error).
    """

    job_id: int
    name: str
    attempt: int
    max_attempts: int
    session: AsyncSession
    session_maker: async_sessionmaker[AsyncSession] | None = field(default=None, repr=False)

    @property
    def is_last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    def open_session(self) -> AsyncSession:
        """A separate session (own transaction) from the worker's session factory."""
        if self.session_maker is None:
            from verso.lib import db

            return db.session_factory()()
        return self.session_maker()


Handler = Callable[[dict[str, Any], JobContext], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class JobDefinition:
    """A named handler with its retry budget and time limit."""

    name: str
    handler: Handler
    max_attempts: int = 5
    timeout_seconds: float = 300.0

    async def __call__(self, payload: dict[str, Any], ctx: JobContext) -> None:
        """Call the handler directly (unit tests of a domain's job)."""
        await self.handler(payload, ctx)


@dataclass(frozen=True, slots=True)
class CronDefinition:
    """A schedule that enqueues ``job_name`` with ``payload`` at every occurrence (UTC)."""

    name: str
    schedule: str
    job_name: str
    payload: dict[str, Any] = field(default_factory=dict)


def job(
    name: str, *, max_attempts: int = 5, timeout_seconds: float = 300.0
) -> Callable[[Handler], JobDefinition]:
    """Decorate ``async def handler(payload, ctx)`` as the job ``name``."""
    if not name or not name.strip():
        raise ValueError("A job needs a name.")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1 for job {name!r}.")
    if timeout_seconds <= 0:
        raise ValueError(f"timeout_seconds must be positive for job {name!r}.")

    def wrap(fn: Handler) -> JobDefinition:
        return JobDefinition(
            name=name, handler=fn, max_attempts=max_attempts, timeout_seconds=timeout_seconds
        )

    return wrap


def cron(name: str, schedule: str, job_name: str, payload: dict[str, Any] | None = None) -> CronDefinition:
    """Declare that ``job_name`` runs on ``schedule`` (validated now, so a typo fails at import)."""
    if not name or not name.strip():
        raise ValueError("A scheduled task needs a name.")
    return CronDefinition(
        name=name, schedule=validate_schedule(schedule), job_name=job_name, payload=dict(payload or {})
    )


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """Opaque copy of the registry's contents, for :meth:`JobRegistry.restore`."""

    jobs: dict[str, JobDefinition]
    crons: dict[str, CronDefinition]


class JobRegistry:
    """Handlers and schedules by name. One instance per process: :data:`registry`."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobDefinition] = {}
        self._crons: dict[str, CronDefinition] = {}

    def register(self, items: Iterable[JobDefinition | CronDefinition]) -> None:
        """Add definitions: the same one twice is a no-op; a different one under a taken name raises."""
        for item in items:
            if isinstance(item, JobDefinition):
                self._add(self._jobs, item, "job")
            elif isinstance(item, CronDefinition):
                self._add(self._crons, item, "scheduled task")
            else:
                msg = f"Cannot register {item!r}: expected a JobDefinition (from @job) or a CronDefinition."
                raise TypeError(msg)

    @staticmethod
    def _add(table: dict[str, Any], item: Any, kind: str) -> None:
        existing = table.get(item.name)
        if existing is None:
            table[item.name] = item
        elif existing is not item and existing != item:
            msg = f"A different {kind} is already registered as {item.name!r}."
            raise RegistryConflictError(msg)

    def get(self, name: str) -> JobDefinition:
        try:
            return self._jobs[name]
        except KeyError:
            raise UnknownJobError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._jobs

    def names(self) -> list[str]:
        """Registered job names, sorted (admin "enqueue" menus, diagnostics)."""
        return sorted(self._jobs)

    def cron_names(self) -> list[str]:
        return sorted(self._crons)

    def crons(self) -> list[CronDefinition]:
        return [self._crons[name] for name in sorted(self._crons)]

    def clear(self) -> None:
        """Forget everything (tests)."""
        self._jobs.clear()
        self._crons.clear()

    def snapshot(self) -> RegistrySnapshot:
        return RegistrySnapshot(jobs=dict(self._jobs), crons=dict(self._crons))

    def restore(self, snapshot: RegistrySnapshot) -> None:
        """Put back the contents saved by :meth:`snapshot` (tests)."""
        self._jobs = dict(snapshot.jobs)
        self._crons = dict(snapshot.crons)


registry = JobRegistry()


def register(items: Iterable[JobDefinition | CronDefinition]) -> None:
    """Register a domain's ``jobs`` list in the process registry."""
    registry.register(items)
