"""The storefront's page cache: anonymous visitors get pages rendered once per catalogue version and
business settings (see ``verso.lib.pagecache``); signed-in customers always get a fresh render."""

from __future__ import annotations

from verso.domains.ops.services import business_cache
from verso.domains.shop.services import current_version
from verso.lib.pagecache import PageCache

storefront_cache = PageCache(version=current_version, vary=business_cache.refresh_if_stale)
# Search result pages get a cache of their own, under the same rules: a stream of one-off searches
# must not push the shop's product and category pages out of the storefront cache.
search_cache = PageCache(
    version=current_version, vary=business_cache.refresh_if_stale, max_bytes=8 * 1024 * 1024
)
