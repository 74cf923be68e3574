"""The shop's tables: the catalogue (products, variants, attributes, images, categories), merchandising
(collections, bundles, related products) and engagement (reviews, votes, wishlists)."""

from verso.domains.shop.models._catalog import (
    Attribute,
    AttributeValue,
    Category,
    Product,
    ProductAttribute,
    ProductImage,
    ProductSlugRedirect,
    ProductTag,
    ProductVariant,
    variant_value,
)
from verso.domains.shop.models._engagement import Review, ReviewVote, WishlistItem
from verso.domains.shop.models._imports import ImportRun
from verso.domains.shop.models._merch import (
    Bundle,
    BundleItem,
    Collection,
    CollectionProduct,
    RelatedProduct,
)
from verso.domains.shop.models._search import search_document

__all__ = [
    "Attribute",
    "AttributeValue",
    "Bundle",
    "BundleItem",
    "Category",
    "Collection",
    "CollectionProduct",
    "ImportRun",
    "Product",
    "ProductAttribute",
    "ProductImage",
    "ProductSlugRedirect",
    "ProductTag",
    "ProductVariant",
    "RelatedProduct",
    "Review",
    "ReviewVote",
    "WishlistItem",
    "search_document",
    "variant_value",
]
