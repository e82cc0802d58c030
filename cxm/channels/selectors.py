"""Reads of the channels app: the public charter with what was measured, and the
per-channel scorecards, jointly and severally (seed 004)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone

from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require
from cxm.cases import fairness, hours
from cxm.cases.enums import OPEN_STATUSES, SlaMetric
from cxm.cases.models import Case, SlaClock
from cxm.channels.models import CharterEntry
from cxm.errors import ValidationFailed
from cxm.interactions.enums import Channel, Direction
from cxm.interactions.models import Interaction

CHARTER_DAYS = 30


@dataclass(frozen=True)
class Measured:
    days: int
    answered: int
    median_seconds: float | None
    p90_seconds: float | None
    unanswered: int
    unanswered_past_target: int


@dataclass(frozen=True)
class CharterLine:
    entry: CharterEntry
    hours_text: str
    target_seconds: float
    measured: Measured
    misses: bool
    note: str


def _note(entry: CharterEntry, measured: Measured, target: float) -> tuple[bool, str]:
    if measured.answered == 0:
        if measured.unanswered_past_target:
            return True, (
                f"No answers in the last {measured.days} days, and "
                f"{measured.unanswered_past_target} still wait beyond the target."
            )
        return False, f"Nothing to measure yet in the last {measured.days} days."
    median, p90 = measured.median_seconds or 0.0, measured.p90_seconds or 0.0
    goal = fairness.format_duration(target)
    if median > target:
        return True, (
            f"We miss this promise: half of the answers took longer than "
            f"{fairness.format_duration(median)}, against a target of {goal}."
        )
    if p90 > target:
        return True, (
            f"Most answers meet the target, but one in ten took longer than "
            f"{fairness.format_duration(p90)} (target {goal})."
        )
    if measured.unanswered_past_target:
        return True, (
            f"{measured.unanswered_past_target} messages are still unanswered past the target."
        )
    return False, "Measured answers meet the target."


def charter(*, now: datetime | None = None, include_unpublished: bool = False) -> list[CharterLine]:
    """The charter with the last 30 days measured: first responses in business time.

    Public (no actor): it publishes targets and company-wide figures, nothing
    about any customer. Three queries whatever the number of channels.
    """
    now = now or timezone.now()
    since = now - timedelta(days=CHARTER_DAYS)
    entries = list(
        CharterEntry.objects.all()
        if include_unpublished
        else CharterEntry.objects.filter(published=True)
    )
    channels = [e.channel for e in entries]
    answered: dict[str, list[float]] = defaultdict(list)
    unanswered: dict[str, int] = defaultdict(int)
    # Merged cases are left out here, not in the WHERE: "merged_into IS NULL" holds
    # for nearly every case, yet SQLite, without statistics, takes it for a selective
    # equality and reads the cases through the merged_into index (the whole table:
    # 60 ms at 200,000 cases) instead of by opening date (15 ms).
    for channel, seconds, status, merged_into in Case.objects.filter(
        channel__in=channels, opened_at__gte=since, opened_at__lt=now
    ).values_list("channel", "first_response_seconds", "status", "merged_into"):
        if merged_into is not None:
            continue
        if seconds is not None:
            answered[channel].append(seconds)
        elif status in OPEN_STATUSES:
            unanswered[channel] += 1
    late: dict[str, int] = defaultdict(int)
    for channel, merged_into in (
        SlaClock.objects.filter(
            metric=SlaMetric.FIRST_RESPONSE,
            stopped_at__isnull=True,
            due_at__lte=now,
            case__channel__in=channels,
            case__opened_at__gte=since,
        )
        .order_by()
        .values_list("case__channel", "case__merged_into")
    ):
        if merged_into is None:
            late[channel] += 1
    lines = []
    for entry in entries:
        spread = fairness.describe(answered[entry.channel])
        target = entry.target_first_response_minutes * 60.0
        measured = Measured(
            CHARTER_DAYS,
            spread.n,
            spread.median,
            spread.p90,
            unanswered[entry.channel],
            late.get(entry.channel, 0),
        )
        misses, note = _note(entry, measured, target)
        try:
            hours_text = hours.describe(hours.Calendar.from_dict(entry.hours))
        except hours.CalendarError:
            hours_text = "hours not set"
        lines.append(CharterLine(entry, hours_text, target, measured, misses, note))
    return lines


def charter_manage(*, actor: Actor) -> list[CharterLine]:
    actor_require(actor, Permission.CHANNEL_MANAGE)
    return charter(include_unpublished=True)


# Scorecards ------------------------------------------------------------------------------

# Each measure, and whether lower is better, in the order the scorecard shows them.
MEASURES: dict[str, tuple[str, bool]] = {
    "first_response": ("First response (median)", True),
    "resolution": ("Resolution (median)", True),
    "satisfaction": ("Satisfaction (CSAT, 1 to 5)", False),
    "sentiment": ("Sentiment of what customers wrote (-1 to 1)", False),
    "effort": ("Customer effort (CES, 1 to 7)", True),
    "contacts_per_case": ("Customer messages per case", True),
    "recontact_rate": ("Recontact within 7 days", True),
    "handoff_rate": ("Cases handed across channels", True),
}

# How the consistency message names a measure and writes its figures: "it lags most on
# first response (10.0 h against a median of 2.5 h across channels)", not raw seconds.
MEASURE_NAMES = {m: label.split(" (")[0].lower() for m, (label, _) in MEASURES.items()}


def _share(value: float) -> str:
    return f"{100 * value:.0f}%"


MEASURE_FORMATS: dict[str, Callable[[float], str]] = {
    "first_response": fairness.format_duration,
    "resolution": fairness.format_duration,
    "recontact_rate": _share,
    "handoff_rate": _share,
}


@dataclass(frozen=True)
class Scorecard:
    channel: str
    label: str
    cases: int
    inbound: int
    first_response: fairness.Spread
    resolution: fairness.Spread
    satisfaction: float | None
    satisfaction_n: int
    effort: float | None
    effort_n: int
    sentiment: float | None
    sentiment_n: int
    contacts_per_case: float | None
    recontact_rate: float | None
    resolved: int
    handoff_rate: float | None

    def value(self, measure: str) -> float | None:
        if measure in ("first_response", "resolution"):
            spread: fairness.Spread = getattr(self, measure)
            return spread.median
        value: float | None = getattr(self, measure)
        return value


@dataclass(frozen=True)
class Scorecards:
    since: datetime
    until: datetime
    cards: list[Scorecard]
    consistency: fairness.Consistency


def _survey_means(since: datetime, until: datetime, kind: str) -> dict[str, tuple[float, int]]:
    from cxm.feedback.models import Response

    rows = (
        Response.objects.filter(
            created_at__gte=since,
            created_at__lt=until,
            invitation__survey__kind=kind,
            invitation__segments__has_key="channel",
        )
        .values("invitation__segments__channel")
        .annotate(mean=Avg("score"), n=Count("id"))
        .values_list("invitation__segments__channel", "mean", "n")
    )
    return {str(channel): (float(mean), n) for channel, mean, n in rows if mean is not None}


def scorecards(*, actor: Actor, days: int = 30, now: datetime | None = None) -> Scorecards:
    """Each channel on its own measures, then all of them side by side.

    Company-wide figures (like the charter), for those who may read service
    reports. Five queries whatever the number of channels.
    """
    actor_require(actor, Permission.SERVICE_REPORT_VIEW)
    if not 1 <= days <= 3660:
        raise ValidationFailed("days must be between 1 and 3660", code="bad_days")
    now = now or timezone.now()
    since = now - timedelta(days=days)
    per: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "first": [],
            "resolution": [],
            "messages": 0,
            "cases": 0,
            "handoffs": 0,
            "resolved": 0,
        }
    )
    # Merged cases are left out here, not in the WHERE, as in the charter; whether a
    # case is resolved comes as a flag, which spares 20,000 dates read and converted.
    for channel, first, resolution, messages, handoffs, resolved, merged_into in (
        Case.objects.filter(opened_at__gte=since, opened_at__lt=now)
        .annotate(
            resolved=ExpressionWrapper(Q(resolved_at__isnull=False), output_field=BooleanField())
        )
        .values_list(
            "channel",
            "first_response_seconds",
            "resolution_seconds",
            "messages",
            "handoffs",
            "resolved",
            "merged_into",
        )
    ):
        if merged_into is not None:
            continue
        row = per[channel]
        row["cases"] += 1
        row["messages"] += messages
        row["handoffs"] += handoffs > 0
        row["resolved"] += bool(resolved)
        if first is not None:
            row["first"].append(first)
        if resolution is not None:
            row["resolution"].append(resolution)
    recontacts = dict(
        Case.objects.filter(
            recontact_of__opened_at__gte=since,
            recontact_of__opened_at__lt=now,
            recontact_of__resolved_at__isnull=False,
        )
        .values("recontact_of__channel")
        .annotate(n=Count("recontact_of", distinct=True))
        .values_list("recontact_of__channel", "n")
    )
    # One pass over the period's inbound messages (not the records systems send):
    # their number, and the mean of the scored ones (AVG and COUNT skip NULLs).
    inbound: dict[str, int] = {}
    sentiments: dict[str, tuple[float, int]] = {}
    for channel, n, mean, scored in (
        Interaction.objects.filter(
            occurred_at__gte=since,
            occurred_at__lt=now,
            direction=Direction.INBOUND,
            automated=False,
        )
        .values("channel")
        .annotate(n=Count("id"), mean=Avg("sentiment_score"), scored=Count("sentiment_score"))
        .values_list("channel", "n", "mean", "scored")
    ):
        inbound[channel] = n
        if scored:
            sentiments[channel] = (mean, scored)
    satisfaction = _survey_means(since, now, "csat")
    effort = _survey_means(since, now, "ces")
    channels = [c for c in Channel.values if per.get(c, {}).get("cases") or inbound.get(c)]
    cards = []
    for channel in channels:
        row = per[channel]
        cases = row["cases"]
        cards.append(
            Scorecard(
                channel=channel,
                label=Channel(channel).label,
                cases=cases,
                inbound=inbound.get(channel, 0),
                first_response=fairness.describe(row["first"]),
                resolution=fairness.describe(row["resolution"]),
                satisfaction=satisfaction.get(channel, (None, 0))[0],
                satisfaction_n=satisfaction.get(channel, (None, 0))[1],
                effort=effort.get(channel, (None, 0))[0],
                effort_n=effort.get(channel, (None, 0))[1],
                sentiment=sentiments.get(channel, (None, 0))[0],
                sentiment_n=sentiments.get(channel, (None, 0))[1],
                contacts_per_case=row["messages"] / cases if cases else None,
                recontact_rate=recontacts.get(channel, 0) / row["resolved"]
                if row["resolved"]
                else None,
                resolved=row["resolved"],
                handoff_rate=row["handoffs"] / cases if cases else None,
            )
        )
    consistency = fairness.consistency(
        {card.label: {m: card.value(m) for m in MEASURES} for card in cards},
        lower_is_better={m: lower for m, (_, lower) in MEASURES.items()},
        labels=MEASURE_NAMES,
        formats=MEASURE_FORMATS,
    )
    return Scorecards(since, now, cards, consistency)
