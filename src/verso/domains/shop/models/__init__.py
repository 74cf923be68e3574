"""The shop's tables: the catalogue (products, variants, attributes, images, categories), merchandising
(collections, bundles, related products) and engagement (reviews, votes, wishlists)."""

from verso.domains.shop.models._cart import Cart, CartItem
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
from verso.domains.shop.models._promotions import Discount, DiscountUsage, GiftCard, GiftCardEntry
from verso.domains.shop.models._search import search_document
from verso.domains.shop.models._shipping import ShippingRate, ShippingZone, ShopSettings, TaxRate

__all__ = [
    "Attribute",
    "AttributeValue",
    "Bundle",
    "BundleItem",
    "Cart",
    "CartItem",
    "Category",
    "Collection",
    "CollectionProduct",
    "Discount",
    "DiscountUsage",
    "GiftCard",
    "GiftCardEntry",
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
    "ShippingRate",
    "ShippingZone",
    "ShopSettings",
    "TaxRate",
    "WishlistItem",
    "search_document",
    "variant_value",
]
