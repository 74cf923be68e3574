"""What the staff calendar pages share: their URLs and permissions, the business zone and today in
it, and how a refused form travels back to its page (409 for a clash, 422 otherwise)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY
from msgspec import Meta

from verso.domains.ops.services import business_cache
from verso.domains.scheduling.services import BookingError, PolicyError
from verso.lib import clock
from verso.lib.forms import NON_FIELD, FormState, parse_form

STAFF = {"setup_gate": True}
READ, WRITE = "scheduling.appointments.read", "scheduling.appointments.write"
CALENDAR = "/admin/scheduling/calendar"
APPOINTMENTS = "/admin/scheduling/appointments"
CHECK_IN = "/admin/scheduling/check-in"
WAITLIST = "/admin/scheduling/waitlist"
T = "scheduling/calendar/"
NO_STORE = {"Cache-Control": "no-store"}  # a page showing a feed URL (a credential) is never cached
FEED_KINDS = ("staff", "resource")
Time = Annotated[str, Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", extra={"error": "Enter a time as HH:MM."})]
Reason = Annotated[str, Meta(max_length=300)]


def zone() -> str:
    return business_cache.current().timezone


def today() -> date:
    return clock.to_zone(clock.utcnow(), zone()).date()


class Refused(Exception):
    """A form the view cannot act on: its state (values and errors) and the HTTP status to answer."""

    def __init__(self, form: FormState, status: int = HTTP_422_UNPROCESSABLE_ENTITY) -> None:
        super().__init__("refused")
        self.form, self.status = form, status


def parsed(submitted: Any, schema: type[Any]) -> Any:
    data, form = parse_form(submitted, schema)
    if data is None:
        raise Refused(form)
    return data


def refusal(form: FormState, error: BookingError | PolicyError, time_field: str = NON_FIELD) -> Refused:
    """A service's refusal on the form: a booking clash answers 409, anything else 422."""
    if isinstance(error, BookingError):
        form.add_error(time_field if error.field == "start" else NON_FIELD, error.message)
        return Refused(form, HTTP_409_CONFLICT if error.conflict else HTTP_422_UNPROCESSABLE_ENTITY)
    form.add_error(NON_FIELD, error.message)
    return Refused(form)


def submitted_state(submitted: Any) -> FormState:
    """The form as submitted, to show again with a service's refusal."""
    return FormState(values={key: submitted.get(key) for key in submitted})
