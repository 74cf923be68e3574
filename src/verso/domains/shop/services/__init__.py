"""The shop's rules, one module per concern; views and the API import them from here."""

from verso.domains.shop.services._categories import CategoryNode, CategoryService, descendants, trail, tree
from verso.domains.shop.services._images import ImageService
from verso.domains.shop.services._products import (
    BULK_ACTIONS,
    ProductError,
    ProductInput,
    ProductSearch,
    ProductService,
    clean_tags,
    in_stock_clause,
    input_from,
    is_in_stock,
)
from verso.domains.shop.services._variants import (
    AttributeService,
    Axis,
    VariantService,
    effective_price,
    variant_grid,
    variant_name,
)
from verso.domains.shop.services._version import catalog_changed, catalog_version

__all__ = [
    "BULK_ACTIONS",
    "AttributeService",
    "Axis",
    "CategoryNode",
    "CategoryService",
    "ImageService",
    "ProductError",
    "ProductInput",
    "ProductSearch",
    "ProductService",
    "VariantService",
    "catalog_changed",
    "catalog_version",
    "clean_tags",
    "descendants",
    "effective_price",
    "in_stock_clause",
    "input_from",
    "is_in_stock",
    "trail",
    "tree",
    "variant_grid",
    "variant_name",
]
