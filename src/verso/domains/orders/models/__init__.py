"""The orders domain's tables: orders and their lines, numbers and timeline; payments, webhook
events, refunds and subscriptions; stock holds, shipments and downloads; checkout drafts and saved
addresses."""

from verso.domains.orders.models._checkout import CheckoutDraft, SavedAddress
from verso.domains.orders.models._fulfilment import DownloadLog, DownloadToken, Shipment, StockHold
from verso.domains.orders.models._orders import (
    FULFILMENT_LABELS,
    FULFILMENT_STATUSES,
    STATUSES,
    Order,
    OrderCounter,
    OrderEvent,
    OrderLine,
)
from verso.domains.orders.models._payments import Payment, PaymentEvent, Refund, Subscription

__all__ = [
    "FULFILMENT_LABELS",
    "FULFILMENT_STATUSES",
    "STATUSES",
    "CheckoutDraft",
    "DownloadLog",
    "DownloadToken",
    "Order",
    "OrderCounter",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "PaymentEvent",
    "Refund",
    "SavedAddress",
    "Shipment",
    "StockHold",
    "Subscription",
]
