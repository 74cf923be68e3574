"""The shop's rules, one module per concern; views and the API import them from here."""

from verso.domains.shop.services._bundles import (
    BundleInput,
    BundleOffer,
    BundlePrice,
    BundleService,
    ItemChange,
    Line,
    bundle_offer,
    bundle_offers_for,
    bundle_price,
)
from verso.domains.shop.services._categories import CategoryNode, CategoryService, descendants, trail, tree
from verso.domains.shop.services._collection_rules import (
    CONDITIONS,
    collection_clause,
    collection_position,
    condition_key,
    rules_clause,
)
from verso.domains.shop.services._collections import (
    CollectionInput,
    CollectionService,
    find_products,
    is_live,
    live_clause,
)
from verso.domains.shop.services._csv_export import ExportFilter, export_csv
from verso.domains.shop.services._csv_format import MAX_FILE_BYTES, PRODUCT_COLUMNS, VARIANT_COLUMNS
from verso.domains.shop.services._csv_runs import IMPORT_JOBS, ImportRunService, Uploader
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
from verso.domains.shop.services._recent import RecentProduct, recent_products
from verso.domains.shop.services._related import Related, RelatedService, related_products
from verso.domains.shop.services._reviews import (
    MODERATION,
    ReviewError,
    ReviewInput,
    ReviewSection,
    ReviewService,
    VoteChanged,
    default_author,
)
from verso.domains.shop.services._search import SearchQuery, SearchResults, search_products
from verso.domains.shop.services._search_index import rebuild_search_index
from verso.domains.shop.services._sitemap import sitemap_xml
from verso.domains.shop.services._variants import (
    AttributeService,
    Axis,
    VariantService,
    VariantSpec,
    effective_price,
    replace_variants,
    variant_grid,
    variant_name,
)
from verso.domains.shop.services._version import catalog_changed, catalog_version, current_version
from verso.domains.shop.services._visitor import VisitorState, visitor_state
from verso.domains.shop.services._wishlist import WishlistEntry, WishlistError, WishlistService

__all__ = [
    "BULK_ACTIONS",
    "CONDITIONS",
    "IMPORT_JOBS",
    "MAX_FILE_BYTES",
    "MODERATION",
    "PRODUCT_COLUMNS",
    "VARIANT_COLUMNS",
    "AttributeService",
    "Axis",
    "BundleInput",
    "BundleOffer",
    "BundlePrice",
    "BundleService",
    "CategoryNode",
    "CategoryService",
    "CollectionInput",
    "CollectionService",
    "ExportFilter",
    "ImageService",
    "ImportRunService",
    "ItemChange",
    "Line",
    "ProductError",
    "ProductInput",
    "ProductSearch",
    "ProductService",
    "RecentProduct",
    "Related",
    "RelatedService",
    "ReviewError",
    "ReviewInput",
    "ReviewSection",
    "ReviewService",
    "SearchQuery",
    "SearchResults",
    "Uploader",
    "VariantService",
    "VariantSpec",
    "VisitorState",
    "VoteChanged",
    "WishlistEntry",
    "WishlistError",
    "WishlistService",
    "bundle_offer",
    "bundle_offers_for",
    "bundle_price",
    "catalog_changed",
    "catalog_version",
    "clean_tags",
    "collection_clause",
    "collection_position",
    "condition_key",
    "current_version",
    "default_author",
    "descendants",
    "effective_price",
    "export_csv",
    "find_products",
    "in_stock_clause",
    "input_from",
    "is_in_stock",
    "is_live",
    "live_clause",
    "rebuild_search_index",
    "recent_products",
    "related_products",
    "replace_variants",
    "rules_clause",
    "search_products",
    "sitemap_xml",
    "trail",
    "tree",
    "variant_grid",
    "variant_name",
    "visitor_state",
]
