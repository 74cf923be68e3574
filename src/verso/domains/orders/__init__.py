"""Orders: checkout, payments (Stripe and offline), stock holds, orders with shipments, refunds and
a timeline, customer order history, digital downloads and subscriptions."""

from verso.domains.orders import api, views
from verso.domains.orders.services._payments import PAYMENT_JOBS
from verso.domains.shop import module  # one switch: a shop that sells also takes orders

routes = [*views.routes, *api.routes]
listeners: list = []
jobs: list = [*PAYMENT_JOBS]

__all__ = ["jobs", "listeners", "module", "routes"]
