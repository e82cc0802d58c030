"""Business-hours arithmetic, checked against hand computations.

Each expected value says how it was worked out. Europe/London is GMT (UTC+0)
in winter and BST (UTC+1) in summer; America/New_York is EST (UTC-5) and EDT
(UTC-4). The 2026 changes: London springs forward on Sunday 29 March (01:00
GMT becomes 02:00 BST) and falls back on Sunday 25 October (02:00 BST becomes
01:00 GMT); New York springs forward on Sunday 8 March (02:00 EST becomes
03:00 EDT). Plain pytest, no database.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cxm.cases.hours import (
    WEEKDAYS,
    Calendar,
    CalendarError,
    add,
    before,
    between,
    describe,
    is_open,
    open_intervals,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600.0
NINE_TO_FIVE = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def _at(zone: tzinfo, parts: tuple[int, ...]) -> datetime:
    year, month, day, *clock = parts
    hour, minute, second, microsecond = (*clock, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)


def utc(*parts: int) -> datetime:
    return _at(UTC, parts)


def london(*parts: int) -> datetime:
    return _at(LONDON, parts)


def new_york(*parts: int) -> datetime:
    return _at(NEW_YORK, parts)


def calendar(weekly: dict[str, Any], timezone: str = "Europe/London", **extra: Any) -> Calendar:
    return Calendar.from_dict({"timezone": timezone, "weekly": weekly, **extra})


def every_day(*intervals: list[str]) -> dict[str, Any]:
    return {day: list(intervals) for day in WEEKDAYS}


# Weekday arithmetic ----------------------------------------------------------------


def test_friday_afternoon_two_hour_target_is_due_monday_ten() -> None:
    office = calendar(NINE_TO_FIVE)
    # Fri 12 June 16:00-17:00 BST gives 1 h; the weekend is shut; Mon 15 June
    # 09:00-10:00 BST gives the 2nd hour: 10:00 BST = 09:00 UTC.
    due = add(office, london(2026, 6, 12, 16, 0), 2 * HOUR)
    assert due == utc(2026, 6, 15, 9, 0)
    assert due.tzinfo is UTC
    # The same span, measured: 1 h Friday + 1 h Monday.
    assert between(office, london(2026, 6, 12, 16, 0), london(2026, 6, 15, 10, 0)) == 2 * HOUR


def test_target_used_up_at_closing_time_is_due_at_closing_time() -> None:
    office = calendar(NINE_TO_FIVE)
    # Fri 16:00 + 1 h of business time = Fri 17:00 BST (16:00 UTC), not Monday 09:00.
    assert add(office, london(2026, 6, 12, 16, 0), HOUR) == utc(2026, 6, 12, 16, 0)


def test_a_target_within_one_day() -> None:
    office = calendar(NINE_TO_FIVE)
    # Tue 16 June 10:00 BST + 3 h = 13:00 BST = 12:00 UTC.
    assert add(office, london(2026, 6, 16, 10, 0), 3 * HOUR) == utc(2026, 6, 16, 12, 0)
    # A whole working week, Mon 09:00 to Mon 09:00: 5 days x 8 h = 40 h.
    assert between(office, london(2026, 6, 15, 9), london(2026, 6, 22, 9)) == 40 * HOUR


def test_case_opened_at_the_weekend_starts_counting_at_monday_opening() -> None:
    office = calendar(NINE_TO_FIVE)
    saturday = london(2026, 6, 13, 11, 0)
    # Nothing counts before Mon 15 June 09:00 BST; +30 min = 09:30 BST = 08:30 UTC.
    assert add(office, saturday, 30 * 60) == utc(2026, 6, 15, 8, 30)
    # Sat 11:00 to Mon 12:00: only Mon 09:00-12:00 counts, 3 h.
    assert between(office, saturday, london(2026, 6, 15, 12, 0)) == 3 * HOUR
    assert list(open_intervals(office, saturday, london(2026, 6, 15, 12, 0))) == [
        (utc(2026, 6, 15, 8, 0), utc(2026, 6, 15, 11, 0))
    ]


def test_two_hours_before_monday_ten_is_friday_four() -> None:
    office = calendar(NINE_TO_FIVE)
    # Mon 15 June 09:00-10:00 BST gives 1 h, the weekend nothing, Fri 12 June
    # 16:00-17:00 the other: Fri 16:00 BST = 15:00 UTC (the mirror of add).
    assert before(office, london(2026, 6, 15, 10, 0), 2 * HOUR) == utc(2026, 6, 12, 15, 0)
    # Exactly the Monday hour: the latest instant is Monday's opening, not Friday's close.
    assert before(office, london(2026, 6, 15, 10, 0), HOUR) == utc(2026, 6, 15, 8, 0)
    # Due on a Sunday: the time left is counted back from Friday's closing.
    assert before(office, london(2026, 6, 14, 12, 0), 30 * 60) == utc(2026, 6, 12, 15, 30)
    assert before(office, london(2026, 6, 14, 12, 0), 0) == utc(2026, 6, 14, 11, 0)


def test_before_skips_christmas_and_refuses_a_calendar_never_open() -> None:
    office = calendar(NINE_TO_FIVE, holidays="GB", subdivision="ENG")
    # Tue 29 Dec 2026 10:00 GMT, 3 h back: 1 h on the 29th, then 25 and 28 Dec are
    # holidays (and the 26th-27th a weekend), so 2 h on Thu 24 Dec: 15:00 GMT.
    assert before(office, london(2026, 12, 29, 10, 0), 3 * HOUR) == utc(2026, 12, 24, 15, 0)
    with pytest.raises(ValueError, match="finite number"):
        before(office, london(2026, 12, 29, 10, 0), -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        before(office, datetime(2026, 12, 29, 10, 0), HOUR)


def test_zero_seconds_returns_start_even_when_closed() -> None:
    office = calendar(NINE_TO_FIVE)
    # Documented choice: nothing has to elapse, so the start itself (in UTC).
    assert add(office, london(2026, 6, 13, 11, 0), 0) == utc(2026, 6, 13, 10, 0)


def test_intervals_are_half_open() -> None:
    office = calendar(NINE_TO_FIVE)
    assert not is_open(office, london(2026, 6, 15, 8, 59, 59))
    assert is_open(office, london(2026, 6, 15, 9, 0))
    assert is_open(office, london(2026, 6, 15, 16, 59, 59))
    assert not is_open(office, london(2026, 6, 15, 17, 0))
    assert not is_open(office, london(2026, 6, 13, 12, 0))  # Saturday


def test_end_before_start_is_zero_and_negative_targets_are_refused() -> None:
    office = calendar(NINE_TO_FIVE)
    assert between(office, london(2026, 6, 16, 12), london(2026, 6, 16, 10)) == 0.0
    assert list(open_intervals(office, london(2026, 6, 16, 12), london(2026, 6, 16, 12))) == []
    with pytest.raises(ValueError, match="finite number"):
        add(office, london(2026, 6, 16, 12), -1)
    with pytest.raises(ValueError, match="finite number"):
        add(office, london(2026, 6, 16, 12), float("nan"))


# Overnight shifts --------------------------------------------------------------------

NIGHTS = {day: [["22:00", "06:00"]] for day in ("sun", "mon", "tue", "wed", "thu")}


def test_overnight_shift_spans_midnight() -> None:
    nights = calendar(NIGHTS, timezone="UTC")
    # Thu 11 June 23:00 + 10 h: Thursday's shift runs to Fri 06:00 (7 h); no
    # shift starts on Fri or Sat; Sunday's starts at 22:00 and gives the last
    # 3 h: Mon 15 June 01:00.
    assert add(nights, utc(2026, 6, 11, 23, 0), 10 * HOUR) == utc(2026, 6, 15, 1, 0)
    # Mon 23:00 to Tue 02:00 lies inside Monday's shift: 3 h.
    assert between(nights, utc(2026, 6, 15, 23), utc(2026, 6, 16, 2)) == 3 * HOUR
    # Tue 05:00 to Tue 23:00: 05:00-06:00 (Monday's tail) + 22:00-23:00 = 2 h.
    assert between(nights, utc(2026, 6, 16, 5), utc(2026, 6, 16, 23)) == 2 * HOUR
    assert is_open(nights, utc(2026, 6, 13, 3, 0)) is False  # Sat 03:00: Friday has no shift
    assert list(open_intervals(nights, utc(2026, 6, 12), utc(2026, 6, 16))) == [
        (utc(2026, 6, 12, 0), utc(2026, 6, 12, 6)),  # Thursday's tail
        (utc(2026, 6, 14, 22), utc(2026, 6, 15, 6)),  # Sunday's shift
        (utc(2026, 6, 15, 22), utc(2026, 6, 16, 0)),  # Monday's, clipped at the end
    ]


def test_overnight_shift_belongs_to_the_day_it_starts_on() -> None:
    # Sunday 14 June closed: its whole 22:00-06:00 shift is shut, Monday's runs.
    sunday_closed = calendar(NIGHTS, timezone="UTC", closed=["2026-06-14"])
    assert not is_open(sunday_closed, utc(2026, 6, 15, 2, 0))
    assert is_open(sunday_closed, utc(2026, 6, 15, 22, 30))
    # Sun 00:00 to Tue 00:00: only Monday's 22:00-24:00, 2 h.
    assert between(sunday_closed, utc(2026, 6, 14), utc(2026, 6, 16)) == 2 * HOUR
    # Monday 15 June closed: Sunday's shift still runs through Monday morning.
    monday_closed = calendar(NIGHTS, timezone="UTC", closed=["2026-06-15"])
    assert is_open(monday_closed, utc(2026, 6, 15, 2, 0))
    assert not is_open(monday_closed, utc(2026, 6, 15, 22, 30))
    # Sun 00:00 to Tue 00:00: only Sunday's 22:00-06:00, 8 h.
    assert between(monday_closed, utc(2026, 6, 14), utc(2026, 6, 16)) == 8 * HOUR


def test_touching_intervals_merge_across_midnight() -> None:
    evening_and_night = calendar(
        {"mon": [["18:00", "24:00"]], "tue": [["00:00", "06:00"]]}, timezone="UTC"
    )
    # Mon 18:00-24:00 and Tue 00:00-06:00 touch at midnight: one stretch of 12 h.
    assert list(open_intervals(evening_and_night, utc(2026, 6, 15), utc(2026, 6, 17))) == [
        (utc(2026, 6, 15, 18), utc(2026, 6, 16, 6))
    ]


# Holidays and closed dates -----------------------------------------------------------


def test_the_2026_english_christmas_holidays_are_as_assumed() -> None:
    # Boxing Day 2026 is a Saturday, so England observes it on Monday 28 December.
    english = holidays.country_holidays("GB", subdiv="ENG", years=2026)
    assert date(2026, 12, 25) in english
    assert date(2026, 12, 26).weekday() == 5
    assert english.get(date(2026, 12, 28)) == "Boxing Day (observed)"


def test_public_holidays_are_skipped() -> None:
    office = calendar(NINE_TO_FIVE, holidays="GB", subdivision="ENG")
    # December is GMT, so local = UTC. Thu 24 Dec 16:00-17:00 gives 1 h; Fri 25
    # (Christmas) and Mon 28 (Boxing Day observed) are shut, as is the weekend;
    # Tue 29 09:00-10:00 gives the 2nd hour.
    assert add(office, london(2026, 12, 24, 16), 2 * HOUR) == utc(2026, 12, 29, 10)
    # Thu 24 09:00 to Thu 31 09:00: Thu 24, Tue 29 and Wed 30 at 8 h each = 24 h.
    assert between(office, london(2026, 12, 24, 9), london(2026, 12, 31, 9)) == 24 * HOUR
    assert not is_open(office, london(2026, 12, 25, 10))
    # Without holidays the same target falls on Christmas morning.
    no_holidays = calendar(NINE_TO_FIVE)
    assert add(no_holidays, london(2026, 12, 24, 16), 2 * HOUR) == utc(2026, 12, 25, 10)


def test_extra_closed_dates_are_skipped() -> None:
    office = calendar(NINE_TO_FIVE, holidays="GB", subdivision="ENG", closed=["2026-12-29"])
    # As above, with Tue 29 shut too: the 2nd hour is Wed 30 09:00-10:00.
    assert add(office, london(2026, 12, 24, 16), 2 * HOUR) == utc(2026, 12, 30, 10)
    # Thu 24 and Wed 30 at 8 h each = 16 h.
    assert between(office, london(2026, 12, 24, 9), london(2026, 12, 31, 9)) == 16 * HOUR


def test_a_calendar_shut_for_three_years_is_never_open() -> None:
    first_monday = date(2026, 1, 5)
    mondays = [(first_monday + timedelta(weeks=n)).isoformat() for n in range(4 * 53)]
    mondays_only = calendar({"mon": [["09:00", "17:00"]]}, closed=mondays)
    with pytest.raises(CalendarError, match=r"^the calendar is never open: no opening hours"):
        add(mondays_only, utc(2026, 1, 1), 60)


# Daylight saving -----------------------------------------------------------------------

SMALL_HOURS = every_day(["00:30", "03:30"])


def test_london_spring_forward() -> None:
    nights = calendar(SMALL_HOURS)
    # Sun 29 Mar: 00:30 GMT (00:30 UTC) to 03:30 BST (02:30 UTC) = 2 real hours.
    assert between(nights, london(2026, 3, 29, 0), london(2026, 3, 30, 0)) == 2 * HOUR
    # The Saturday before, all GMT: 3 h.
    assert between(nights, london(2026, 3, 28, 0), london(2026, 3, 29, 0)) == 3 * HOUR
    # 2 h from Sunday's opening ends at Sunday's closing, 03:30 BST = 02:30 UTC.
    assert add(nights, london(2026, 3, 29, 0, 30), 2 * HOUR) == utc(2026, 3, 29, 2, 30)
    # 2.5 h: Sunday gives 2 h; Monday opens 00:30 BST (Sun 23:30 UTC), +30 min.
    assert add(nights, london(2026, 3, 29, 0, 30), 2.5 * HOUR) == utc(2026, 3, 30, 0, 0)


def test_london_fall_back() -> None:
    nights = calendar(SMALL_HOURS)
    # Sun 25 Oct: 00:30 BST (Sat 23:30 UTC) to 03:30 GMT (03:30 UTC) = 4 real hours.
    assert between(nights, london(2026, 10, 25, 0), london(2026, 10, 26, 0)) == 4 * HOUR
    # 3.5 h from the opening (23:30 UTC) is 03:00 UTC = 03:00 GMT.
    assert add(nights, london(2026, 10, 25, 0, 30), 3.5 * HOUR) == utc(2026, 10, 25, 3, 0)


def test_round_the_clock_in_london_counts_real_hours_across_both_changes() -> None:
    always = calendar(every_day(["00:00", "24:00"]))
    # Sat 12:00 GMT to Sun 12:00 BST is 23 real hours; Sat 12:00 BST to Sun
    # 12:00 GMT is 25.
    assert between(always, london(2026, 3, 28, 12), london(2026, 3, 29, 12)) == 23 * HOUR
    assert between(always, london(2026, 10, 24, 12), london(2026, 10, 25, 12)) == 25 * HOUR
    assert add(always, london(2026, 3, 28, 12), 23 * HOUR) == utc(2026, 3, 29, 11)  # 12:00 BST


def test_wall_time_in_the_spring_forward_gap_is_the_end_of_the_gap() -> None:
    # Sun 29 Mar 01:30 does not exist in London; it becomes 02:00 BST = 01:00 UTC.
    starts_in_gap = calendar({"sun": [["01:30", "03:00"]]})
    assert list(open_intervals(starts_in_gap, utc(2026, 3, 29), utc(2026, 3, 30))) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))  # to 03:00 BST: 1 h
    ]
    ends_in_gap = calendar({"sun": [["00:00", "01:30"]]})
    # 00:00 GMT to the end of the gap (01:00 UTC): 1 h.
    assert between(ends_in_gap, utc(2026, 3, 29), utc(2026, 3, 30)) == HOUR
    inside_gap = calendar({"sun": [["01:15", "01:45"]]})
    # Entirely inside the gap: shut that Sunday. 60 s falls on Sun 5 April
    # 01:15 BST (00:15 UTC) + 1 min.
    assert between(inside_gap, utc(2026, 3, 29), utc(2026, 3, 30)) == 0.0
    assert add(inside_gap, utc(2026, 3, 29), 60) == utc(2026, 4, 5, 0, 16)


def test_gap_of_half_an_hour() -> None:
    # Lord Howe Island moves from +10:30 to +11:00 at 02:00 on Sun 4 Oct 2026;
    # 02:15 does not exist and becomes 02:30 (+11:00) = Sat 15:30 UTC.
    island = calendar({"sun": [["02:15", "03:00"]]}, timezone="Australia/Lord_Howe")
    assert list(open_intervals(island, utc(2026, 10, 3), utc(2026, 10, 5))) == [
        (utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16, 0))
    ]


def test_ambiguous_wall_time_is_the_first_occurrence() -> None:
    # Sun 25 Oct 01:30 happens twice in London; the first is 01:30 BST = 00:30 UTC.
    starts_ambiguous = calendar({"sun": [["01:30", "05:00"]]})
    # To 05:00 GMT = 05:00 UTC: 4.5 h.
    assert list(open_intervals(starts_ambiguous, utc(2026, 10, 24), utc(2026, 10, 26))) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 5, 0))
    ]
    ends_ambiguous = calendar({"sun": [["00:00", "01:30"]]})
    # 00:00 BST (Sat 23:00 UTC) to the first 01:30 (00:30 UTC): 1.5 h.
    assert between(ends_ambiguous, utc(2026, 10, 24), utc(2026, 10, 26)) == 1.5 * HOUR


def test_new_york_spring_forward() -> None:
    office = calendar(NINE_TO_FIVE, timezone="America/New_York")
    # Fri 6 Mar 16:00 EST (21:00 UTC) gives 1 h; Mon 9 Mar 09:00-10:00 EDT the
    # second: 10:00 EDT = 14:00 UTC.
    assert add(office, new_york(2026, 3, 6, 16), 2 * HOUR) == utc(2026, 3, 9, 14)
    assert between(office, new_york(2026, 3, 6, 16), new_york(2026, 3, 9, 10)) == 2 * HOUR
    saturday_night = calendar({"sat": [["22:00", "06:00"]]}, timezone="America/New_York")
    # Sat 7 Mar 22:00 EST (Sun 03:00 UTC) to Sun 06:00 EDT (10:00 UTC): 7 h, not 8.
    assert between(saturday_night, new_york(2026, 3, 7, 20), new_york(2026, 3, 8, 12)) == (7 * HOUR)
    # 6.5 h from the opening: 03:00 UTC + 6.5 h = 09:30 UTC = 05:30 EDT.
    assert add(saturday_night, new_york(2026, 3, 7, 22), 6.5 * HOUR) == utc(2026, 3, 8, 9, 30)


# Properties ----------------------------------------------------------------------------

ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    weekly = []
    for _ in range(7):
        intervals = []
        # Quarter-hour starts and lengths of up to 12 h, so some run overnight.
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.integers(0, 95)) * 15
            end = (start + draw(st.integers(1, 48)) * 15) % (24 * 60)
            intervals.append((time(start // 60, start % 60), time(end // 60, end % 60)))
        weekly.append(tuple(intervals))
    country, subdivision = draw(st.sampled_from([("", ""), ("GB", "ENG"), ("US", "NY")]))
    closed = draw(st.frozensets(st.dates(date(2025, 12, 1), date(2027, 12, 31)), max_size=30))
    try:
        return Calendar(
            timezone=draw(st.sampled_from(ZONES)),
            weekly=tuple(weekly),
            holiday_country=country,
            holiday_subdivision=subdivision,
            closed_dates=closed,
        )
    except CalendarError:
        assume(False)  # overlapping or never-open draws
        raise


instants = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 6, 30),
    timezones=st.sampled_from([UTC, LONDON, NEW_YORK]),
    allow_imaginary=False,
)
durations = st.floats(min_value=0, max_value=80 * HOUR, allow_nan=False)
property_settings = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@property_settings
@given(calendars(), instants, durations)
def test_between_measures_what_add_added(cal: Calendar, start: datetime, seconds: float) -> None:
    due = add(cal, start, seconds)
    assert due >= start
    # add keeps durations to the microsecond, so the round trip is within 0.5 us.
    assert abs(between(cal, start, due) - seconds) <= 1e-6
    if seconds >= 1e-3:
        # The last moment before the due time was business time.
        assert is_open(cal, due - timedelta(microseconds=1))


@property_settings
@given(calendars(), instants, durations)
def test_before_leaves_exactly_the_time_asked_for(
    cal: Calendar, end: datetime, seconds: float
) -> None:
    start = before(cal, end, seconds)
    assert start <= end
    assert abs(between(cal, start, end) - seconds) <= 1e-6
    if seconds >= 1e-3:
        # The latest such instant: the team is open right after it.
        assert is_open(cal, start)


@property_settings
@given(calendars(), instants, durations, durations)
def test_add_is_monotonic(cal: Calendar, start: datetime, first: float, second: float) -> None:
    shorter, longer = sorted((first, second))
    assert add(cal, start, shorter) <= add(cal, start, longer)


@property_settings
@given(calendars(), instants, st.integers(0, 30 * 24 * 60), st.integers(0, 30 * 24 * 60))
def test_between_is_additive(cal: Calendar, start: datetime, first: int, second: int) -> None:
    # Steps in real time: Python adds a timedelta to an aware datetime on the wall
    # clock and drops its fold, so 01:00 (second time, GMT) + 0 min in London would
    # be 01:00 BST, an hour earlier, and the middle would fall before the start.
    middle = start.astimezone(UTC) + timedelta(minutes=first)
    end = middle + timedelta(minutes=second)
    whole = between(cal, start, end)
    assert abs(whole - (between(cal, start, middle) + between(cal, middle, end))) <= 1e-6
    # between sums exact timedeltas; so does this.
    stretches = open_intervals(cal, start, end)
    assert whole == sum((b - a for a, b in stretches), timedelta(0)).total_seconds()


# from_dict, to_dict, describe -----------------------------------------------------------

EXAMPLE = {
    "timezone": "Europe/London",
    "weekly": {
        "mon": [["09:00", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "fri": [["09:00", "12:00"], ["13:00", "17:00"]],
        "sat": [],
        "sun": [["22:00", "06:00"]],
    },
    "holidays": "GB",
    "subdivision": "ENG",
    "closed": ["2026-12-24"],
}


def test_from_dict_reads_the_json_form() -> None:
    parsed = Calendar.from_dict(EXAMPLE)
    assert parsed == Calendar(
        timezone="Europe/London",
        weekly=(
            ((time(9), time(17)),),
            ((time(9), time(17)),),
            (),
            (),
            ((time(9), time(12)), (time(13), time(17))),
            (),
            ((time(22), time(6)),),
        ),
        holiday_country="GB",
        holiday_subdivision="ENG",
        closed_dates=frozenset({date(2026, 12, 24)}),
    )


def test_to_dict_round_trips() -> None:
    parsed = Calendar.from_dict(EXAMPLE)
    written = parsed.to_dict()
    assert written == {
        **EXAMPLE,
        "weekly": {**EXAMPLE["weekly"], "wed": [], "thu": []},  # type: ignore[dict-item]
    }
    assert Calendar.from_dict(json.loads(json.dumps(written))) == parsed
    always = Calendar.always_open()
    assert always.to_dict()["weekly"]["mon"] == [["00:00", "24:00"]]
    assert Calendar.from_dict(always.to_dict()) == always


def test_midnight_end_reads_as_24_00_or_00_00() -> None:
    late = calendar({"sat": [["18:00", "24:00"]]})
    assert late == calendar({"sat": [["18:00", "00:00"]]})
    assert late.to_dict()["weekly"]["sat"] == [["18:00", "24:00"]]
    # Sat 27 June 18:00-24:00 BST: 6 h.
    assert between(late, london(2026, 6, 27), london(2026, 6, 28, 12)) == 6 * HOUR


def bad(**changes: Any) -> str:
    data = {"timezone": "Europe/London", "weekly": NINE_TO_FIVE, **changes}
    with pytest.raises(CalendarError) as raised:
        Calendar.from_dict(data)
    return str(raised.value)


def test_from_dict_refuses_an_unknown_time_zone() -> None:
    assert bad(timezone="Europe/Londn") == "unknown time zone 'Europe/Londn'"


def test_from_dict_refuses_a_missing_time_zone() -> None:
    assert bad(timezone="") == "timezone: required, an IANA name such as 'Europe/London'"


def test_from_dict_refuses_an_unknown_weekday() -> None:
    assert bad(weekly={"mom": [["09:00", "17:00"]]}) == (
        "weekly: unknown weekday 'mom' (use mon, tue, wed, thu, fri, sat, sun)"
    )


@pytest.mark.parametrize("text", ["9:00", "25:00", "09:60", "0900", "24:30", ""])
def test_from_dict_refuses_a_bad_time(text: str) -> None:
    assert bad(weekly={"mon": [["08:00", "08:30"], [text, "17:00"]]}) == (
        f"weekly.mon[1]: {text!r} is not a time in HH:MM form (00:00 to 24:00)"
    )


def test_from_dict_refuses_a_zero_length_interval() -> None:
    assert bad(weekly={"tue": [["09:00", "09:00"]]}) == (
        "weekly.tue[0]: 09:00\u201309:00 has zero length (use 00:00\u201324:00 for a whole day)"
    )


def test_from_dict_refuses_overlapping_intervals_on_one_day() -> None:
    assert bad(weekly={"mon": [["09:00", "17:00"], ["16:00", "18:00"]]}) == (
        "weekly: mon 09:00\u201317:00 overlaps mon 16:00\u201318:00"
    )


def test_from_dict_refuses_an_overnight_tail_overlapping_the_next_day() -> None:
    # Sunday's shift runs into Monday 06:00, past Monday's 05:00 opening.
    assert bad(weekly={"sun": [["22:00", "06:00"]], "mon": [["05:00", "09:00"]]}) == (
        "weekly: sun 22:00\u201306:00 overlaps mon 05:00\u201309:00"
    )


def test_from_dict_refuses_an_unknown_holiday_country() -> None:
    assert bad(holidays="XX") == (
        "holidays: unknown country code 'XX' "
        "(use an ISO code the holidays package supports, e.g. 'GB', 'US', 'FR')"
    )


def test_from_dict_refuses_an_unknown_subdivision() -> None:
    assert bad(holidays="GB", subdivision="LDN") == (
        "subdivision: 'LDN' is not a subdivision of GB (known: ENG, NIR, SCT, WLS)"
    )


def test_from_dict_refuses_a_subdivision_without_a_country() -> None:
    assert bad(subdivision="ENG") == "subdivision: 'ENG' given without a holidays country"


@pytest.mark.parametrize("text", ["2026-13-01", "2026-02-30", "24/12/2026", "20261224"])
def test_from_dict_refuses_a_bad_date(text: str) -> None:
    assert bad(closed=["2026-12-24", text]) == (
        f"closed[1]: {text!r} is not a date in YYYY-MM-DD form"
    )


@pytest.mark.parametrize("weekly", [{}, {"mon": [], "sat": []}])
def test_from_dict_refuses_a_calendar_that_is_never_open(weekly: dict[str, Any]) -> None:
    assert bad(weekly=weekly) == "the calendar is never open: no weekday has opening hours"


def test_from_dict_refuses_an_unknown_field() -> None:
    assert bad(holiday="GB") == (
        "unknown calendar field 'holiday' (known: closed, holidays, subdivision, timezone, weekly)"
    )


def test_describe() -> None:
    assert describe(calendar(NINE_TO_FIVE, holidays="GB", subdivision="ENG")) == (
        "Mon\u2013Fri 09:00\u201317:00 Europe/London, closed on GB (ENG) public holidays"
    )
    assert describe(Calendar.from_dict(EXAMPLE)) == (
        "Mon\u2013Tue 09:00\u201317:00; Fri 09:00\u201312:00, 13:00\u201317:00; "
        "Sun 22:00\u201306:00 Europe/London, closed on GB (ENG) public holidays and 1 other date"
    )
    assert describe(Calendar.always_open()) == "24/7 UTC"


# Inputs and the default calendar --------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    office = calendar(NINE_TO_FIVE)
    naive, aware = datetime(2026, 6, 15, 10), utc(2026, 6, 15, 10)
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        is_open(office, naive)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add(office, naive, 60)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        between(office, naive, aware)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        open_intervals(office, aware, naive)  # refused at the call, before iterating


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (utc(2026, 6, 15, 10), utc(2026, 6, 15, 10, 0, 0, 500_000)),
        (london(2026, 3, 28, 12), london(2026, 3, 29, 12)),  # across spring forward: 23 h
        (new_york(2026, 1, 1), new_york(2026, 12, 31, 23, 59)),
    ],
)
def test_always_open_counts_wall_clock_time(start: datetime, end: datetime) -> None:
    always = Calendar.always_open()
    # Real elapsed time. Subtracting two datetimes that share a tzinfo gives the
    # wall-clock difference instead (24 h, not 23, across spring forward), so
    # both ends are taken to UTC first.
    elapsed = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    assert between(always, start, end) == elapsed
    assert add(always, start, elapsed) == end
    assert is_open(always, start)
