"""Carts: a guest's, found by the hash of a random token in a cookie, or a customer's (one per
customer, so it follows them across devices; a guest cart merges into it at sign-in).

A cart line holds a product, a variant or a bundle (with its chosen optional items). Reading a cart
prices every line at today's price and says what is wrong with a line (gone, out of stock, fewer
left than asked for, price changed since it was added); checkout refuses a cart with such problems
until the customer has seen them. Quantities are clamped to what is in stock when added or changed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from sqlalchemy import Select, bindparam, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from verso.domains.shop.models import Bundle, Cart, CartItem, Product, ProductImage, ProductVariant
from verso.domains.shop.services._bundles import BundleOffer, offer_lines
from verso.domains.shop.services._products import ProductService
from verso.domains.shop.services._variants import effective_price
from verso.lib.db import read_rows

COOKIE = "verso_cart"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
MAX_QUANTITY = 99
MAX_LINES = 50
GIFT_CARD_FIELDS = ("recipient_email", "recipient_name", "sender_name", "message")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CartError(Exception):
    """A refused cart change, with a message fit to show the customer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class CartOwner:
    """Whose cart: a signed-in customer's, or the guest holding ``token`` (the cookie's value)."""

    customer_id: UUID | None = None
    token: str | None = None


@dataclass(frozen=True, slots=True)
class AddRequest:
    product_id: UUID | None = None
    variant_id: UUID | None = None
    bundle_id: UUID | None = None
    bundle_items: frozenset[UUID] = frozenset()
    quantity: int = 1
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CartNotice:
    message: str
    level: Literal["success", "warning"] = "success"


@dataclass(frozen=True, slots=True)
class Component:
    """One thing a line takes from stock: a product (or its variant), ``quantity`` per line unit."""

    product_id: UUID
    variant_id: UUID | None
    quantity: int
    name: str
    weight: int
    shippable: bool
    digital_file: str | None


@dataclass
class CartLineView:
    item: CartItem
    name: str
    variant_name: str
    url: str
    image: ProductImage | None
    unit_price: int
    components: tuple[Component, ...]
    available: int | None  # units of this line that can be bought now; None: not limited
    problem: str = ""  # why this line cannot be bought as it is; empty when it can
    is_gift_card: bool = False
    is_digital: bool = False

    @property
    def quantity(self) -> int:
        return self.item.quantity

    @property
    def total(self) -> int:
        return self.unit_price * self.item.quantity

    @property
    def price_was(self) -> int | None:
        """The price the customer saw when adding, when it has changed since."""
        return self.item.seen_price if self.item.seen_price != self.unit_price else None

    @property
    def weight(self) -> int:
        return sum(c.weight * c.quantity for c in self.components)

    @property
    def shippable(self) -> bool:
        return any(c.shippable for c in self.components)


@dataclass
class CartView:
    cart: Cart | None
    lines: list[CartLineView] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self) -> list[CartLineView]:
        return [line for line in self.lines if line.problem]

    @property
    def price_changes(self) -> list[CartLineView]:
        return [line for line in self.lines if line.price_was is not None]

    @property
    def empty(self) -> bool:
        return not self.lines


# ---- finding carts --------------------------------------------------------------------------
# Built once, not per call: every checkout step starts here.
_CART_OF_CUSTOMER = select(Cart).where(Cart.customer_id == bindparam("owner")).options(joinedload(Cart.items))
_CART_OF_TOKEN = select(Cart).where(Cart.token_hash == bindparam("owner")).options(joinedload(Cart.items))


async def find_cart(session: AsyncSession, owner: CartOwner) -> Cart | None:
    """The owner's cart with its items, or None. A customer's own cart wins over a guest token.
    One query (the items joined), since every checkout step starts here."""
    if owner.customer_id is not None:
        stmt, value = _CART_OF_CUSTOMER, owner.customer_id
    elif owner.token:
        stmt, value = _CART_OF_TOKEN, token_hash(owner.token)
    else:
        return None
    found = await session.scalars(stmt, {"owner": value})
    return found.unique().first()


def owner_cart_id(owner: CartOwner) -> Select[tuple[UUID]] | None:
    """The id of the owner's cart as a SELECT (as :func:`find_cart` picks it), for a statement that
    writes by cart in one go; None when the owner can have no cart."""
    if owner.customer_id is not None:
        return select(Cart.id).where(Cart.customer_id == owner.customer_id)
    if owner.token:
        return select(Cart.id).where(Cart.token_hash == token_hash(owner.token))
    return None


async def ensure_cart(session: AsyncSession, owner: CartOwner) -> tuple[Cart, str | None]:
    """The owner's cart, created if need be; the second value is a new guest token to set in the
    cookie (None when the cookie already holds the right one or the owner is a customer). A new
    cart is only added to the session: it is written with its first line, so on SQLite the write
    lock is not held while the line's product is read."""
    cart = await find_cart(session, owner)
    if cart is not None:
        return cart, None
    token = None
    if owner.customer_id is not None:
        cart = Cart(customer_id=owner.customer_id, discount_codes=[], gift_card_codes=[])
    else:
        token = new_token()
        cart = Cart(token_hash=token_hash(token), discount_codes=[], gift_card_codes=[])
    cart.items = []
    session.add(cart)
    return cart, token


async def merge_guest_cart(session: AsyncSession, customer_id: UUID, token: str) -> None:
    """At sign-in: move the guest cart's lines into the customer's cart (quantities add up, clamped
    later by stock), then delete the guest cart. A token that finds nothing changes nothing."""
    guest = await find_cart(session, CartOwner(token=token))
    if guest is None:
        return
    cart, _ = await ensure_cart(session, CartOwner(customer_id=customer_id))
    if guest.id == cart.id:
        return
    existing = {item.line_key: item for item in cart.items}
    for item in list(guest.items):
        mine = existing.get(item.line_key)
        if mine is not None:
            mine.quantity = min(MAX_QUANTITY, mine.quantity + item.quantity)
        elif len(cart.items) < MAX_LINES:
            cart.items.append(_copy(item))
    for code in guest.discount_codes or []:
        if code not in (cart.discount_codes or []):
            cart.discount_codes = [*(cart.discount_codes or []), code]
    for code in guest.gift_card_codes or []:
        if code not in (cart.gift_card_codes or []):
            cart.gift_card_codes = [*(cart.gift_card_codes or []), code]
    await session.delete(guest)
    await session.flush()


def _copy(item: CartItem) -> CartItem:
    return CartItem(
        line_key=item.line_key,
        product_id=item.product_id,
        variant_id=item.variant_id,
        bundle_id=item.bundle_id,
        bundle_items=list(item.bundle_items or []),
        quantity=item.quantity,
        details=dict(item.details or {}),
        seen_price=item.seen_price,
    )


async def cart_count(session: AsyncSession, owner: CartOwner) -> int:
    """How many units the owner's cart holds (the header's badge): one indexed query."""
    if owner.customer_id is not None:
        where = Cart.customer_id == owner.customer_id
    elif owner.token:
        where = Cart.token_hash == token_hash(owner.token)
    else:
        return 0
    stmt = select(func.coalesce(func.sum(CartItem.quantity), 0)).join(Cart).where(where)
    return int(await session.scalar(stmt) or 0)


# ---- reading a cart -------------------------------------------------------------------------
def _component(product: Product, variant: ProductVariant | None, quantity: int) -> Component:
    weight = product.weight_grams or 0
    return Component(
        product.id,
        variant.id if variant else None,
        quantity,
        product.name + (f" ({variant.name})" if variant else ""),
        weight,
        not product.is_digital,
        product.digital_file_digest if product.is_digital else None,
    )


def _units_left(product: Product, variant: ProductVariant | None) -> int | None:
    if not product.track_stock:
        return None
    return max(0, variant.stock if variant is not None else product.stock)


def _available(parts: list[tuple[Product, ProductVariant | None, int]]) -> int | None:
    """How many line units the parts' stock allows (a bundle: its scarcest part)."""
    limits = [
        left // quantity
        for product, variant, quantity in parts
        if (left := _units_left(product, variant)) is not None
    ]
    return min(limits) if limits else None


def _problem(view: CartLineView) -> str:
    if view.available is not None and view.available <= 0:
        return "Out of stock: remove it to check out."
    if view.available is not None and view.quantity > view.available:
        return f"Only {view.available} available: lower the quantity to check out."
    return ""


@dataclass
class _Loaded:
    products: dict[UUID, Product]
    variants: dict[UUID, ProductVariant]
    bundles: dict[UUID, Bundle]
    images: dict[UUID, ProductImage]
    has_variants: set[UUID]


_HAS_VARIANTS = (
    exists()
    .where(ProductVariant.product_id == Product.id, ProductVariant.is_active.is_(True))
    .label("has_variants")
)


async def _load(session: AsyncSession, items: list[CartItem], *, images: bool = True) -> _Loaded:
    """What pricing ``items`` needs, in as few queries as possible; ``images`` only for pages."""
    bundle_ids = {i.bundle_id for i in items if i.bundle_id}
    bundles = (
        {
            b.id: b
            for b in (
                await session.scalars(
                    select(Bundle).where(Bundle.id.in_(bundle_ids)).options(selectinload(Bundle.items))
                )
            ).all()
        }
        if bundle_ids
        else {}
    )
    product_ids = {i.product_id for i in items if i.product_id} | {
        bi.product_id for b in bundles.values() for bi in b.items
    }
    variant_ids = {i.variant_id for i in items if i.variant_id} | {
        bi.variant_id for b in bundles.values() for bi in b.items if bi.variant_id
    }
    rows = (await session.execute(select(Product, _HAS_VARIANTS).where(Product.id.in_(product_ids)))).all()
    products = {product.id: product for product, _ in rows}
    with_variants = {product.id for product, has_variants in rows if has_variants}
    variants = (
        {
            v.id: v
            for v in (
                await session.scalars(select(ProductVariant).where(ProductVariant.id.in_(variant_ids)))
            ).all()
        }
        if variant_ids
        else {}
    )
    found = await ProductService(session=session).primary_images(list(product_ids)) if images else {}
    return _Loaded(products, variants, bundles, found, with_variants)


def _product_line(item: CartItem, loaded: _Loaded) -> CartLineView | None:
    product = loaded.products.get(item.product_id) if item.product_id else None
    if product is None:
        return None
    variant = loaded.variants.get(item.variant_id) if item.variant_id else None
    view = CartLineView(
        item=item,
        name=product.name,
        variant_name=variant.name if variant else "",
        url=f"/shop/p/{product.slug}",
        image=loaded.images.get(product.id),
        unit_price=effective_price(product, variant),
        components=(_component(product, variant, 1),),
        available=_available([(product, variant, 1)]),
        is_gift_card=product.is_gift_card,
        is_digital=product.is_digital,
    )
    if product.status != "active" or (item.variant_id and (variant is None or not variant.is_active)):
        view.problem = "No longer sold: remove it to check out."
    elif variant is None and product.id in loaded.has_variants:
        view.problem = "Choose an option for this product again: remove it and add it from its page."
    else:
        view.problem = _problem(view)
    return view


def _bundle_line(item: CartItem, loaded: _Loaded) -> CartLineView | None:
    bundle = loaded.bundles.get(item.bundle_id) if item.bundle_id else None
    if bundle is None:
        return None
    picked = {UUID(value) for value in item.bundle_items or []}
    lines = offer_lines(bundle, loaded.products, loaded.variants, loaded.images, picked)
    if lines is None or not bundle.is_active:
        return CartLineView(
            item,
            bundle.name,
            "",
            f"/shop/bundles/{bundle.slug}",
            None,
            0,
            (),
            0,
            "No longer sold: remove it to check out.",
        )
    offer = BundleOffer(bundle, lines)
    chosen = [line for line in offer.lines if line.selected]
    parts = [(line.product, line.variant, line.item.quantity) for line in chosen]
    view = CartLineView(
        item=item,
        name=bundle.name,
        variant_name=", ".join(f"{line.item.quantity} × {line.product.name}" for line in chosen),  # noqa: RUF001
        url=f"/shop/bundles/{bundle.slug}",
        image=chosen[0].image if chosen else None,
        unit_price=offer.price.price,
        components=tuple(_component(p, v, q) for p, v, q in parts),
        available=_available(parts),
        is_digital=all(line.product.is_digital for line in chosen),
    )
    view.problem = _problem(view)
    return view


async def view_cart(session: AsyncSession, cart: Cart | None, *, images: bool = True) -> CartView:
    """The cart as it stands today: current prices, stock and problems. Lines whose product or
    bundle was deleted are left out. Checkout, which shows no pictures, passes ``images=False``."""
    if cart is None or not cart.items:
        return CartView(cart)
    return CartView(cart, await _views(session, list(cart.items), images=images))


async def _views(session: AsyncSession, items: list[CartItem], *, images: bool = True) -> list[CartLineView]:
    loaded = await _load(session, items, images=images)
    views = (_bundle_line(i, loaded) if i.bundle_id else _product_line(i, loaded) for i in items)
    return [view for view in views if view is not None]


# ---- changing a cart ------------------------------------------------------------------------
def _line_key(request: AddRequest) -> str:
    if request.bundle_id is not None:
        return f"b:{request.bundle_id}:" + ",".join(sorted(str(i) for i in request.bundle_items))
    if request.variant_id is not None:
        return f"v:{request.variant_id}"
    return f"p:{request.product_id}"


def _clean_details(details: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {key: value.strip() for key, value in details if key in GIFT_CARD_FIELDS and value.strip()}


def _clamp(view: CartLineView, wanted: int) -> tuple[int, CartNotice | None]:
    wanted = min(wanted, MAX_QUANTITY)
    if view.available is not None and wanted > view.available:
        return view.available, CartNotice(f"Only {view.available} available.", "warning")
    return wanted, None


async def add_to_cart(session: AsyncSession, cart: Cart, request: AddRequest) -> CartNotice:
    """Add (or add more of) one product, variant or bundle. Refuses what cannot be sold and what is
    out of stock; clamps a quantity above stock with "Only N available"."""
    if request.quantity < 1:
        raise CartError("Choose a quantity of at least 1.")
    key = _line_key(request)
    item = next((i for i in cart.items if i.line_key == key), None)
    probe = item or CartItem(
        line_key=key,
        product_id=request.product_id if request.bundle_id is None else None,
        variant_id=request.variant_id if request.bundle_id is None else None,
        bundle_id=request.bundle_id,
        bundle_items=sorted(str(i) for i in request.bundle_items),
        quantity=0,
        details={},
    )
    with session.no_autoflush:  # a new cart is written with this line, after the reads
        loaded = await _load(session, [probe], images=False)
    view = _bundle_line(probe, loaded) if probe.bundle_id else _product_line(probe, loaded)
    if view is None:
        raise CartError("That item is not for sale.")
    _check_new_line(view, request, loaded)
    if view.available is not None and view.available <= 0:
        raise CartError(f"Sorry, {view.name} is out of stock.")
    if item is None and len(cart.items) >= MAX_LINES:
        raise CartError(f"A cart holds at most {MAX_LINES} different items.")
    quantity, notice = _clamp(view, probe.quantity + request.quantity)
    if quantity <= probe.quantity:
        return CartNotice(f"You already have all {view.available} available in your cart.", "warning")
    probe.quantity = quantity
    probe.seen_price = view.unit_price
    if view.is_gift_card:
        probe.details = _clean_details(request.details)
    if item is None:
        cart.items.append(probe)
    await session.flush()
    return notice or CartNotice(f"Added {view.name} to your cart.")


def _check_new_line(view: CartLineView, request: AddRequest, loaded: _Loaded) -> None:
    if view.problem.startswith("No longer sold"):
        raise CartError("That item is not for sale.")
    if request.bundle_id is None:
        product = loaded.products[request.product_id] if request.product_id else None
        if product is not None and request.variant_id is None and product.id in loaded.has_variants:
            raise CartError("Choose an option first.")
        variant = loaded.variants.get(request.variant_id) if request.variant_id else None
        if variant is not None and product is not None and variant.product_id != product.id:
            raise CartError("That option does not belong to this product.")
        if product is not None and product.is_subscription:
            raise CartError("Subscriptions are bought on their own: use Subscribe on the product page.")
        if view.is_gift_card:
            email = dict(request.details).get("recipient_email", "").strip()
            if "@" not in email or len(email) > 254:
                raise CartError("Enter the email address the gift card should be sent to.")


def _item(cart: Cart, item_id: UUID) -> CartItem:
    item = next((i for i in cart.items if i.id == item_id), None)
    if item is None:
        raise CartError("That item is no longer in your cart.")
    return item


async def set_quantity(session: AsyncSession, cart: Cart, item_id: UUID, quantity: int) -> CartNotice:
    """Change a line's quantity (0 removes it), clamped to stock."""
    item = _item(cart, item_id)
    if quantity <= 0:
        return await remove_line(session, cart, item_id)
    view = await _views(session, [item], images=False)
    if not view:
        raise CartError("That item is not for sale any more.")
    clamped, notice = _clamp(view[0], quantity)
    if clamped <= 0:
        raise CartError(f"Sorry, {view[0].name} is out of stock: remove it from your cart.")
    item.quantity = clamped
    item.seen_price = view[0].unit_price
    await session.flush()
    return notice or CartNotice("Cart updated.")


async def remove_line(session: AsyncSession, cart: Cart, item_id: UUID) -> CartNotice:
    item = _item(cart, item_id)
    cart.items.remove(item)
    await session.flush()
    return CartNotice("Removed from your cart.")


async def acknowledge_prices(session: AsyncSession, cart: Cart, view: CartView) -> None:
    """The customer has seen today's prices: stop flagging them as changed."""
    for line in view.lines:
        line.item.seen_price = line.unit_price
    await session.flush()


async def empty_cart(session: AsyncSession, cart_id: UUID) -> None:
    """After an order is placed: the cart's lines and codes are gone; the cart row stays. The
    lines go at once; the codes, and whatever else the caller has pending, with its next flush
    (placing an order writes its rows in as few flushes as it can)."""
    await session.execute(
        delete(CartItem).where(CartItem.cart_id == cart_id), execution_options={"autoflush": False}
    )
    cart = await session.get(Cart, cart_id)
    if cart is not None:
        cart.discount_codes, cart.gift_card_codes = [], []


async def set_codes(
    session: AsyncSession, cart: Cart, *, discount_codes: list[str], gift_card_codes: list[str]
) -> None:
    cart.discount_codes, cart.gift_card_codes = discount_codes, gift_card_codes
    await session.flush()


_BADGE = (
    select(func.coalesce(func.sum(CartItem.quantity), 0))
    .join(Cart)
    .where((Cart.customer_id == bindparam("customer_id")) | (Cart.token_hash == bindparam("token_hash")))
)


async def badge_count(customer_id: UUID | None, token: str | None) -> int:
    """The header badge: units in the customer's cart plus any guest cart this browser still holds
    (it merges into theirs when they next open the cart). No ORM session: one read on a hot path."""
    rows = await read_rows(
        _BADGE, {"customer_id": customer_id, "token_hash": token_hash(token) if token else None}
    )
    return int(rows[0][0]) if rows else 0
