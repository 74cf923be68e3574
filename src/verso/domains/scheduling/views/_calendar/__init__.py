"""The staff side of bookings: the day, week and month calendar with its feeds, one appointment's
page and actions, booking on a customer's behalf, the check-in desk and the waitlist."""

from verso.domains.scheduling.views._calendar import _appointment, _board, _desk, _new, _waitlist

routes = [*_board.routes, *_appointment.routes, *_new.routes, *_desk.routes, *_waitlist.routes]
__all__ = ["routes"]
