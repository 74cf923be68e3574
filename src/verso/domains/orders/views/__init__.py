"""The orders domain's HTML pages: checkout, staff order management, the customer's orders,
addresses and downloads, and inbound payment webhooks."""

from verso.domains.orders.views import (
    _account,
    _addresses,
    _admin,
    _checkout,
    _downloads,
    _order_page,
    _subscriptions,
    _webhooks,
)

routes = [
    *_checkout.routes,
    *_order_page.routes,
    *_account.routes,
    *_addresses.routes,
    *_downloads.routes,
    *_admin.routes,
    *_subscriptions.routes,
    *_webhooks.routes,
]

__all__ = ["routes"]
