"""Finding the commitments in what the company wrote to a customer.

"We will call you back tomorrow", "your engineer will come on Tuesday", "the
credit will be on your next bill": each is a promise someone will have to keep.
:func:`find` reads a message sentence by sentence and returns the commitments
it holds, with their kind, the sentence itself and, where the sentence names
one, the due date, read in the team's time zone relative to when it was said.

It suggests, it does not decide: an agent confirms each suggestion (or
dismisses it) before it enters the ledger. So it errs towards precision:
questions, conditionals ("if it happens again we will…"), hedges ("we may be
able to…") and refusals ("we won't…") are not commitments.

Dates: today, tonight, tomorrow, weekdays ("on Tuesday", "by next Friday" —
a weekday always means the next one after today), "within 48 hours", "in 3
working days", "by the end of the week/month", "next week", and written dates
("12 March", "March 12th", "12/03/2026", "2026-03-12"), with an optional time
("at 3pm", "by 10:30", "between 8am and 1pm": the end of a slot). A day without
a time is due at the end of the working day (17:00). Plain Python, no Django.
"""

from __future__ import annotations

import calendar as month_calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

END_OF_DAY = time(17, 0)
MAX_TEXT = 20_000
MAX_QUOTE = 500

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Someone on the company's side committing to something.
_COMMIT = re.compile(
    r"\b(?:we|i|our (?:team|engineer|technician|courier)|your (?:engineer|technician|"
    r"installer|order|router|parcel|credit|refund|bill|fix|new)|the (?:engineer|technician|"
    r"credit|refund|fix|update|release|new \w+|courier|parcel))\b[^.?!]{0,40}?"
    r"\b(?:will|'ll|shall|are going to|am going to|is going to)\b"
    r"|\b(?:we|i)(?:'ll| will)\b"
    r"|\b(?:is|are|has been|have been) (?:booked|scheduled|arranged|confirmed) (?:for|on)\b"
    r"|\b(?:we|i) (?:promise|guarantee|commit)\b",
    re.IGNORECASE,
)
_NOT_A_COMMITMENT = re.compile(
    r"^\s*(?:if|when|should|unless|in case)\b"
    r"|\b(?:won't|will not|can't|cannot|couldn't|unable|not able|might|could|"
    r"perhaps|possibly|hopefully|try to|trying to|hope to)\b"
    # "may" the verb, not the month: "we may be able to", "it may take".
    r"|\bmay (?:be|not|have|need|take|well|try|get|also|only|still)\b",
    re.IGNORECASE,
)

# The kind of a commitment: the first pattern that matches.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (
            "call_back",
            r"\b(?:call|ring|phone) you\b|\bcall(?:-| )?back\b|\bget back to you\b"
            r"|\b(?:be|get) in touch\b",
        ),
        (
            "installation",
            r"\binstall|\bengineer\b|\btechnician\b|\bconnect(?:ed|ion)? (?:you|your)",
        ),
        ("delivery", r"\bdeliver|\bdispatch|\bship|\bcourier\b|\bparcel\b|\barriv|\bpost(?:ed)?\b"),
        ("fix", r"\bfix|\brepair|\bresolv|\brestor|\bpatch|\brelease\b|\bsorted\b"),
        ("price", r"\bcredit|\brefund|\bdiscount|\bprice\b|\bcharge|£\s?\d|\bbill\b"),
        ("value_target", r"\b(?:cut|reduce|halve|improve)\b.*\b(?:by|to)\b.*(?:%|half|per ?cent)"),
        ("feature", r"\bfeature\b|\bsupport(?:s|ed)?\b|\bbe able to\b|\bupgrade\b"),
        ("service_level", r"\brespond\b|\bresponse\b|\bup ?time\b|\bavailability\b"),
    )
)

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" + (
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "ten": 10,
    "fourteen": 14,
    "twenty-four": 24,
    "forty-eight": 48,
}
_COUNT = r"(\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# Day first; "24/7" is round the clock, not the 24th of July.
_SLASH_DATE = re.compile(r"\b(?!24/7\b)(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b")
_DAY_MONTH = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?(?: of)? " + _MONTH + r"\b(?:,? (\d{4}))?", re.I
)
_MONTH_DAY = re.compile(_MONTH + r" (\d{1,2})(?:st|nd|rd|th)?\b(?:,? (\d{4}))?", re.I)
_WEEKDAY = re.compile(r"\b(next |this )?(" + "|".join(_WEEKDAYS) + r")\b", re.I)
_WITHIN = re.compile(
    r"\b(?:within|in|in the next)\s+(?:the\s+)?" + _COUNT + r"?\s*"
    r"(working days?|business days?|minutes?|mins?|hours?|hrs?|days?|weeks?)\b",
    re.I,
)
_WITHIN_THE_HOUR = re.compile(r"\b(?:within|in) the (?:next )?hour\b", re.I)
_TIME = re.compile(
    r"(?:\b(?:at|by|before|from|after|between|around|until|and|to)\s+|-\s*)"
    r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b",
    re.I,
)
_NOON = re.compile(r"\b(?:by|before|at) (?:noon|midday|lunch ?time)\b", re.I)
_MORNING = re.compile(r"\bmorning\b", re.I)
_AFTERNOON = re.compile(r"\bafternoon\b", re.I)
_EVENING = re.compile(r"\b(?:evening|tonight)\b", re.I)


@dataclass(frozen=True)
class Commitment:
    kind: str
    quote: str
    due: datetime | None  # aware, in UTC; None when the sentence names no date


def find(text: str, *, said_at: datetime, zone: str = "Europe/London") -> list[Commitment]:
    """The commitments in ``text``, one per kind (the first sentence of each kind)."""
    if said_at.tzinfo is None:
        raise ValueError("said_at must be timezone-aware")
    local_zone = ZoneInfo(zone)
    found: dict[str, Commitment] = {}
    for sentence in _SENTENCE.split(text[:MAX_TEXT]):
        sentence = " ".join(sentence.split())
        if not sentence or sentence.endswith("?"):
            continue
        if not _COMMIT.search(sentence) or _NOT_A_COMMITMENT.search(sentence):
            continue
        kind = next((k for k, pattern in _KINDS if pattern.search(sentence)), "other")
        if kind in found:
            continue
        quote = sentence if len(sentence) <= MAX_QUOTE else sentence[: MAX_QUOTE - 1] + "…"
        found[kind] = Commitment(kind, quote, due_in(sentence, said_at=said_at, zone=local_zone))
    return list(found.values())


def due_in(sentence: str, *, said_at: datetime, zone: ZoneInfo) -> datetime | None:
    """The due date a sentence names, relative to when it was said; None if none."""
    local = said_at.astimezone(zone)
    today = local.date()
    lowered = sentence.lower()

    span = _span(lowered, local)
    if span is not None:
        return span.astimezone(UTC)
    day = _day(lowered, today)
    if day is None:
        clock = _clock(lowered)
        if clock is None:
            return None
        # A time alone ("at 3pm"): today if it is still ahead, else tomorrow.
        moment = datetime.combine(today, clock, tzinfo=zone)
        if moment <= local:
            moment = datetime.combine(today + timedelta(days=1), clock, tzinfo=zone)
        return moment.astimezone(UTC)
    clock = _clock(lowered) or END_OF_DAY
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _count(raw: str | None) -> int:
    if raw is None:
        return 1
    return int(raw) if raw.isdigit() else _NUMBER_WORDS[raw.lower()]


def _span(lowered: str, local: datetime) -> datetime | None:
    """A duration from now: "within 48 hours", "in 3 working days", "within the hour"."""
    if _WITHIN_THE_HOUR.search(lowered):
        return local + timedelta(hours=1)
    match = _WITHIN.search(lowered)
    if match is None:
        return None
    count = _count(match.group(1))
    unit = match.group(2).lower()
    if unit.startswith(("working", "business")):
        day = local.date()
        left = count
        while left:
            day += timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return datetime.combine(day, END_OF_DAY, tzinfo=local.tzinfo)
    if unit.startswith("min"):
        return local + timedelta(minutes=count)
    if unit.startswith(("hour", "hr")):
        return local + timedelta(hours=count)
    if unit.startswith("week"):
        return datetime.combine(
            local.date() + timedelta(weeks=count), END_OF_DAY, tzinfo=local.tzinfo
        )
    return datetime.combine(local.date() + timedelta(days=count), END_OF_DAY, tzinfo=local.tzinfo)


def _year_for(month: int, day: int, today: date) -> int:
    """A date written without its year: the next one on or after today."""
    year = today.year
    try:
        if date(year, month, day) < today:
            year += 1
    except ValueError:
        year += 1
    return year


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_number(name: str) -> int:
    name = name.lower()
    return next(i for i, month in enumerate(_MONTHS, start=1) if month.startswith(name[:3]))


def _day(lowered: str, today: date) -> date | None:
    if match := _ISO_DATE.search(lowered):
        return _date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _DAY_MONTH.search(lowered):
        day, month = int(match.group(1)), _month_number(match.group(2))
        year = int(match.group(3)) if match.group(3) else _year_for(month, day, today)
        return _date(year, month, day)
    if match := _MONTH_DAY.search(lowered):
        month, day = _month_number(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else _year_for(month, day, today)
        return _date(year, month, day)
    if match := _SLASH_DATE.search(lowered):
        # Day first, as written in the UK and most of the world.
        day, month = int(match.group(1)), int(match.group(2))
        if match.group(3):
            year = int(match.group(3))
            year += 2000 if year < 100 else 0
        else:
            year = _year_for(month, day, today)
        return _date(year, month, day)
    if re.search(r"\b(?:today|this (?:afternoon|evening|morning)|tonight)\b", lowered):
        return today
    if re.search(r"\btomorrow\b", lowered):
        return today + timedelta(days=1)
    if re.search(r"\b(?:end of (?:the|this) week|by the weekend)\b", lowered):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if re.search(r"\bend of (?:the|this) month\b", lowered):
        last = month_calendar.monthrange(today.year, today.month)[1]
        return today.replace(day=last)
    if match := _WEEKDAY.search(lowered):
        wanted = _WEEKDAYS.index(match.group(2).lower())
        ahead = (wanted - today.weekday()) % 7 or 7
        if (match.group(1) or "").strip() == "next" and ahead < 7 and today.weekday() < wanted:
            # "next Friday" said on a Monday: most people mean the Friday after this one.
            ahead += 7
        return today + timedelta(days=ahead)
    if re.search(r"\bnext week\b", lowered):
        return today + timedelta(days=(4 - today.weekday()) % 7 + 7)
    return None


def _clock(lowered: str) -> time | None:
    if _NOON.search(lowered):
        return time(12, 0)
    times = []
    for match in _TIME.finditer(lowered):
        hour = int(match.group(1))
        minute = int(match.group(2) or 0)
        meridiem = (match.group(3) or "").lower()
        if not meridiem and not match.group(2):
            continue  # a bare number ("by 3") is too often not a time
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            continue
        times.append(time(hour, minute))
    if times:
        # A slot ("between 8am and 1pm") is kept by its end.
        return max(times)
    if _MORNING.search(lowered):
        return time(12, 0)
    if _AFTERNOON.search(lowered):
        return END_OF_DAY
    if _EVENING.search(lowered):
        return time(20, 0)
    return None
