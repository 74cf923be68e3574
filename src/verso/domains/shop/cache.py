"""The storefront's page cache: anonymous visitors get pages rendered once per catalogue version and
business settings (see ``verso.lib.pagecache``); signed-in customers always get a fresh render."""

from __future__ import annotations

from verso.domains.ops.services import business_cache
from verso.domains.shop.services import current_version
from verso.lib.pagecache import PageCache

storefront_cache = PageCache(version=current_version, vary=business_cache.refresh_if_stale)
