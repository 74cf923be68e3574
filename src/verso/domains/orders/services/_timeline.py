"""The order's timeline: one line per thing that happened, with who did it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.orders.models import Order, OrderEvent
from verso.lib.audit import Actor


def record(
    session: AsyncSession,
    order: Order,
    kind: str,
    message: str,
    *,
    actor: Actor | None = None,
    internal: bool = False,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    """Add a timeline line (flushed with the caller's transaction). ``actor`` None: the customer or
    the system, named in ``message``."""
    event = OrderEvent(
        order_id=order.id,
        kind=kind,
        message=message,
        internal=internal,
        actor_id=UUID(actor.id) if actor and actor.id else None,
        actor_label=actor.label if actor else "",
        data=data or {},
    )
    session.add(event)
    return event
