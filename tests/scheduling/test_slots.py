"""The slot engine worked through by hand: opening hours and exceptions, buffers, notice and window,
daily caps, group seats, resources, "anyone" assignment, and both daylight-saving changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from verso.domains.scheduling.slots import (
    CONFLICTS,
    AppointmentRule,
    Booking,
    Code,
    DayOverride,
    Refusal,
    ResourceBusy,
    Slot,
    StaffCalendar,
    WeeklyHours,
    free_slots,
    utc_range,
    why_not,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = date(2026, 3, 2)
TUESDAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOUR = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), type_key="consult")


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = PARIS) -> datetime:
    """A wall-clock time in ``zone`` as the UTC instant the engine works with."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def weekdays(
    *ranges: tuple[int, int],
    key: str = "ana",
    zone: ZoneInfo = PARIS,
    overrides: tuple[DayOverride, ...] = (),
) -> StaffCalendar:
    """Monday to Friday, the same hours each day."""
    hours = tuple(WeeklyHours(d, time(a), time(b)) for d in range(5) for a, b in ranges)
    return StaffCalendar(key, zone, hours, overrides)


ANA = weekdays((9, 17))


def search(
    rule: AppointmentRule = HOUR,
    calendars: Sequence[StaffCalendar] = (ANA,),
    bookings: Sequence[Booking] = (),
    first: date = MONDAY,
    last: date | None = None,
    **options: object,
) -> list[Slot]:
    """Slots over whole local days in Paris, the way the booking page asks for them."""
    start, end = utc_range(first, last or first, PARIS)
    options.setdefault("now", NOW)
    return free_slots(rule, calendars, bookings, start=start, end=end, **options)  # type: ignore[arg-type]


def clock(slots: Sequence[Slot], zone: ZoneInfo = PARIS) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%H:%M") for slot in slots]


def refusal(slot_start: datetime, rule: AppointmentRule = HOUR, **options: object) -> Refusal | None:
    options.setdefault("now", NOW)
    options.setdefault("staff", "ana")
    calendars = options.pop("calendars", (ANA,))
    bookings = options.pop("bookings", ())
    return why_not(rule, calendars, bookings, slot_start=slot_start, **options)  # type: ignore[arg-type]


def booked(start: datetime, minutes: int = 60, staff: str = "ana", **fields: object) -> Booking:
    fields.setdefault("type_key", "consult")
    return Booking(staff, start, start + timedelta(minutes=minutes), **fields)  # type: ignore[arg-type]


def test_a_plain_weekday_steps_through_the_opening_hours() -> None:
    slots = search()
    assert clock(slots) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    assert slots[0] == Slot(
        datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC), ("ana",), 1
    )
    assert search(first=date(2026, 3, 7), last=date(2026, 3, 8)) == []  # the weekend has no hours


def test_several_ranges_a_day_each_hold_whole_slots() -> None:
    rule = AppointmentRule(timedelta(minutes=45), step=timedelta(minutes=30))
    split = StaffCalendar(
        "ana", PARIS, (WeeklyHours(0, time(9), time(12)), WeeklyHours(0, time(13, 30), time(17)))
    )
    assert clock(search(rule, (split,))) == [
        *("09:00", "09:30", "10:00", "10:30", "11:00"),
        *("13:30", "14:00", "14:30", "15:00", "15:30", "16:00"),
    ]


def test_a_range_ending_at_midnight_runs_to_the_end_of_the_day() -> None:
    late = StaffCalendar("ana", PARIS, (WeeklyHours(0, time(22), time(0)),))
    assert clock(search(calendars=(late,))) == ["22:00", "23:00"]


def test_days_off_custom_hours_and_holidays() -> None:
    calendar = weekdays(
        (9, 17),
        overrides=(
            DayOverride(MONDAY, blocked=True, reason="PTO"),
            DayOverride(TUESDAY, blocked=False, start=time(8), end=time(10), reason="Dentist"),
            DayOverride(TUESDAY, blocked=False, start=time(15), end=time(16)),
        ),
    )
    assert clock(search(calendars=(calendar,))) == []
    assert clock(search(calendars=(calendar,), first=TUESDAY)) == ["08:00", "09:00", "15:00"]
    assert search(first=TUESDAY, holidays=frozenset({TUESDAY})) == []
    assert search(calendars=(calendar,), first=TUESDAY, holidays=frozenset({TUESDAY})) == []  # holiday wins
    assert refusal(at(MONDAY, 10), calendars=(calendar,)) == Refusal(
        Code.CLOSED_DAY, "We are closed that day."
    )
    assert refusal(at(TUESDAY, 11), calendars=(calendar,)) == Refusal(
        Code.OUTSIDE_HOURS, "That time is outside opening hours."
    )


def test_the_existing_bookings_buffers_block_around_it() -> None:
    rule = AppointmentRule(timedelta(hours=1), step=timedelta(minutes=15))
    existing = booked(at(MONDAY, 11), buffer_before=timedelta(minutes=30), buffer_after=timedelta(minutes=15))
    slots = clock(search(rule, bookings=(existing,)))  # blocked 10:30-12:15
    assert slots[:4] == ["09:00", "09:15", "09:30", "12:15"]  # ending at 10:30 and starting at 12:15 touch
    assert len(slots) == 3 + 16


def test_the_new_types_buffers_block_around_it_even_outside_hours() -> None:
    rule = AppointmentRule(
        timedelta(hours=1),
        buffer_before=timedelta(minutes=10),
        buffer_after=timedelta(minutes=20),
        step=timedelta(minutes=15),
    )
    slots = clock(search(rule, bookings=(booked(at(MONDAY, 11)),)))
    assert slots[:4] == ["09:00", "09:15", "09:30", "12:15"]  # 09:30 + 80 = 10:50; 12:15 - 10 = 12:05
    assert slots[-1] == "16:00"  # its 20-minute buffer runs past closing time, which is allowed
    other_staff = booked(at(MONDAY, 11), staff="ben")
    assert len(search(rule, bookings=(other_staff,))) == 29


def test_minimum_notice_and_the_past() -> None:
    rule = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), min_notice=timedelta(hours=2))
    now = at(MONDAY, 8)
    assert clock(search(rule, now=now)) == ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    assert refusal(at(MONDAY, 9), rule, now=now) == Refusal(
        Code.NOTICE, "Bookings need at least 2 hours' notice."
    )
    assert refusal(at(MONDAY, 7), rule, now=now) == Refusal(Code.IN_PAST, "That time has passed.")
    one_day = AppointmentRule(timedelta(hours=1), min_notice=timedelta(hours=24))
    assert refusal(at(MONDAY, 9), one_day, now=now) == Refusal(
        Code.NOTICE, "Bookings need at least 1 day's notice."
    )


def test_the_booking_window_includes_its_last_moment() -> None:
    rule = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), window=timedelta(days=1))
    now = at(MONDAY, 10)
    slots = search(rule, now=now, last=TUESDAY)
    assert clock(slots) == ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "09:00", "10:00"]
    assert slots[-1].start == now + timedelta(days=1)
    assert refusal(at(TUESDAY, 11), rule, now=now) == Refusal(
        Code.WINDOW, "Bookings open at most 1 day ahead."
    )
    month = AppointmentRule(timedelta(hours=1), window=timedelta(days=30))
    assert refusal(at(date(2026, 6, 1), 9), month) == Refusal(
        Code.WINDOW, "Bookings open at most 30 days ahead."
    )


def test_the_daily_cap_counts_this_type_on_the_staff_members_local_day() -> None:
    capped = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), max_per_day=2, type_key="consult")
    two = (booked(at(MONDAY, 9)), booked(at(MONDAY, 11)))
    assert search(capped, bookings=two) == []
    assert len(search(capped, bookings=two, first=TUESDAY)) == 8
    mixed = (booked(at(MONDAY, 9)), booked(at(MONDAY, 11), type_key="massage"))
    assert clock(search(capped, bookings=mixed)) == ["10:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    cap = refusal(at(MONDAY, 14), capped, bookings=two)
    assert cap == Refusal(Code.DAILY_CAP, "No more of these appointments can be booked that day.")
    assert cap.conflict
    # 20:00 Monday in New York is 01:00 Tuesday in UTC: it still fills Monday's cap there.
    one = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), max_per_day=1, type_key="consult")
    ny = weekdays((9, 22), zone=NEW_YORK)
    evening = booked(at(MONDAY, 20, zone=NEW_YORK))
    assert evening.start == datetime(2026, 3, 3, 1, tzinfo=UTC)
    start, end = utc_range(MONDAY, TUESDAY, NEW_YORK)
    slots = free_slots(one, (ny,), (evening,), start=start, end=end, now=NOW)
    assert {slot.start.astimezone(NEW_YORK).date() for slot in slots} == {TUESDAY}


def test_group_sessions_offer_their_seats_left_and_block_when_full() -> None:
    yoga = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), seats=5, type_key="yoga")
    sessions = (
        booked(at(MONDAY, 10), type_key="yoga", seats_taken=3),
        booked(at(MONDAY, 14), type_key="yoga", seats_taken=5),
    )
    slots = search(yoga, bookings=sessions)
    assert [(t, s.seats_left) for t, s in zip(clock(slots), slots, strict=True)] == [
        ("09:00", 5),
        ("10:00", 2),
        ("11:00", 5),
        ("12:00", 5),
        ("13:00", 5),
        ("15:00", 5),
        ("16:00", 5),
    ]
    assert refusal(at(MONDAY, 10), yoga, bookings=sessions) is None
    assert refusal(at(MONDAY, 14), yoga, bookings=sessions) == Refusal(Code.FULL, "That session is full.")
    one_to_one = booked(at(MONDAY, 10), type_key="yoga")
    solo = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), type_key="yoga")
    assert refusal(at(MONDAY, 10), solo, bookings=(one_to_one,)) == Refusal(
        Code.TAKEN, "That time was just taken."
    )


def test_joining_a_session_is_not_a_new_booking_for_the_daily_cap() -> None:
    yoga = AppointmentRule(
        timedelta(hours=1), step=timedelta(hours=1), seats=5, type_key="yoga", max_per_day=1
    )
    session = booked(at(MONDAY, 10), type_key="yoga", seats_taken=3)
    slots = search(yoga, bookings=(session,))
    assert [(t, s.seats_left) for t, s in zip(clock(slots), slots, strict=True)] == [("10:00", 2)]
    assert refusal(at(MONDAY, 12), yoga, bookings=(session,)).code == Code.DAILY_CAP  # type: ignore[union-attr]


def test_an_off_grid_session_is_offered_and_blocks_the_grid_around_it() -> None:
    yoga = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), seats=4, type_key="yoga")
    session = booked(at(MONDAY, 10, 30), type_key="yoga", seats_taken=1)
    slots = search(yoga, bookings=(session,))
    assert clock(slots)[:3] == ["09:00", "10:30", "12:00"]
    assert slots[1].seats_left == 3
    assert refusal(at(MONDAY, 9, 30), yoga) == Refusal(
        Code.OFF_GRID, "Please choose one of the times offered."
    )


def test_a_slot_needing_a_resource_takes_the_first_free_one() -> None:
    rule = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), needs_resource=True)
    rooms = ("room-a", "room-b")
    busy = (ResourceBusy("room-a", at(MONDAY, 9), at(MONDAY, 10)),)
    other = booked(at(MONDAY, 13), staff="ben", resource="room-a", buffer_after=timedelta(minutes=15))
    slots = search(rule, bookings=(other,), resources=rooms, resource_busy=busy)
    assert [s.resource for s in slots] == [
        "room-b",
        "room-a",
        "room-a",
        "room-a",
        "room-b",
        "room-b",
        "room-a",
        "room-a",
    ]
    both = (*busy, ResourceBusy("room-b", at(MONDAY, 8), at(MONDAY, 12)))
    assert clock(search(rule, resources=rooms, resource_busy=both))[0] == "10:00"
    no_room = refusal(at(MONDAY, 9), rule, resources=rooms, resource_busy=both)
    assert no_room == Refusal(Code.NO_RESOURCE, "No room or equipment is free at that time.")
    assert search(rule) == []  # no candidate resources at all


def test_joining_a_group_session_keeps_its_resource() -> None:
    yoga = AppointmentRule(
        timedelta(hours=1), step=timedelta(hours=1), seats=4, type_key="yoga", needs_resource=True
    )
    session = booked(at(MONDAY, 10), type_key="yoga", seats_taken=1, resource="room-b")
    slots = search(yoga, bookings=(session,), resources=("room-a", "room-b"))
    assert [(s.resource, s.seats_left) for s in slots[:3]] == [("room-a", 4), ("room-b", 3), ("room-a", 4)]


TEAM = (weekdays((9, 17), key="a"), weekdays((9, 17), key="b"), weekdays((9, 17), key="c"))


def test_anyone_round_robin_puts_the_longest_unassigned_first() -> None:
    last = {"a": datetime(2026, 2, 28, tzinfo=UTC), "b": datetime(2026, 2, 1, tzinfo=UTC)}
    slots = search(calendars=TEAM, last_assigned=last, bookings=(booked(at(MONDAY, 10), staff="c"),))
    assert [s.staff for s in slots[:3]] == [("c", "b", "a"), ("b", "a"), ("c", "b", "a")]
    assert search(calendars=TEAM)[0].staff == ("a", "b", "c")  # nobody assigned yet: the order given


def test_anyone_least_busy_counts_the_local_day_and_ties_by_round_robin() -> None:
    bookings = (
        booked(at(MONDAY, 15), staff="a"),
        booked(at(TUESDAY, 9), staff="c"),
        booked(at(TUESDAY, 10), staff="c"),
    )
    last = {
        "a": datetime(2026, 2, 28, tzinfo=UTC),
        "b": datetime(2026, 2, 20, tzinfo=UTC),
        "c": datetime(2026, 2, 1, tzinfo=UTC),
    }
    slots = search(calendars=TEAM, bookings=bookings, last_assigned=last, policy="least_busy", last=TUESDAY)
    assert slots[0].staff == ("c", "b", "a")  # Monday 09:00: a has a booking that day, b and c none
    assert slots[6].staff == ("c", "b")  # Monday 15:00: a is busy
    assert (slots[10].start, slots[10].staff) == (at(TUESDAY, 11), ("b", "a", "c"))  # c has two on Tuesday


def test_anyone_reports_the_most_telling_refusal() -> None:
    off = weekdays((9, 17), key="a", overrides=(DayOverride(MONDAY, blocked=True),))
    busy = (booked(at(MONDAY, 9), staff="b"),)
    team = (off, weekdays((9, 17), key="b"))
    assert refusal(at(MONDAY, 9), calendars=team, bookings=busy, staff=None).code == Code.TAKEN  # type: ignore[union-attr]
    assert refusal(at(MONDAY, 10), calendars=team, bookings=busy, staff=None) is None
    with pytest.raises(ValueError, match="no calendar"):
        refusal(at(MONDAY, 9), staff="zoe")


def test_which_refusals_are_conflicts() -> None:
    assert {code.value for code in CONFLICTS} == {"taken", "full", "daily_cap", "no_resource"}
    assert not Refusal(Code.NOTICE, "").conflict


def test_bad_inputs_are_refused_early() -> None:
    with pytest.raises(ValueError, match="policy"):
        search(policy="busiest")
    with pytest.raises(ValueError, match="positive"):
        AppointmentRule(timedelta(0))
    with pytest.raises(ValueError, match="ends before"):
        WeeklyHours(0, time(17), time(9))
    with pytest.raises(ValueError, match="custom hours"):
        DayOverride(MONDAY, blocked=False)
    with pytest.raises(ValueError, match="no time zone"):
        refusal(datetime(2026, 3, 2, 9))


YEAR = AppointmentRule(timedelta(hours=1), step=timedelta(hours=1), window=timedelta(days=365))
EVERY_DAY = StaffCalendar("ana", PARIS, tuple(WeeklyHours(d, time(9), time(17)) for d in range(7)))
SPRING, FALL = date(2026, 3, 29), date(2026, 10, 25)


def offsets(slots: Sequence[Slot]) -> list[str]:
    return [slot.start.astimezone(PARIS).isoformat(timespec="minutes")[11:] for slot in slots]


@pytest.mark.parametrize(
    ("day", "first_utc"),
    [
        (date(2026, 3, 28), datetime(2026, 3, 28, 8, tzinfo=UTC)),
        (SPRING, datetime(2026, 3, 29, 7, tzinfo=UTC)),
        (date(2026, 10, 24), datetime(2026, 10, 24, 7, tzinfo=UTC)),
        (FALL, datetime(2026, 10, 25, 8, tzinfo=UTC)),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_daylight_saving(day: date, first_utc: datetime) -> None:
    slots = search(YEAR, (EVERY_DAY,), first=day)
    assert clock(slots) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    assert slots[0].start == first_utc


def night(day: date, start: time = time(1), end: time = time(4)) -> list[Slot]:
    """Slots on a 01:00-04:00 (by default) custom range, an hour long every half hour."""
    rule = AppointmentRule(timedelta(hours=1), step=timedelta(minutes=30), window=timedelta(days=365))
    calendar = StaffCalendar("ana", PARIS, (), (DayOverride(day, blocked=False, start=start, end=end),))
    return search(rule, (calendar,), first=day)


def test_spring_forward_night_has_two_real_hours() -> None:
    assert utc_range(SPRING, SPRING, PARIS) == (
        datetime(2026, 3, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 29, 22, tzinfo=UTC),
    )
    slots = night(SPRING)  # 01:00 CET is 00:00 UTC, 04:00 CEST is 02:00 UTC
    assert offsets(slots) == ["01:00+01:00", "01:30+01:00", "03:00+02:00"]
    assert (
        slots[1].end.astimezone(PARIS).isoformat(timespec="minutes")[11:] == "03:30+02:00"
    )  # still 60 minutes
    # 02:30 never happens that night; it is read with the winter offset, i.e. 03:30 summer time.
    assert offsets(night(SPRING, start=time(2, 30), end=time(5))) == ["03:30+02:00", "04:00+02:00"]


def test_fall_back_night_has_four_real_hours_and_the_repeated_hour_twice() -> None:
    assert utc_range(FALL, FALL, PARIS) == (
        datetime(2026, 10, 24, 22, tzinfo=UTC),
        datetime(2026, 10, 25, 23, tzinfo=UTC),
    )
    assert offsets(night(FALL)) == [
        *("01:00+02:00", "01:30+02:00", "02:00+02:00", "02:30+02:00"),
        *("02:00+01:00", "02:30+01:00", "03:00+01:00"),
    ]
    # 02:30 happens twice that night; a range starting then starts at the first one.
    assert offsets(night(FALL, start=time(2, 30), end=time(4)))[0] == "02:30+02:00"


def test_a_new_york_staff_member_seen_from_utc_and_from_tokyo() -> None:
    ny = weekdays((9, 17), zone=NEW_YORK)
    monday_utc = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))
    slots = free_slots(HOUR, (ny,), (), start=monday_utc[0], end=monday_utc[1], now=NOW)
    assert [s.start.hour for s in slots] == [14, 15, 16, 17, 18, 19, 20, 21]  # 09:00-16:00 EST
    late = free_slots(HOUR, (ny,), (), start=datetime(2026, 3, 2, 18, tzinfo=UTC), end=monday_utc[1], now=NOW)
    assert [s.start.hour for s in late] == [18, 19, 20, 21]
    start, end = utc_range(TUESDAY, TUESDAY, TOKYO)  # Tuesday in Tokyo starts Monday 15:00 UTC
    tokyo = free_slots(HOUR, (ny,), (), start=start, end=end, now=NOW)
    assert clock(tokyo, TOKYO) == ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00", "06:00", "23:00"]
    assert tokyo[-1].start == at(TUESDAY, 9, zone=NEW_YORK)  # Tuesday 23:00 in Tokyo
