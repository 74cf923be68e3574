"""CSV import and export of products with their variants."""

from __future__ import annotations

routes: list = []
