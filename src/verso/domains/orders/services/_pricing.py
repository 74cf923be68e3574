"""A cart priced for checkout: maps the cart, the customer and the shop's set-up (discounts, gift
cards, shipping zones, tax rates, settings) onto ``shop.pricing`` and runs it. Every figure a
checkout page or an order shows comes from here, so the page and the order always agree."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from verso.domains.ops.services import business_cache
from verso.domains.orders.models import Order
from verso.domains.shop import pricing
from verso.domains.shop.services import (
    CartLineView,
    CartView,
    CheckoutSettings,
    checkout_settings,
    collections_of,
    discount_uses,
    pricing_discounts,
    pricing_gift_cards,
    pricing_tax_rates,
    pricing_zones,
)
from verso.lib import clock
from verso.lib.money import format_money

PAID_STATUSES = ("paid", "processing", "shipped", "delivered")


@dataclass(frozen=True, slots=True)
class PricedCart:
    """``lines[i]`` prices ``view.lines[i]``. ``pickup_location`` is where the customer collects
    the order, when they chose to (and the shop offers it, and there is something to collect)."""

    view: CartView
    lines: tuple[pricing.CartLine, ...]
    totals: pricing.Totals
    settings: CheckoutSettings
    currency: str
    pickup_location: dict[str, str] | None = None

    @property
    def refusals(self) -> tuple[pricing.Refusal, ...]:
        return self.totals.refusals


def format_for(currency: str) -> partial[str]:
    """Amounts in customer-facing messages, in the business's currency and locale."""
    return partial(format_money, currency=currency, locale=business_cache.current().locale)


async def paid_orders(session: AsyncSession, *, customer_id: UUID | None, email: str) -> int:
    """How many paid orders the customer (or, for a guest, the email) has: new or returning."""
    owner = [func.lower(Order.email) == email.strip().lower()] if email else []
    if customer_id is not None:
        owner.append(Order.customer_id == customer_id)
    if not owner:
        return 0
    stmt = select(func.count()).where(or_(*owner), Order.status.in_(PAID_STATUSES))
    return int(await session.scalar(stmt) or 0)


def _cart_line(line: CartLineView, collections: dict[UUID, frozenset[UUID]]) -> pricing.CartLine:
    product_id = line.item.bundle_id or line.item.product_id
    assert product_id is not None
    return pricing.CartLine(
        product_id=product_id,
        unit_price=line.unit_price,
        quantity=line.quantity,
        variant_id=line.item.variant_id,
        collection_ids=collections.get(product_id, frozenset()),
        weight=line.weight,
        is_shippable=line.shippable and not line.is_gift_card,
        is_gift_card=line.is_gift_card,
    )


async def price_cart(
    session: AsyncSession,
    view: CartView,
    *,
    customer_id: UUID | None,
    email: str,
    address: dict[str, str] | None,
    shipping_rate_id: UUID | None,
    discount_codes: Sequence[str],
    gift_card_codes: Sequence[str],
    delivery: str = "ship",
) -> PricedCart:
    """``address`` is where to ship; with ``delivery`` "pickup" (when the shop offers it) the order
    is priced as collected at the shop instead, and taxed there."""
    settings = await checkout_settings(session)
    currency = business_cache.current().currency
    discounts = await pricing_discounts(session, discount_codes)
    wanted = {cid for d in discounts if d.applies_to == "collections" for cid in d.collection_ids}
    product_ids = [line.item.product_id for line in view.lines if line.item.product_id]
    collections = await collections_of(session, product_ids, sorted(wanted))
    lines = tuple(_cart_line(line, collections) for line in view.lines)
    collect = delivery == "pickup" and settings.pickup_offered and pricing.needs_shipping(lines)
    if collect:
        address = settings.pickup_location
    # What the customer did before matters only to a discount for new or returning customers or
    # with a per-customer limit: without one, neither is read.
    by_history = any(d.eligibility != "all" for d in discounts)
    by_uses = any(d.per_customer_limit is not None for d in discounts)
    customer = pricing.CustomerContext(
        customer_id=customer_id,
        paid_orders=await paid_orders(session, customer_id=customer_id, email=email) if by_history else 0,
        discount_uses=await discount_uses(session, customer_id=customer_id, email=email) if by_uses else {},
    )
    checkout = pricing.Checkout(
        lines=lines,
        customer=customer,
        discounts=discounts,
        codes=tuple(discount_codes),
        address=pricing.Address(
            country=address.get("country", ""),
            state=address.get("state", ""),
            postcode=address.get("postcode", ""),
        )
        if address
        else None,
        zones=await pricing_zones(session),
        shipping_rate_id=shipping_rate_id,
        tax_rates=await pricing_tax_rates(session),
        prices_include_tax=settings.prices_include_tax,
        gift_cards=await pricing_gift_cards(session, gift_card_codes),
        gift_card_codes=tuple(gift_card_codes),
        currency=currency,
        pickup=collect,
    )
    totals = pricing.price_checkout(checkout, now=clock.utcnow(), format_money=format_for(currency))
    return PricedCart(view, lines, totals, settings, currency, address if collect else None)
