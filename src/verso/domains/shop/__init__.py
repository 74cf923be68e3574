"""Shop: the catalogue (products, variants, attributes, images, categories), merchandising and the
public storefront."""

from verso.domains.shop import api, views
from verso.domains.shop.services import IMPORT_JOBS
from verso.lib.modules import Module

routes = [*views.routes, *api.routes]
module = Module(
    "shop",
    "Shop",
    "Products, the online storefront, checkout and orders",
    actions={
        "shop.reviews.write": "Write reviews",
        "shop.reviews.vote": "Vote on reviews",
        "shop.wishlist": "Keep a wishlist",
    },
    verified_by_default=("shop.reviews.write",),
)
listeners: list = []
jobs: list = [*IMPORT_JOBS]

__all__ = ["jobs", "listeners", "module", "routes"]
