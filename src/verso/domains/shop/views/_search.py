"""Public product search, and the sitemap and robots.txt for search engines."""

from __future__ import annotations

routes: list = []
