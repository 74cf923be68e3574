"""Shop: the catalogue (products, variants, attributes, images, categories), merchandising and the
public storefront."""

from verso.domains.shop import api, views
from verso.lib.modules import Module

routes = [*views.routes, *api.routes]
module = Module("shop", "Shop", "Products, categories and the online storefront")
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
