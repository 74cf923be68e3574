"""Staff screens for collections, bundles and related products, and the public collection pages."""

from __future__ import annotations

routes: list = []
