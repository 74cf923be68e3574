"""Payment providers behind one interface: Stripe Checkout and offline methods (bank transfer, pay on
pickup), Stripe subscriptions, plus Stripe webhook verification and parsing.

Infrastructure only: no models, no routes. The orders domain builds :class:`PaymentProviders` from a
:class:`PaymentConfig` filled from settings, calls ``start`` at checkout (a :class:`Redirect` or
:class:`AwaitStaff`), and feeds ``/webhooks/stripe`` bodies to :func:`verify_stripe_event`.
"""

from verso.lib.payments._config import STRIPE_API_BASE, PaymentConfig
from verso.lib.payments._errors import PaymentError, WebhookError
from verso.lib.payments._events import (
    CHARGE_REFUNDED,
    HANDLED_TYPES,
    INTENT_FAILED,
    INTENT_SUCCEEDED,
    SESSION_ASYNC_FAILED,
    SESSION_ASYNC_SUCCEEDED,
    SESSION_COMPLETED,
    SESSION_EXPIRED,
    SUBSCRIPTION_CREATED,
    SUBSCRIPTION_DELETED,
    SUBSCRIPTION_TYPES,
    SUBSCRIPTION_UPDATED,
    StripeEvent,
    parse_stripe_event,
    verify_stripe_event,
)
from verso.lib.payments._offline import OfflineMethod, OfflineProvider, group_iban
from verso.lib.payments._provider import (
    AwaitStaff,
    PaymentProvider,
    PaymentRequest,
    PaymentStart,
    PaymentState,
    PaymentStatus,
    Redirect,
    RefundResult,
    RefundState,
)
from verso.lib.payments._registry import PaymentProviders
from verso.lib.payments._signature import DEFAULT_TOLERANCE, sign_stripe_payload, verify_stripe_signature
from verso.lib.payments._stripe import StripeProvider
from verso.lib.payments._stripe_objects import ORDER_REFERENCE
from verso.lib.payments._subscriptions import (
    SUBSCRIPTION_REFERENCE,
    StripeSubscription,
    SubscriptionRequest,
    subscription_from,
)

__all__ = [
    "CHARGE_REFUNDED",
    "DEFAULT_TOLERANCE",
    "HANDLED_TYPES",
    "INTENT_FAILED",
    "INTENT_SUCCEEDED",
    "ORDER_REFERENCE",
    "SESSION_ASYNC_FAILED",
    "SESSION_ASYNC_SUCCEEDED",
    "SESSION_COMPLETED",
    "SESSION_EXPIRED",
    "STRIPE_API_BASE",
    "SUBSCRIPTION_CREATED",
    "SUBSCRIPTION_DELETED",
    "SUBSCRIPTION_REFERENCE",
    "SUBSCRIPTION_TYPES",
    "SUBSCRIPTION_UPDATED",
    "AwaitStaff",
    "OfflineMethod",
    "OfflineProvider",
    "PaymentConfig",
    "PaymentError",
    "PaymentProvider",
    "PaymentProviders",
    "PaymentRequest",
    "PaymentStart",
    "PaymentState",
    "PaymentStatus",
    "Redirect",
    "RefundResult",
    "RefundState",
    "StripeEvent",
    "StripeProvider",
    "StripeSubscription",
    "SubscriptionRequest",
    "WebhookError",
    "group_iban",
    "parse_stripe_event",
    "sign_stripe_payload",
    "subscription_from",
    "verify_stripe_event",
    "verify_stripe_signature",
]
