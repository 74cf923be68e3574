"""The shop's HTML pages: staff screens under /admin/shop and the public storefront."""

from verso.domains.shop.views import _catalog, _product_parts, _products, _store

routes = [*_products.routes, *_product_parts.routes, *_catalog.routes, *_store.routes]

__all__ = ["routes"]
