"""Properties every slot list keeps, on random calendars, exceptions and bookings around both
daylight-saving changes in Paris and New York. Every time is on a quarter hour, so checking each
quarter hour of the search range with ``why_not`` checks every start ``free_slots`` could offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from verso.domains.scheduling.slots import (
    AppointmentRule,
    Booking,
    DayOverride,
    Policy,
    ResourceBusy,
    Slot,
    StaffCalendar,
    WeeklyHours,
    free_slots,
    utc_range,
    why_not,
)

QUARTER = timedelta(minutes=15)
ZONES = st.sampled_from([ZoneInfo("UTC"), ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York")])
# New York and Paris change clocks on these dates (spring and autumn), and one ordinary day.
DAYS = st.sampled_from(
    [date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1), date(2026, 6, 15)]
)
KEYS = ("a", "b", "c")
ROOMS = ("r1", "r2")


# Strategies are built once, here: building them inside each draw costs more than the engine does.


def quarters(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(min_value=low, max_value=high).map(lambda n: n * QUARTER)


def _wall(ends: list[int]) -> tuple[time, time]:
    first, last = sorted(ends)
    return time(first // 4, first % 4 * 15), time(last // 4 % 24, last % 4 * 15)


# A quarter-hour wall-clock range; an end at 24:00 is written 00:00.
WALL = st.lists(st.integers(min_value=0, max_value=96), min_size=2, max_size=2, unique=True).map(_wall)
CLOSED = st.sampled_from([None, *range(7)])
EXTRA = st.lists(st.tuples(st.integers(min_value=0, max_value=6), WALL), max_size=1)
EXCEPTIONS = st.lists(st.tuples(st.integers(min_value=-1, max_value=1), WALL | st.none()), max_size=2)
RULES = st.builds(
    AppointmentRule,
    duration=quarters(1, 6),
    buffer_before=quarters(0, 2),
    buffer_after=quarters(0, 2),
    step=quarters(1, 4),
    min_notice=quarters(0, 16),
    window=st.sampled_from([timedelta(hours=12), timedelta(days=1), timedelta(days=60), timedelta(days=60)]),
    max_per_day=st.none() | st.integers(min_value=1, max_value=3),
    seats=st.sampled_from([1, 3]),
    type_key=st.just("t"),
    needs_resource=st.booleans(),
)
STAFF_COUNT = st.integers(min_value=1, max_value=3)
# Bookings: staff index, offset from the search start, length (None: the rule's), buffers, type,
# seats taken and resource. Half of them have the rule's length, so some are sessions to join.
BOOKINGS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),
        quarters(-8, 100),
        st.sampled_from([None, None, QUARTER * 2, QUARTER * 5]),
        quarters(0, 2),
        quarters(0, 2),
        st.sampled_from(["t", "t", "u"]),
        st.integers(min_value=1, max_value=3),
        st.sampled_from([None, *ROOMS]),
    ),
    max_size=6,
)
BUSY = st.lists(st.tuples(st.sampled_from(ROOMS), quarters(-8, 100), quarters(1, 8)), max_size=2)
ASSIGNED = st.lists(st.sampled_from([None, 1, 2]), min_size=3, max_size=3)
NOW = quarters(-96, 24)
HOLIDAYS = st.sampled_from([(), (), (), (0,), (1,)])
RESOURCES = st.sampled_from([(), ("r1",), ROOMS, ROOMS[::-1]])
POLICIES = st.sampled_from(["round_robin", "least_busy"])


def calendar(draw: st.DrawFn, key: str, day: date) -> StaffCalendar:
    """Hours every day but one (or every day), an extra range on one weekday, and a few exceptions."""
    span, closed = draw(WALL), draw(CLOSED)
    hours = [WeeklyHours(weekday, *span) for weekday in range(7) if weekday != closed]
    hours += [WeeklyHours(weekday, *other) for weekday, other in draw(EXTRA)]
    overrides = tuple(
        DayOverride(day + timedelta(days=offset), custom is None, *(custom or ()))
        for offset, custom in draw(EXCEPTIONS)
    )
    return StaffCalendar(key, draw(ZONES), tuple(hours), overrides)


@dataclass(frozen=True)
class World:
    rule: AppointmentRule
    calendars: tuple[StaffCalendar, ...]
    bookings: tuple[Booking, ...]
    start: datetime
    end: datetime
    now: datetime
    holidays: frozenset[date]
    resources: tuple[str, ...]
    resource_busy: tuple[ResourceBusy, ...]
    policy: Policy
    last_assigned: dict[str, datetime] = field(default_factory=dict)

    def slots(self) -> list[Slot]:
        return free_slots(
            self.rule,
            self.calendars,
            self.bookings,
            start=self.start,
            end=self.end,
            now=self.now,
            holidays=self.holidays,
            resources=self.resources,
            resource_busy=self.resource_busy,
            policy=self.policy,
            last_assigned=self.last_assigned,
        )

    def bookable(self, moment: datetime, staff: str | None) -> bool:
        refusal = why_not(
            self.rule,
            self.calendars,
            self.bookings,
            slot_start=moment,
            staff=staff,
            now=self.now,
            holidays=self.holidays,
            resources=self.resources,
            resource_busy=self.resource_busy,
        )
        return refusal is None


@st.composite
def worlds(draw: st.DrawFn) -> World:
    day = draw(DAYS)
    start, end = utc_range(day, day, draw(ZONES))
    keys = KEYS[: draw(STAFF_COUNT)]
    rule = draw(RULES)
    bookings = tuple(
        Booking(keys[who % len(keys)], start + offset, start + offset + (length or rule.duration), *rest)
        for who, offset, length, *rest in draw(BOOKINGS)
    )
    busy = tuple(
        ResourceBusy(room, start + offset, start + offset + length) for room, offset, length in draw(BUSY)
    )
    days_ago = zip(keys, draw(ASSIGNED), strict=False)
    return World(
        rule=rule,
        calendars=tuple(calendar(draw, key, day) for key in keys),
        bookings=bookings,
        start=start,
        end=end,
        now=start + draw(NOW),
        holidays=frozenset(day + timedelta(days=n) for n in draw(HOLIDAYS)),
        resources=draw(RESOURCES),
        resource_busy=busy,
        policy=draw(POLICIES),
        last_assigned={key: start - timedelta(days=n) for key, n in days_ago if n is not None},
    )


def wall_ranges_on(
    calendar: StaffCalendar, day: date, holidays: frozenset[date]
) -> list[tuple[datetime, datetime]]:
    """The opening ranges of ``day`` as the docs describe them, written out independently: holidays
    and blocked days closed, custom hours replacing weekly ones, wall times read with fold=0."""
    overrides = [o for o in calendar.overrides if o.day == day]
    if day in holidays or any(o.blocked for o in overrides):
        return []
    walls = [(o.start, o.end) for o in overrides] or [
        (h.start, h.end) for h in calendar.hours if h.weekday == day.weekday()
    ]
    spans = []
    for first, last in walls:
        end_day = day + timedelta(days=1) if last == time(0) else day
        opens = datetime.combine(day, first, tzinfo=calendar.zone).astimezone(UTC)
        spans.append((opens, datetime.combine(end_day, last, tzinfo=calendar.zone).astimezone(UTC)))
    return spans


def is_session(world: World, booking: Booking, slot: Slot) -> bool:
    """Whether ``slot`` could be a seat in ``booking``, the one booking it may overlap."""
    same_time = (booking.start, booking.end) == (slot.start, slot.end)
    return world.rule.seats > 1 and booking.type_key == world.rule.type_key and same_time


def policy_order(world: World, slot: Slot) -> list[str]:
    """``slot.staff`` sorted by the documented policy, written out independently."""
    calendars = {calendar.key: calendar for calendar in world.calendars}
    position = {key: i for i, key in enumerate(calendars)}

    def round_robin(key: str) -> tuple[bool, datetime, int]:
        last = world.last_assigned.get(key)
        return last is not None, last or datetime.min.replace(tzinfo=UTC), position[key]

    def busy(key: str) -> int:
        zone = calendars[key].zone
        day = slot.start.astimezone(zone).date()
        return sum(b.staff == key and b.start.astimezone(zone).date() == day for b in world.bookings)

    if world.policy == "least_busy":
        return sorted(slot.staff, key=lambda key: (busy(key), round_robin(key)))
    return sorted(slot.staff, key=round_robin)


@settings(max_examples=120, deadline=None)
@given(world=worlds())
def test_every_slot_is_open_free_timely_sorted_and_bookable(world: World) -> None:
    rule, slots = world.rule, world.slots()
    calendars = {calendar.key: calendar for calendar in world.calendars}
    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    for slot in slots:
        assert world.start <= slot.start < world.end
        assert world.now + rule.min_notice <= slot.start <= world.now + rule.window
        assert slot.end - slot.start == rule.duration
        assert 1 <= slot.seats_left <= rule.seats
        joined = slot.seats_left < rule.seats  # a session keeps the resource it has, even none
        assert slot.resource is not None or not rule.needs_resource or joined
        assert {key for key in calendars if world.bookable(slot.start, key)} == set(slot.staff)
        assert list(slot.staff) == policy_order(world, slot)
        wanted = (slot.start - rule.buffer_before, slot.end + rule.buffer_after)
        for key in slot.staff:
            calendar = calendars[key]
            day = slot.start.astimezone(calendar.zone).date()
            ranges = wall_ranges_on(calendar, day, world.holidays)
            assert any(opens <= slot.start and slot.end <= closes for opens, closes in ranges)
            for booking in world.bookings:
                if booking.staff != key or is_session(world, booking, slot):
                    continue
                blocked = (booking.start - booking.buffer_before, booking.end + booking.buffer_after)
                assert wanted[1] <= blocked[0] or blocked[1] <= wanted[0]


@settings(max_examples=80, deadline=None)
@given(world=worlds())
def test_why_not_accepts_exactly_the_starts_free_slots_offers(world: World) -> None:
    offered = {slot.start for slot in world.slots()}
    moment = world.start
    while moment < world.end:
        assert world.bookable(moment, None) == (moment in offered), moment
        moment += QUARTER
