"""The orders domain's HTML pages: checkout, staff order management, the customer's orders,
addresses and downloads."""

from verso.domains.orders.views import _addresses, _downloads

routes = [*_addresses.routes, *_downloads.routes]

__all__ = ["routes"]
