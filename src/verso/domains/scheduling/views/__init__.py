"""Scheduling pages: staff set-up (with booking blocks), the public booking flow, the staff calendar
and check-in, and the customer's own appointments."""

from verso.domains.scheduling.views import _blocks, _booking, _calendar, _portal, _setup

routes = [*_setup.routes, *_blocks.routes, *_booking.routes, *_calendar.routes, *_portal.routes]
