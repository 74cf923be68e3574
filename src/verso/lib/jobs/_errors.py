"""Exceptions of the job queue, with messages fit to show an administrator."""

from __future__ import annotations


class JobError(Exception):
    """Base class for every job-queue error."""


class UnknownJobError(JobError, LookupError):
    """No handler is registered under this job name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"No job named {name!r} is registered.")


class JobNotFoundError(JobError, LookupError):
    """The job row does not exist (or was pruned)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        super().__init__(f"Job {job_id} does not exist.")


class JobStateError(JobError):
    """The requested action is not allowed in the job's current status."""


class CronNotFoundError(JobError, LookupError):
    """No scheduled task has this name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"No scheduled task named {name!r}.")


class RegistryConflictError(JobError):
    """A different handler or schedule was registered under a name that is already taken."""


class JobTimeoutError(JobError, TimeoutError):
    """The handler ran past its definition's ``timeout_seconds`` and was cancelled."""

    def __init__(self, name: str, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"Job {name!r} exceeded its time limit of {seconds:g} seconds.")
