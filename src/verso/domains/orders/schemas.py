"""JSON shapes of the orders and cart API (/api/v1/orders, /api/v1/cart): what the OpenAPI document
describes, what the handlers return and accept. Money is integer minor units of ``currency``.

Bodies only check types and sizes (a wrong type answers 400); which statuses exist and which
changes an order's state allows are the services' rules (422 and 409, see ``api``). The API spells
the order's fulfilment status ``fulfillment_status``, as integrators expect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from verso.domains.orders.models import Order, OrderLine, Shipment
from verso.domains.shop.services import AddRequest, CartLineView, CartNotice, CartView

INT_MAX = 2**31 - 1
Minor = Annotated[int, Meta(description="An amount in minor units of the currency (1250 = 12.50 EUR).")]


# ---- orders -----------------------------------------------------------------------------------
class OrderLineOut(msgspec.Struct):
    """What was bought, at the price paid."""

    id: UUID
    product_id: Annotated[UUID | None, Meta(description="The product, or null for a bundle line.")]
    variant_id: Annotated[UUID | None, Meta(description="The variant bought, if any.")]
    bundle_id: Annotated[UUID | None, Meta(description="The bundle, for a bundle line.")]
    name: str
    variant_name: Annotated[str, Meta(description="The variant's label, or a bundle's contents.")]
    sku: str
    unit_price: Minor
    quantity: int
    subtotal: Annotated[int, Meta(description="unit_price × quantity, in minor units.")]  # noqa: RUF001
    discount: Minor
    tax: Minor
    total: Annotated[int, Meta(description="What the line cost after its discount, in minor units.")]
    shipped_quantity: Annotated[int, Meta(description="Units sent so far.")]
    refunded_quantity: Annotated[int, Meta(description="Units refunded so far.")]
    is_digital: bool
    is_gift_card: bool


class ShipmentOut(msgspec.Struct):
    id: UUID
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime
    delivered_at: datetime | None


class OrderOut(msgspec.Struct):
    """An order with its lines and shipments. Money in minor units of ``currency``."""

    id: UUID
    number: Annotated[str, Meta(description="The number people read and say, e.g. VRS-2026-000123.")]
    status: Annotated[
        str,
        Meta(description="pending, paid, processing, shipped, delivered, cancelled or refunded."),
    ]
    fulfillment_status: Annotated[
        str, Meta(description="unfulfilled, partial, shipped, ready (for pickup), delivered or returned.")
    ]
    customer_id: Annotated[UUID | None, Meta(description="The customer's account, or null for a guest.")]
    email: str
    name: str
    currency: Annotated[str, Meta(description="ISO 4217 code of every amount here.")]
    subtotal: Minor
    discount_total: Minor
    shipping_total: Minor
    tax_total: Minor
    total: Minor
    gift_card_total: Annotated[int, Meta(description="Paid with gift cards, in minor units.")]
    amount_due: Annotated[int, Meta(description="Paid (or to pay) by card or transfer, in minor units.")]
    refunded_total: Minor
    delivery: Annotated[
        Literal["ship", "pickup"],
        Meta(
            description="ship, or pickup: the customer collects at the shop (shipping_address is the shop's)."
        ),
    ]
    shipping_method: str
    shipping_address: Annotated[
        dict[str, str] | None,
        Meta(description="name, line1, line2, city, state, postcode, country, phone; null: nothing shipped."),
    ]
    payment_provider: str
    tracking_number: Annotated[
        str | None, Meta(description="The latest shipment's tracking number, or null before shipping.")
    ]
    lines: list[OrderLineOut]
    shipments: Annotated[list[ShipmentOut], Meta(description="Parcels sent, oldest first.")]
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None


class OrderPage(msgspec.Struct):
    items: list[OrderOut]
    page: int
    per_page: int
    total: Annotated[int, Meta(description="Orders matching the filters, on every page.")]
    pages: int


class OrderPatch(msgspec.Struct, forbid_unknown_fields=True):
    """A change to an order: only the fields sent (and not null) change."""

    status: (
        Annotated[
            str,
            Meta(
                max_length=20,
                description="paid, processing, shipped (everything left, with `tracking_number` and "
                "`carrier`), delivered or cancelled; only along the allowed transitions (else 409). The "
                "order's current status changes nothing.",
            ),
        ]
        | None
    ) = None
    fulfillment_status: (
        Annotated[
            str,
            Meta(
                max_length=20,
                description="unfulfilled, partial, shipped, ready (for pickup), delivered or returned.",
            ),
        ]
        | None
    ) = None
    tracking_number: (
        Annotated[
            str,
            Meta(
                max_length=100,
                description="With status shipped: the new shipment's. Alone: corrects the latest "
                "shipment's (409 when nothing has shipped yet).",
            ),
        ]
        | None
    ) = None
    carrier: (
        Annotated[str, Meta(max_length=60, description="The carrier, with the tracking number.")] | None
    ) = None


def _line(line: OrderLine) -> OrderLineOut:
    return OrderLineOut(
        id=line.id,
        product_id=line.product_id,
        variant_id=line.variant_id,
        bundle_id=line.bundle_id,
        name=line.name,
        variant_name=line.variant_name,
        sku=line.sku,
        unit_price=line.unit_price,
        quantity=line.quantity,
        subtotal=line.subtotal,
        discount=line.discount,
        tax=line.tax,
        total=line.total,
        shipped_quantity=line.shipped_quantity,
        refunded_quantity=line.refunded_quantity,
        is_digital=line.is_digital,
        is_gift_card=line.is_gift_card,
    )


def _shipment(shipment: Shipment) -> ShipmentOut:
    return ShipmentOut(
        id=shipment.id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
    )


def order_out(order: Order, shipments: list[Shipment]) -> OrderOut:
    """``order`` (lines loaded) as the API shows it; ``shipments`` oldest first."""
    return OrderOut(
        id=order.id,
        number=order.number,
        status=order.status,
        fulfillment_status=order.fulfilment_status,
        customer_id=order.customer_id,
        email=order.email,
        name=order.name,
        currency=order.currency,
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        total=order.total,
        gift_card_total=order.gift_card_total,
        amount_due=order.amount_due,
        refunded_total=order.refunded_total,
        delivery=order.delivery,  # type: ignore[arg-type]  # "ship" or "pickup", as written
        shipping_method=order.shipping_method,
        shipping_address=order.shipping_address,
        payment_provider=order.payment_provider,
        tracking_number=shipments[-1].tracking_number if shipments else None,
        lines=[_line(line) for line in order.lines],
        shipments=[_shipment(s) for s in shipments],
        created_at=order.created_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        delivered_at=order.delivered_at,
        cancelled_at=order.cancelled_at,
    )


# ---- the cart ---------------------------------------------------------------------------------
class CartLineOut(msgspec.Struct):
    """One cart line at today's price."""

    id: Annotated[UUID, Meta(description="The line's id (`item_id` in PATCH).")]
    product_id: UUID | None
    variant_id: UUID | None
    bundle_id: UUID | None
    name: str
    variant_name: str
    unit_price: Annotated[int, Meta(description="Today's price of one unit, in minor units.")]
    quantity: int
    total: Annotated[int, Meta(description="unit_price × quantity, in minor units.")]  # noqa: RUF001
    price_was: Annotated[
        int | None, Meta(description="The unit price when added, if it has changed since; else null.")
    ]
    problem: Annotated[
        str | None, Meta(description="Why the line cannot be bought as it is (checkout refuses); else null.")
    ]


class CartProblem(msgspec.Struct):
    item_id: UUID
    message: str


class CartNoticeOut(msgspec.Struct):
    message: Annotated[str, Meta(description='What the change did, e.g. "Only 3 available."')]
    level: Annotated[str, Meta(description="success, or warning when less was done than asked.")]


class CartOut(msgspec.Struct):
    """The caller's cart as it stands today."""

    currency: str
    lines: list[CartLineOut]
    count: Annotated[int, Meta(description="Units in the cart.")]
    subtotal: Annotated[int, Meta(description="Sum of the line totals, before discounts, shipping and tax.")]
    problems: Annotated[list[CartProblem], Meta(description="Lines to fix before checkout (empty: none).")]
    notice: Annotated[CartNoticeOut | None, Meta(description="After a change: what it did.")] = None


class CartAdd(msgspec.Struct, forbid_unknown_fields=True):
    """Add (or add more of) a product, a variant or a bundle."""

    product_id: Annotated[
        UUID | None, Meta(description="The product (with `variant_id` if it has variants).")
    ] = None
    variant_id: UUID | None = None
    bundle_id: Annotated[UUID | None, Meta(description="A bundle instead of a product.")] = None
    bundle_items: Annotated[
        list[UUID], Meta(max_length=50, description="A bundle's chosen optional items (bundle item ids).")
    ] = msgspec.field(default_factory=list)
    quantity: Annotated[
        int,
        Meta(
            ge=-INT_MAX, le=INT_MAX, description="At least 1; above the stock it is lowered (see `notice`)."
        ),
    ] = 1
    details: Annotated[
        dict[Annotated[str, Meta(max_length=40)], Annotated[str, Meta(max_length=500)]],
        Meta(
            max_length=10,
            description="A gift card's recipient_email (required for one), recipient_name, "
            "sender_name and message.",
        ),
    ] = msgspec.field(default_factory=dict)

    def to_request(self) -> AddRequest:
        return AddRequest(
            product_id=self.product_id,
            variant_id=self.variant_id,
            bundle_id=self.bundle_id,
            bundle_items=frozenset(self.bundle_items),
            quantity=self.quantity,
            details=tuple(self.details.items()),
        )


class CartChange(msgspec.Struct, forbid_unknown_fields=True):
    item_id: Annotated[UUID, Meta(description="The line's `id`.")]
    quantity: Annotated[int, Meta(ge=0, le=INT_MAX, description="The new quantity; 0 removes the line.")]


def _cart_line(line: CartLineView) -> CartLineOut:
    item = line.item
    return CartLineOut(
        id=item.id,
        product_id=item.product_id,
        variant_id=item.variant_id,
        bundle_id=item.bundle_id,
        name=line.name,
        variant_name=line.variant_name,
        unit_price=line.unit_price,
        quantity=line.quantity,
        total=line.total,
        price_was=line.price_was,
        problem=line.problem or None,
    )


def cart_out(view: CartView, *, currency: str, notice: CartNotice | None = None) -> CartOut:
    return CartOut(
        currency=currency,
        lines=[_cart_line(line) for line in view.lines],
        count=view.count,
        subtotal=view.subtotal,
        problems=[CartProblem(item_id=line.item.id, message=line.problem) for line in view.problems],
        notice=CartNoticeOut(message=notice.message, level=notice.level) if notice else None,
    )
