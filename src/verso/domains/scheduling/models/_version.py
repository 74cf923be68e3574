"""The scheduling change counter: any write to the set-up (types, staff, hours, exceptions,
resources) or to bookings raises it, so the public booking pages cached for anonymous visitors are
rendered again on the next request, in every process."""

from verso.domains.scheduling.models._appointments import Appointment, Attendee
from verso.domains.scheduling.models._setup import (
    AppointmentType,
    AvailabilityException,
    Resource,
    StaffMember,
    WorkingHours,
)
from verso.lib.versions import ChangeCounter

schedule_version = ChangeCounter(
    "scheduling_version",
    (AppointmentType, StaffMember, WorkingHours, AvailabilityException, Resource, Appointment, Attendee),
)
