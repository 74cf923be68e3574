"""The orders domain's HTML pages: checkout, staff order management, the customer's orders,
addresses and downloads."""

from verso.domains.orders.views import _addresses, _admin, _checkout, _downloads, _order_page, _webhooks

routes = [*_checkout.routes, *_order_page.routes, *_addresses.routes, *_downloads.routes, *_webhooks.routes, *_admin.routes]

__all__ = ["routes"]
