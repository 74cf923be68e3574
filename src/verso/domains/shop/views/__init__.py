"""The shop's HTML pages: staff screens under /admin/shop and the public storefront."""

from verso.domains.shop.views import (
    _cart,
    _catalog,
    _digital_file,
    _discounts,
    _engagement,
    _gift_cards,
    _merch,
    _product_parts,
    _products,
    _search,
    _shipping,
    _shop_settings,
    _store,
    _taxes,
    _transfer,
)

routes = [
    *_products.routes,
    *_product_parts.routes,
    *_digital_file.routes,
    *_catalog.routes,
    *_merch.routes,
    *_engagement.routes,
    *_search.routes,
    *_transfer.routes,
    *_discounts.routes,
    *_gift_cards.routes,
    *_shipping.routes,
    *_taxes.routes,
    *_shop_settings.routes,
    *_store.routes,
    *_cart.routes,
]

__all__ = ["routes"]
