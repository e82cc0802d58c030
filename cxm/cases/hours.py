"""Business-hours arithmetic for SLA clocks: how much open time lies between two instants.

An SLA clock in CXM only runs while the team is open. A team's :class:`Calendar`
gives its weekly opening hours in its own time zone, the country (and optional
subdivision) whose public holidays close it, and extra whole days it is closed.
The functions here answer the questions an SLA needs:

- :func:`is_open` — is the team open at this instant?
- :func:`open_intervals` — the open stretches of a period, as UTC intervals;
- :func:`between` — business seconds between two instants;
- :func:`add` — when will this many business seconds have passed?
- :func:`before` — from when on do only this many business seconds remain before an instant?
- :func:`describe` — a line a person can read ("Mon-Fri 09:00-17:00 Europe/London, …").

Rules
-----
- **Instants**: every datetime passed in must be timezone-aware (a naive one
  raises ``ValueError``: its meaning would depend on the server's zone). Every
  datetime returned is aware and in UTC.
- **Opening intervals** are local wall-clock ``(start, end)`` pairs per weekday
  (Monday = 0). ``end <= start`` means the interval runs overnight into the next
  day (22:00-06:00); an ``end`` of 00:00 means midnight at the end of the day, so
  00:00-00:00 is the whole day. Any other ``start == end`` is refused as a
  zero-length interval. Intervals may not overlap, also not across midnight
  (Sunday's 22:00-06:00 against Monday's 05:00-09:00).
- **Closed days**: an interval belongs to the local day it starts on. When that
  day is a public holiday or one of the calendar's closed dates, the whole
  interval is closed, its overnight tail into the next day included. The next
  day's own intervals follow the next day's status. Public holidays are the
  ``holidays`` package's default (public) category for the country and
  subdivision, substitute days included: Boxing Day 2026 is a Saturday, so an
  English calendar is closed on Monday 28 December.
- **Never open**: a calendar with no opening hours on any weekday is refused
  when it is built.
- **Daylight saving**: wall-clock intervals become instants through
  ``zoneinfo``, and business time is real elapsed time. In Europe/London an
  interval 00:30-03:30 lasts 2 real hours on the spring-forward day and 4 on
  the fall-back day. A wall time that does not exist (inside a spring-forward
  gap) is taken as the instant the gap ends (01:30 on 2026-03-29 in London is
  01:00 UTC, 02:00 BST); an ambiguous wall time (inside a fall-back repeat) is
  taken at its first occurrence (``fold=0``), for starts and ends alike. An
  interval that shrinks to nothing this way (01:15-01:45 inside the gap) is
  simply not open that day.
- **Intervals** are half-open, ``[start, end)``: a team open 09:00-17:00 is
  open at 09:00 and closed at 17:00.
- :func:`add` returns the *first* instant at which the requested business time
  has passed: a target that is used up exactly at closing time is due at
  closing time, not at the next opening. ``add(calendar, start, 0)`` returns
  ``start`` itself, open or not (nothing has to elapse). Negative, infinite or
  NaN durations raise ``ValueError``. Durations are kept to the microsecond (as
  ``timedelta`` does), so ``between(c, s, add(c, s, x))`` equals ``x`` to within
  half a microsecond.
- When :func:`add` finds no open time at all within three years of the point it
  has reached, it raises :class:`CalendarError` ("the calendar is never open …")
  rather than walking forever.

Days are walked one at a time (never minute by minute); each day's UTC
intervals and each (country, subdivision, year) set of public holidays are
computed once and cached. Apart from those caches there is no module state.

Plain Python plus the ``holidays`` package, no Django: usable from notebooks
and benchmarks.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "WEEKDAYS",
    "Calendar",
    "CalendarError",
    "add",
    "before",
    "between",
    "describe",
    "is_open",
    "open_intervals",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The weekday keys of the JSON form, Monday first (``date.weekday()`` order)."""

_DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MIDNIGHT = time(0, 0)
_DASH = "\u2013"  # an en dash, as ranges are printed for people; ruff flags it literally
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
# Three years including a leap day: a calendar with no open time in that long
# cannot meet any SLA, and walking further would only hide the mistake.
_SEARCH_LIMIT_DAYS = 3 * 365 + 1
_TIME_PATTERN = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
_FIELDS = frozenset({"timezone", "weekly", "holidays", "subdivision", "closed"})

Interval = tuple[datetime, datetime]


class CalendarError(ValueError):
    """A calendar that cannot be used, with a message a person can act on."""


@dataclass(frozen=True)
class Calendar:
    """A team's opening hours: weekly local intervals, public holidays and closed dates.

    Constructing one validates it (the same checks as :meth:`from_dict`), so a
    ``Calendar`` that exists can always be computed with.
    """

    timezone: str
    weekly: tuple[tuple[tuple[time, time], ...], ...]
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closed_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if len(self.weekly) != 7:
            raise CalendarError(f"weekly: needs 7 days (Monday first), got {len(self.weekly)}")
        for day, intervals in enumerate(self.weekly):
            for index, (start, end) in enumerate(intervals):
                where = f"weekly.{WEEKDAYS[day]}[{index}]"
                for moment in (start, end):
                    if moment.tzinfo is not None:
                        raise CalendarError(f"{where}: opening times are local, without a zone")
                    if moment.second or moment.microsecond:
                        raise CalendarError(f"{where}: opening times are whole minutes")
                if start == end and start != _MIDNIGHT:
                    raise CalendarError(
                        f"{where}: {_interval_text(start, end)} has zero length "
                        f"(use 00:00{_DASH}24:00 for a whole day)"
                    )
        _check_overlaps(self.weekly)
        _check_holidays(self.holiday_country, self.holiday_subdivision)
        if not any(self.weekly):
            raise CalendarError("the calendar is never open: no weekday has opening hours")

    @classmethod
    def always_open(cls) -> Calendar:
        """Open around the clock in UTC, no holidays: the calendar of a team without one."""
        return cls(timezone="UTC", weekly=(((_MIDNIGHT, _MIDNIGHT),),) * 7)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calendar:
        """Parse and validate the JSON form (see :meth:`to_dict`); raise CalendarError."""
        if not isinstance(data, Mapping):
            raise CalendarError("a calendar must be an object with timezone and weekly fields")
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise CalendarError(
                f"unknown calendar field {unknown[0]!r} (known: {', '.join(sorted(_FIELDS))})"
            )
        timezone = data.get("timezone")
        if not isinstance(timezone, str) or not timezone:
            raise CalendarError("timezone: required, an IANA name such as 'Europe/London'")
        return cls(
            timezone=timezone,
            weekly=_parse_weekly(data.get("weekly")),
            holiday_country=_optional_text(data, "holidays"),
            holiday_subdivision=_optional_text(data, "subdivision"),
            closed_dates=_parse_closed(data.get("closed")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``from_dict(c.to_dict()) == c``.

        All seven weekdays are written (closed ones as ``[]``); an end at
        midnight is written ``"24:00"``; closed dates are sorted.
        """
        return {
            "timezone": self.timezone,
            "weekly": {
                WEEKDAYS[day]: [[_hhmm(start), _hhmm(end, is_end=True)] for start, end in intervals]
                for day, intervals in enumerate(self.weekly)
            },
            "holidays": self.holiday_country,
            "subdivision": self.holiday_subdivision,
            "closed": [closed.isoformat() for closed in sorted(self.closed_dates)],
        }


def is_open(calendar: Calendar, at: datetime) -> bool:
    """Whether ``at`` falls inside an open interval (intervals are half-open)."""
    _require_aware(at, "at")
    at = at.astimezone(UTC)
    local_day = at.astimezone(_zone(calendar.timezone)).date()
    # The previous day's overnight interval may still be running.
    for day in (local_day - timedelta(days=1), local_day):
        for start, end in _day_intervals(calendar, day):
            if start <= at < end:
                return True
    return False


def open_intervals(calendar: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    """The open stretches of ``[start, end)`` as UTC intervals, in order.

    Intervals are clipped to ``[start, end)`` and merged where they touch (an
    overnight tail running into the next day's opening is one stretch).
    Arguments are checked at the call, not at the first ``next()``.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    return _merged_intervals(calendar, start.astimezone(UTC), end.astimezone(UTC))


def _merged_intervals(calendar: Calendar, start: datetime, end: datetime) -> Iterator[Interval]:
    if end <= start:
        return
    last_day = end.astimezone(_zone(calendar.timezone)).date()
    pending: Interval | None = None
    for opened, closed in _intervals_from(calendar, start, last_day=last_day):
        if opened >= end:
            break
        opened, closed = max(opened, start), min(closed, end)
        if closed <= opened:
            continue
        if pending is not None and opened <= pending[1]:
            pending = (pending[0], max(pending[1], closed))
            continue
        if pending is not None:
            yield pending
        pending = (opened, closed)
    if pending is not None:
        yield pending


def between(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Business seconds in ``[start, end)``; 0.0 when ``end <= start``."""
    total = timedelta(0)
    for opened, closed in open_intervals(calendar, start, end):
        total += closed - opened
    return total.total_seconds()


def add(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The first instant at which ``seconds`` of business time have passed since ``start``.

    ``seconds == 0`` returns ``start`` (in UTC), whether or not the team is open.
    Raises CalendarError when no open time exists within three years.
    """
    _require_aware(start, "start")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite number ≥ 0, got {seconds!r}")
    start = start.astimezone(UTC)
    remaining = timedelta(seconds=seconds)
    if not remaining:
        return start
    for opened, closed in _intervals_from(calendar, start, limit_days=_SEARCH_LIMIT_DAYS):
        opened = max(opened, start)
        if closed <= opened:
            continue
        if remaining <= closed - opened:
            return opened + remaining
        remaining -= closed - opened
    raise AssertionError("unreachable: without last_day the walk ends only by raising")


def before(calendar: Calendar, end: datetime, seconds: float) -> datetime:
    """The last instant from which only ``seconds`` of business time remain before ``end``.

    The mirror of :func:`add`: ``between(calendar, before(calendar, end, x), end)``
    equals ``x``. Where several instants qualify (the team is closed just before
    one), the latest is returned, the moment the team opens: a promise due on
    Monday at 10:00 with two business hours of warning is at risk from Friday's
    closing minus one hour, not from Saturday. ``seconds == 0`` returns ``end``.
    Raises CalendarError when no open time exists within three years before ``end``.
    """
    _require_aware(end, "end")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite number ≥ 0, got {seconds!r}")
    end = end.astimezone(UTC)
    remaining = timedelta(seconds=seconds)
    if not remaining:
        return end
    for opened, closed in _intervals_back(calendar, end, limit_days=_SEARCH_LIMIT_DAYS):
        closed = min(closed, end)
        if closed <= opened:
            continue
        if remaining <= closed - opened:
            return closed - remaining
        remaining -= closed - opened
    raise AssertionError("unreachable: the walk back ends only by raising")


def describe(calendar: Calendar) -> str:
    """Short human text for the calendar.

    For example "Mon-Fri 09:00-17:00 Europe/London, closed on GB (ENG) public
    holidays" (printed with en dashes); consecutive days with the same hours are
    grouped, groups are separated by "; ".
    """
    whole_day = ((_MIDNIGHT, _MIDNIGHT),)
    if all(intervals == whole_day for intervals in calendar.weekly):
        hours = "24/7"
    else:
        groups: list[str] = []
        day = 0
        while day < 7:
            intervals = calendar.weekly[day]
            last = day
            while last + 1 < 7 and calendar.weekly[last + 1] == intervals:
                last += 1
            if intervals:
                label = (
                    _DAY_LABELS[day]
                    if last == day
                    else f"{_DAY_LABELS[day]}{_DASH}{_DAY_LABELS[last]}"
                )
                times = ", ".join(_interval_text(start, end) for start, end in intervals)
                groups.append(f"{label} {times}")
            day = last + 1
        hours = "; ".join(groups)
    text = f"{hours} {calendar.timezone}"
    closures = []
    if calendar.holiday_country:
        region = calendar.holiday_country
        if calendar.holiday_subdivision:
            region += f" ({calendar.holiday_subdivision})"
        closures.append(f"{region} public holidays")
    if calendar.closed_dates:
        count = len(calendar.closed_dates)
        other = " other" if calendar.holiday_country else ""
        closures.append(f"{count}{other} date{'s' if count != 1 else ''}")
    if closures:
        text += ", closed on " + " and ".join(closures)
    return text


# Day-by-day walking -------------------------------------------------------------


def _intervals_from(
    calendar: Calendar,
    start: datetime,
    *,
    last_day: date | None = None,
    limit_days: int | None = None,
) -> Iterator[Interval]:
    """Each day's open UTC intervals, unclipped and in order, from the day before ``start``.

    Runs through local ``last_day``, or endlessly without one; with
    ``limit_days``, that many consecutive days without open time raise
    CalendarError.
    """
    zone = _zone(calendar.timezone)
    # The previous local day's overnight interval may still be running at start.
    day = start.astimezone(zone).date() - timedelta(days=1)
    shut_since = day
    while last_day is None or day <= last_day:
        intervals = _day_intervals(calendar, day)
        if intervals:
            shut_since = day + timedelta(days=1)
        elif limit_days is not None and (day - shut_since).days >= limit_days:
            raise CalendarError(
                f"the calendar is never open: no opening hours from {shut_since.isoformat()} "
                f"through {day.isoformat()} ({describe(calendar)})"
            )
        yield from intervals
        day += timedelta(days=1)


def _intervals_back(calendar: Calendar, end: datetime, *, limit_days: int) -> Iterator[Interval]:
    """Each day's open UTC intervals, latest first, from the local day of ``end`` backwards.

    Intervals may not overlap, not even across midnight, so a day's intervals in
    reverse, then the day before's in reverse, run backwards in time. That many
    consecutive days without open time raise CalendarError.
    """
    zone = _zone(calendar.timezone)
    day = end.astimezone(zone).date()
    open_after = day
    while True:
        intervals = _day_intervals(calendar, day)
        if intervals:
            open_after = day - timedelta(days=1)
        elif (open_after - day).days >= limit_days:
            raise CalendarError(
                f"the calendar is never open: no opening hours from {day.isoformat()} "
                f"through {open_after.isoformat()} ({describe(calendar)})"
            )
        yield from reversed(intervals)
        day -= timedelta(days=1)


@functools.lru_cache(maxsize=65_536)
def _day_intervals(calendar: Calendar, day: date) -> tuple[Interval, ...]:
    """The UTC intervals that start on local ``day`` (an overnight one ends the day after)."""
    if _is_closed(calendar, day):
        return ()
    zone = _zone(calendar.timezone)
    result = []
    for start, end in sorted(calendar.weekly[day.weekday()]):
        end_day = day + timedelta(days=1) if end <= start else day
        opened, closed = _instant(day, start, zone), _instant(end_day, end, zone)
        if closed > opened:
            result.append((opened, closed))
    return tuple(result)


def _is_closed(calendar: Calendar, day: date) -> bool:
    if day in calendar.closed_dates:
        return True
    if not calendar.holiday_country:
        return False
    return day in _public_holidays(calendar.holiday_country, calendar.holiday_subdivision, day.year)


@functools.lru_cache(maxsize=1024)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    # A frozenset rather than the holidays object: its lookups can add years to it.
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time ``wall`` on ``day``: first occurrence, or the gap's end."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # ``local`` lies in a gap. fold=0 read it with the offset before the gap
    # (landing after the transition) and fold=1 with the offset after (landing
    # before it); the transition lies between, found by halving to the second.
    low = int(local.replace(fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    offset_before = datetime.fromtimestamp(low, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


# Validation and parsing ------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError("timezone: required, an IANA name such as 'Europe/London'")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CalendarError(f"unknown time zone {name!r}") from None


def _check_overlaps(weekly: Sequence[Sequence[tuple[time, time]]]) -> None:
    """Refuse intervals that overlap on the wall clock, also across midnight and Sunday→Monday."""
    spans: list[tuple[int, int, str]] = []  # minutes from Monday 00:00, within one week
    for day, intervals in enumerate(weekly):
        for start, end in intervals:
            label = f"{WEEKDAYS[day]} {_interval_text(start, end)}"
            begin = day * _DAY_MINUTES + _minutes(start)
            length = (_minutes(end) - _minutes(start)) % _DAY_MINUTES or _DAY_MINUTES
            finish = begin + length
            spans.append((begin, min(finish, _WEEK_MINUTES), label))
            if finish > _WEEK_MINUTES:  # Sunday night running into Monday
                spans.append((0, finish - _WEEK_MINUTES, label))
    spans.sort()
    for (_, first_end, first), (second_start, _, second) in itertools.pairwise(spans):
        if second_start < first_end:
            raise CalendarError(f"weekly: {first} overlaps {second}")


def _check_holidays(country: str, subdivision: str) -> None:
    if not country:
        if subdivision:
            raise CalendarError(f"subdivision: {subdivision!r} given without a holidays country")
        return
    supported = _supported_countries()
    if country not in supported:
        raise CalendarError(
            f"holidays: unknown country code {country!r} "
            "(use an ISO code the holidays package supports, e.g. 'GB', 'US', 'FR')"
        )
    if subdivision and subdivision not in supported[country]:
        known = supported[country]
        hint = f"known: {', '.join(known)}" if known else f"{country} has none"
        raise CalendarError(
            f"subdivision: {subdivision!r} is not a subdivision of {country} ({hint})"
        )


@functools.lru_cache(maxsize=1)
def _supported_countries() -> dict[str, tuple[str, ...]]:
    return {
        code: tuple(subdivisions)
        for code, subdivisions in holidays.list_supported_countries().items()
    }


def _parse_weekly(raw: Any) -> tuple[tuple[tuple[time, time], ...], ...]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise CalendarError('weekly: must be an object such as {"mon": [["09:00", "17:00"]]}')
    for key in raw:
        if key not in WEEKDAYS:
            raise CalendarError(f"weekly: unknown weekday {key!r} (use {', '.join(WEEKDAYS)})")
    days = []
    for name in WEEKDAYS:
        intervals = raw.get(name) or []
        if not isinstance(intervals, list):
            raise CalendarError(f"weekly.{name}: must be a list of [start, end] pairs")
        parsed = []
        for index, pair in enumerate(intervals):
            where = f"weekly.{name}[{index}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise CalendarError(
                    f'{where}: must be a [start, end] pair such as ["09:00", "17:00"]'
                )
            parsed.append((_parse_time(pair[0], where), _parse_time(pair[1], where)))
        days.append(tuple(parsed))
    return tuple(days)


def _parse_time(raw: Any, where: str) -> time:
    if not isinstance(raw, str) or not _TIME_PATTERN.fullmatch(raw):
        raise CalendarError(f"{where}: {raw!r} is not a time in HH:MM form (00:00 to 24:00)")
    if raw == "24:00":
        return _MIDNIGHT
    return time(int(raw[:2]), int(raw[3:]))


def _parse_closed(raw: Any) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise CalendarError('closed: must be a list of dates such as ["2026-12-24"]')
    dates = set()
    for index, text in enumerate(raw):
        problem = f"closed[{index}]: {text!r} is not a date in YYYY-MM-DD form"
        if not isinstance(text, str) or not _DATE_PATTERN.fullmatch(text):
            raise CalendarError(problem)
        try:
            dates.add(date.fromisoformat(text))
        except ValueError:
            raise CalendarError(problem) from None
    return frozenset(dates)


def _optional_text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CalendarError(f"{field}: must be a text code, got {value!r}")
    return value


# Small helpers ----------------------------------------------------------------------


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _hhmm(moment: time, *, is_end: bool = False) -> str:
    if is_end and moment == _MIDNIGHT:
        return "24:00"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _interval_text(start: time, end: time) -> str:
    return f"{_hhmm(start)}{_DASH}{_hhmm(end, is_end=True)}"
