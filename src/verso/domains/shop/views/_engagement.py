"""Reviews (writing, voting, moderation), wishlists and recently viewed products."""

from __future__ import annotations

routes: list = []
