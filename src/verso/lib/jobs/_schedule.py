"""Cron schedule parsing: the few aliases plus classic five-field expressions, via croniter."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

ALIASES = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"})


def validate_schedule(schedule: str) -> str:
    """Return ``schedule`` normalised, or raise ValueError saying what is accepted.

    Six-field (seconds) expressions are refused on purpose: the scheduler ticks about once a second
    and a schedule finer than a minute is a mistake in a business app.
    """
    text = " ".join(str(schedule).split())
    if text.startswith("@"):
        if text.lower() in ALIASES:
            return text.lower()
    elif len(text.split(" ")) == 5 and croniter.is_valid(text):
        return text
    msg = (
        f"{schedule!r} is not a valid schedule: use @hourly, @daily, @weekly, @monthly, @yearly "
        "or a five-field cron expression such as '30 2 * * 1-5' (minute hour day month weekday, UTC)."
    )
    raise ValueError(msg)


def next_occurrence(schedule: str, after: datetime) -> datetime:
    """The first occurrence of ``schedule`` strictly after ``after``, in UTC."""
    if after.tzinfo is None:
        after = after.replace(tzinfo=UTC)
    result = croniter(validate_schedule(schedule), after.astimezone(UTC)).get_next(datetime)
    return result.astimezone(UTC)
