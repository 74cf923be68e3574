"""Named domain events delivered to in-process listeners after the publishing transaction commits.

A service calls :func:`publish` with its database session; nothing is delivered if the transaction
rolls back. Listeners are plain async functions registered with :func:`listener`; a domain exports
them as ``listeners`` and the plugin registers them at start-up. A failing listener is logged and
never affects the publisher or the other listeners.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("verso.events")
Handler = Callable[[str, dict[str, Any]], Awaitable[None]]
_PENDING_KEY = "verso_pending_events"


@dataclass(frozen=True, slots=True)
class Listener:
    events: tuple[str, ...]
    handler: Handler


def listener(*events: str) -> Callable[[Handler], Listener]:
    """Declare an async ``handler(event_name, payload)`` for one or more event names."""

    def wrap(fn: Handler) -> Listener:
        return Listener(events=events, handler=fn)

    return wrap


class EventBus:
    """The registry of listeners and the tasks delivering to them."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Handler]] = defaultdict(list)
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, listeners: Iterable[Listener]) -> None:
        for item in listeners:
            for name in item.events:
                if item.handler not in self._listeners[name]:
                    self._listeners[name].append(item.handler)

    def clear(self) -> None:
        self._listeners.clear()

    def dispatch(self, name: str, payload: dict[str, Any]) -> None:
        """Start delivery of one committed event to every listener of ``name``."""
        for handler in self._listeners.get(name, ()):
            task = asyncio.get_running_loop().create_task(self._deliver(handler, name, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, handler: Handler, name: str, payload: dict[str, Any]) -> None:
        try:
            await handler(name, payload)
        except Exception:
            log.exception("event listener failed", extra={"event": name, "listener": handler.__qualname__})

    async def drain(self, *, patience: float = 5.0) -> None:
        """Wait for deliveries in flight (shutdown and tests). A delivery running on another event
        loop (a test client serves the app on a loop of its own) cannot be awaited from this one: it
        is polled for up to ``patience`` seconds, and forgotten if its loop has closed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience
        while self._tasks:
            mine = [task for task in self._tasks if task.get_loop() is loop]
            if mine:
                await asyncio.gather(*mine, return_exceptions=True)
                continue
            for task in [t for t in self._tasks if t.get_loop().is_closed()]:
                self._tasks.discard(task)
            if not self._tasks or loop.time() > deadline:
                return
            await asyncio.sleep(0.01)


bus = EventBus()


def publish(session: AsyncSession, name: str, **payload: Any) -> None:
    """Queue ``name`` for delivery once ``session``'s current transaction commits.

    The event belongs to a transaction, so one is begun if none is open yet: otherwise a rollback
    would be a no-op that never clears it, and a later commit would deliver it.
    """
    sync = session.sync_session
    if not sync.in_transaction():
        sync.begin()
    sync.info.setdefault(_PENDING_KEY, []).append((name, payload))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        log.warning("events committed outside an event loop were dropped", extra={"count": len(pending)})
        return
    for name, payload in pending:
        bus.dispatch(name, payload)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
