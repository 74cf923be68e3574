"""The shop's HTML pages: staff screens under /admin/shop and the public storefront."""

from verso.domains.shop.views import (
    _catalog,
    _engagement,
    _merch,
    _product_parts,
    _products,
    _search,
    _store,
    _transfer,
)

routes = [
    *_products.routes,
    *_product_parts.routes,
    *_catalog.routes,
    *_merch.routes,
    *_engagement.routes,
    *_search.routes,
    *_transfer.routes,
    *_store.routes,
]

__all__ = ["routes"]
