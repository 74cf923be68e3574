"""The audit log: who changed what, when, from where, with a JSON diff.

Every staff change calls :func:`audit` inside the same transaction as the change, so the log and the
change are committed (or rolled back) together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.types import JsonB
from sqlalchemy import Index, String, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

MAX_USER_AGENT = 300


class AuditLog(BigIntAuditBase):
    """One recorded action. Append-only: nothing updates or deletes rows but retention."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_action_created", "action", "created_at"),
    )

    actor_id: Mapped[str | None] = mapped_column(String(64), index=True)
    actor_label: Mapped[str] = mapped_column(String(255), default="system")
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(100))
    target_id: Mapped[str | None] = mapped_column(String(64))
    target_label: Mapped[str | None] = mapped_column(String(255))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)

    __personal_data__ = ("actor_label", "ip_address", "user_agent")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user (id and a readable label) or the system, and where the request came from."""

    id: str | None = None
    label: str = "system"
    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Actor()


def _plain(value: Any) -> Any:
    """Make a value JSON-safe for the diff."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any], *, secret: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields that changed; secret fields show as ``"***"``."""
    changed: dict[str, Any] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changed[key] = ["***", "***"] if key in secret else [_plain(old), _plain(new)]
    return changed


def audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    target_type: str | None = None,
    target_id: Any = None,
    target_label: str | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Record ``action`` in the caller's transaction (not committed here)."""
    entry = AuditLog(
        actor_id=actor.id,
        actor_label=actor.label[:255],
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        target_label=None if target_label is None else target_label[:255],
        changes=_plain(changes or {}),
        ip_address=actor.ip,
        user_agent=(actor.user_agent or "")[:MAX_USER_AGENT] or None,
    )
    session.add(entry)
    return entry
