"""The orders domain's business actions. Other domains use only what is exported here (scheduling
sells appointments through :func:`place_service_order` and the same payment providers)."""

from verso.domains.orders.services._emails import send_order_email
from verso.domains.orders.services._lifecycle import (
    OrderError,
    RefundInput,
    cancel,
    load_order,
    refund,
    refundable,
)
from verso.domains.orders.services._payments import (
    instructions_of,
    latest_payment,
    payment_providers,
    start_payment,
)
from verso.domains.orders.services._placing import (
    CARD_PROVIDERS,
    Placement,
    ServiceCharge,
    place_service_order,
)

__all__ = [
    "CARD_PROVIDERS",
    "OrderError",
    "Placement",
    "RefundInput",
    "ServiceCharge",
    "cancel",
    "instructions_of",
    "latest_payment",
    "load_order",
    "payment_providers",
    "place_service_order",
    "refund",
    "refundable",
    "send_order_email",
    "start_payment",
]
