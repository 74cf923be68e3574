"""Scheduling: appointment types, staff availability, resources, the slot engine, booking with
policies, the waitlist, check-in, the staff calendar and calendar feeds."""

from verso.domains.scheduling import api, views
from verso.domains.scheduling.services import REMINDER_JOBS, SETTLE_JOBS, SETTLE_LISTENERS, WAITLIST_JOBS
from verso.lib.modules import Module

routes = [*views.routes, *api.routes]
module = Module("scheduling", "Scheduling", "Appointment booking, staff calendars and check-in")
listeners: list = [*SETTLE_LISTENERS]
jobs: list = [*REMINDER_JOBS, *WAITLIST_JOBS, *SETTLE_JOBS]

__all__ = ["jobs", "listeners", "module", "routes"]
