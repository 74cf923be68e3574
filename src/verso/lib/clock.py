"""One source of "now" so rules that depend on time can be tested with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

_frozen: datetime | None = None


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (or the frozen test time)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Pin :func:`utcnow` to ``at`` (``None`` releases it). For tests."""
    global _frozen
    _frozen = at


def as_utc(moment: datetime) -> datetime:
    """A database value as an aware UTC time (scalar subqueries may come back naive on SQLite)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_zone(moment: datetime, zone: str) -> datetime:
    """Convert a stored UTC time to ``zone`` for display; naive values are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def is_valid_zone(name: str) -> bool:
    return name in _zones()


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


_ZONES: frozenset[str] | None = None


def zone_choices() -> list[str]:
    return sorted(z for z in _zones() if "/" in z or z == "UTC")
