"""Scheduling: appointment types, staff availability, resources, the slot engine, booking with
policies, the waitlist, check-in, the staff calendar and calendar feeds."""

from verso.lib.modules import Module

routes: list = []
module = Module("scheduling", "Scheduling", "Appointment booking, staff calendars and check-in")
listeners: list = []
jobs: list = []

__all__ = ["jobs", "listeners", "module", "routes"]
