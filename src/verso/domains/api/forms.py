"""The form that creates an API key."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import msgspec


class KeyForm(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    scopes: list[str] = []
    expires_on: date | None = None

    def expires_at(self) -> datetime | None:
        """The key works through the whole of ``expires_on`` (UTC) and stops at the next midnight."""
        if self.expires_on is None:
            return None
        return datetime.combine(self.expires_on + timedelta(days=1), time(), tzinfo=UTC)
