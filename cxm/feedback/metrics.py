"""The honest summary of a survey: the read behind the dashboard and the API.

Every figure is built by ``cxm.feedback.stats`` and carries its n and its
interval; this module only gathers the answers, invitations and customer-base
totals from the database and hands them over.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone

from cxm.access.selectors import Actor, customer_visibility
from cxm.customers.models import Customer
from cxm.errors import ValidationFailed
from cxm.feedback import services, stats
from cxm.feedback.enums import SCALES, InvitationStatus, SurveyKind
from cxm.feedback.models import Invitation, Response, Survey

# Segments an answer can be broken down by. The first three are known for
# every customer, so respondents can be weighted to the whole base on them.
BASE_DIMENSIONS = ("kind", "region", "account_size")
DIMENSIONS = (*BASE_DIMENSIONS, "plan", "journey_stage", "channel", "role")
# Regions beyond the largest few are pooled, so that weighting has respondents
# in every cell it corrects.
WEIGHTING_REGIONS = 8
MIN_SEGMENT_N = 30
# Raking converges slowly when two dimensions nearly determine each other (the
# customers of unknown region are mostly those of unknown kind): give it room.
RAKE_PASSES = 1000
MAX_DRIVERS = 10
MIN_DRIVER_MENTIONS = 10
BOOTSTRAP_SAMPLES = 400
VERBATIMS = 25
# What counts as a good answer for the share shown beside CSAT and CES means.
TOP_BOX: dict[str, int] = {SurveyKind.CSAT: 4, SurveyKind.CES: 5}


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    segment: tuple[str, str] | None = None
    channel: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        since: date | None = None,
        until: date | None = None,
        segment: str | None = None,
        channel: str | None = None,
    ) -> Filters:
        pair: tuple[str, str] | None = None
        if segment:
            dimension, sep, value = segment.partition("=")
            if not sep or dimension not in DIMENSIONS or not value:
                raise ValidationFailed(
                    f"segment '{segment}' is not dimension=value with a dimension among "
                    + ", ".join(DIMENSIONS),
                    code="bad_segment",
                )
            pair = (dimension, value)
        if since and until and since > until:
            raise ValidationFailed("'since' is after 'until'", code="bad_period")
        return cls(since=since, until=until, segment=pair, channel=channel or None)

    def query(self) -> str:
        parts = []
        if self.since:
            parts.append(f"since={self.since.isoformat()}")
        if self.until:
            parts.append(f"until={self.until.isoformat()}")
        if self.segment:
            parts.append(f"segment={self.segment[0]}={self.segment[1]}")
        if self.channel:
            parts.append(f"channel={self.channel}")
        return "&".join(parts)


@dataclass(frozen=True)
class Answer:
    score: int
    when: datetime
    segments: dict[str, str]
    comment: str
    sentiment: str
    sentiment_score: float | None
    topics: list[str]


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    figure: stats.NpsInterval | stats.Interval
    change: stats.Difference | None  # against the period before; None for the first


@dataclass(frozen=True)
class FunnelRow:
    dimension: str
    value: str
    invited: int
    displayed: int
    responded: int
    dismissed: int
    rates: dict[str, stats.Interval]


@dataclass(frozen=True)
class Weighting:
    dimensions: tuple[str, ...]
    unweighted: stats.NpsInterval | stats.Interval
    weighted: stats.NpsInterval | stats.Interval | None
    design_effect: float | None
    effective_n: float | None
    tests: dict[str, stats.Representativeness]
    note: str


@dataclass(frozen=True)
class Verbatim:
    score: int
    when: datetime
    comment: str
    sentiment: str
    sentiment_score: float | None
    topics: list[str]
    segments: dict[str, str]


@dataclass
class Summary:
    survey: Survey
    filters: Filters
    scale: tuple[int, int]
    n: int
    headline: stats.NpsInterval | stats.Interval
    top_box: stats.Interval | None
    distribution: list[tuple[int, int]]
    funnel: FunnelRow
    funnel_by_segment: list[FunnelRow]
    periods: list[Period]
    segments: list[stats.SegmentFinding]
    weighting: Weighting | None
    drivers: list[stats.Driver]
    drivers_note: str
    verbatims: list[Verbatim]
    notes: list[str] = field(default_factory=list)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _matches(segments: dict[str, str], filters: Filters) -> bool:
    if filters.segment is not None and segments.get(filters.segment[0]) != filters.segment[1]:
        return False
    return filters.channel is None or segments.get("channel") == filters.channel


def _answers(survey: Survey, filters: Filters, visible: Q) -> list[Answer]:
    responses = Response.objects.filter(visible, survey=survey)
    if filters.since:
        responses = responses.filter(created_at__gte=_day_start(filters.since))
    if filters.until:
        responses = responses.filter(created_at__lt=_day_start(filters.until + timedelta(days=1)))
    answers = []
    for (
        score,
        when,
        segments,
        channel,
        role,
        comment,
        label,
        value,
        topics,
    ) in responses.values_list(
        "score",
        "created_at",
        "invitation__segments",
        "invitation__channel",
        "role",
        "comment",
        "sentiment_label",
        "sentiment_score",
        "topics",
    ).order_by("created_at", "pk"):
        full = {**(segments or {}), "channel": channel}
        if role:
            full["role"] = role
        if _matches(full, filters):
            answers.append(Answer(score, when, full, comment, label, value, list(topics or [])))
    return answers


def _figure(kind: str, scores: list[int]) -> stats.NpsInterval | stats.Interval:
    if kind == SurveyKind.NPS:
        return stats.nps_of(stats.nps_counts(scores))
    return _on_scale(kind, stats.mean_interval([float(s) for s in scores]))


def _on_scale(kind: str, interval: stats.Interval) -> stats.Interval:
    """A mean cannot leave its scale: a t interval on few answers can, and is cut."""
    low, high = SCALES[kind]
    if interval.empty or math.isnan(interval.low):
        return interval
    return dataclasses.replace(interval, low=max(interval.low, low), high=min(interval.high, high))


def _compare(kind: str, a: list[int], b: list[int]) -> stats.Difference:
    if kind == SurveyKind.NPS:
        return stats.nps_difference(stats.nps_counts(a), stats.nps_counts(b))
    return stats.mean_difference([float(s) for s in a], [float(s) for s in b])


def _periods(kind: str, answers: list[Answer]) -> list[Period]:
    """Month by month, each against the month before; the test says whether it moved."""
    months: dict[date, list[int]] = defaultdict(list)
    for answer in answers:
        local = timezone.localtime(answer.when)
        months[date(local.year, local.month, 1)].append(answer.score)
    periods: list[Period] = []
    previous: list[int] | None = None
    for start in sorted(months):
        scores = months[start]
        change = _compare(kind, scores, previous) if previous else None
        periods.append(Period(f"{start:%b %Y}", start, _figure(kind, scores), change))
        previous = scores
    return periods


def _funnel_counts(invitations: Iterable[tuple[str, dict[str, str]]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for status, _ in invitations:
        counts["invited"] += 1
        if status in (
            InvitationStatus.DISPLAYED,
            InvitationStatus.RESPONDED,
            InvitationStatus.DISMISSED,
        ):
            counts["displayed"] += 1
        if status == InvitationStatus.RESPONDED:
            counts["responded"] += 1
        if status == InvitationStatus.DISMISSED:
            counts["dismissed"] += 1
    return counts


def _funnel_row(dimension: str, value: str, counts: Counter[str]) -> FunnelRow:
    return FunnelRow(
        dimension,
        value,
        counts["invited"],
        counts["displayed"],
        counts["responded"],
        counts["dismissed"],
        stats.funnel(counts["invited"], counts["displayed"], counts["responded"]),
    )


def _invitations(survey: Survey, filters: Filters, visible: Q) -> list[tuple[str, dict[str, str]]]:
    invitations = Invitation.objects.filter(visible, survey=survey)
    if filters.since:
        invitations = invitations.filter(invited_at__gte=_day_start(filters.since))
    if filters.until:
        invitations = invitations.filter(
            invited_at__lt=_day_start(filters.until + timedelta(days=1))
        )
    out = []
    for status, segments, channel in invitations.values_list("status", "segments", "channel"):
        full = {**(segments or {}), "channel": channel}
        if _matches(full, filters):
            out.append((status, full))
    return out


def _funnels(
    invitations: list[tuple[str, dict[str, str]]],
) -> tuple[FunnelRow, list[FunnelRow]]:
    overall = _funnel_row("all", "all", _funnel_counts(invitations))
    groups: dict[tuple[str, str], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for item in invitations:
        for dimension in DIMENSIONS:
            value = item[1].get(dimension)
            if value:
                groups[(dimension, value)].append(item)
    rows = [
        _funnel_row(dimension, value, _funnel_counts(items))
        for (dimension, value), items in sorted(groups.items())
    ]
    return overall, rows


def _segment_findings(kind: str, answers: list[Answer]) -> list[stats.SegmentFinding]:
    if kind == SurveyKind.NPS:
        nps_groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for answer in answers:
            for dimension in DIMENSIONS:
                value = answer.segments.get(dimension)
                if value:
                    nps_groups[(dimension, value)].append(answer.score)
        return stats.segments_below(
            {key: stats.nps_counts(scores) for key, scores in nps_groups.items()},
            min_n=MIN_SEGMENT_N,
        )
    mean_groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for answer in answers:
        for dimension in DIMENSIONS:
            value = answer.segments.get(dimension)
            if value:
                mean_groups[(dimension, value)].append(float(answer.score))
    return stats.segments_below_mean(mean_groups, min_n=MIN_SEGMENT_N)


def base_totals(visible: Q | None = None) -> dict[str, Counter[str]]:
    """How the live customer base splits on each segment CXM knows for everyone."""
    ids = Customer.objects.filter(
        visible or Q(), merged_into__isnull=True, erased_at__isnull=True
    ).values_list("pk", flat=True)
    totals: dict[str, Counter[str]] = {d: Counter() for d in BASE_DIMENSIONS}
    chunk: list[int] = []
    for pk in ids.iterator(chunk_size=5000):
        chunk.append(pk)
        if len(chunk) == 5000:
            _add_totals(totals, chunk)
            chunk = []
    _add_totals(totals, chunk)
    return totals


def _add_totals(totals: dict[str, Counter[str]], ids: list[int]) -> None:
    for segments in services.segments_for(ids).values():
        for dimension in BASE_DIMENSIONS:
            totals[dimension][segments[dimension]] += 1


def _pooled_regions(base: Counter[str]) -> set[str]:
    return {value for value, _ in base.most_common(WEIGHTING_REGIONS)}


def _weighting(kind: str, answers: list[Answer], base: dict[str, Counter[str]]) -> Weighting | None:
    if not answers:
        return None
    kept_regions = _pooled_regions(base["region"])

    def cell(answer: Answer, dimension: str) -> str:
        value = answer.segments.get(dimension, "unknown")
        if dimension == "region" and value not in kept_regions:
            return "other regions"
        return value

    margins: dict[str, dict[str, float]] = {}
    for dimension in BASE_DIMENSIONS:
        margin: Counter[str] = Counter()
        for value, count in base[dimension].items():
            key = value if dimension != "region" or value in kept_regions else "other regions"
            margin[key] += count
        margins[dimension] = dict(margin)

    tests = {}
    for dimension in BASE_DIMENSIONS:
        seen = Counter(cell(a, dimension) for a in answers)
        try:
            tests[dimension] = stats.representativeness(dict(seen), margins[dimension])
        except ValueError:
            continue
    unweighted = _figure(kind, [a.score for a in answers])
    # Only dimensions every answer carries can be raked; a base category no one
    # answered from cannot be reweighted and is left out of the targets, noted.
    sample = [{d: cell(a, d) for d in BASE_DIMENSIONS} for a in answers]
    missing: list[str] = []
    usable: dict[str, dict[str, float]] = {}
    for dimension, targets in margins.items():
        present = {row[dimension] for row in sample}
        absent = [value for value in targets if value not in present]
        missing.extend(f"{dimension}={value}" for value in absent)
        usable[dimension] = {value: n for value, n in targets.items() if value in present}
    note = (
        "no respondents from " + ", ".join(sorted(missing)) + "; those customers are not "
        "represented at all"
        if missing
        else ""
    )
    try:
        weights = stats.rake(sample, usable, max_iter=RAKE_PASSES)
    except ValueError as exc:
        return Weighting(BASE_DIMENSIONS, unweighted, None, None, None, tests, str(exc))
    scores = [a.score for a in answers]
    weighted: stats.NpsInterval | stats.Interval
    if kind == SurveyKind.NPS:
        weighted = stats.weighted_nps(scores, weights)
    else:
        weighted = _on_scale(kind, _weighted_mean(scores, weights))
    return Weighting(
        BASE_DIMENSIONS,
        unweighted,
        weighted,
        stats.kish_design_effect(weights),
        stats.effective_n(weights),
        tests,
        note,
    )


def _weighted_mean(scores: list[int], weights: list[float]) -> stats.Interval:
    """A weighted mean with a t interval on Kish's effective n."""
    w = np.asarray(weights, dtype=float)
    x = np.asarray(scores, dtype=float)
    mean = float((w * x).sum() / w.sum())
    n_eff = stats.effective_n(weights)
    if len(scores) < 2 or n_eff <= 1:
        return stats.Interval(mean, math.nan, math.nan, len(scores))
    variance = float((w * (x - mean) ** 2).sum() / w.sum()) * len(scores) / (len(scores) - 1)
    from scipy import stats as scipy_stats

    half = float(scipy_stats.t.ppf(0.975, n_eff - 1)) * math.sqrt(variance / n_eff)
    return stats.Interval(mean, mean - half, mean + half, len(scores))


def _drivers(answers: list[Answer]) -> tuple[list[stats.Driver], str]:
    """Which topics and segments move the score: Johnson's relative weights."""
    mentions: Counter[str] = Counter()
    for answer in answers:
        for topic in set(answer.topics):
            mentions[f"topic: {topic}"] += 1
        for dimension in ("kind", "role", "account_size"):
            value = answer.segments.get(dimension)
            if value:
                mentions[f"{dimension}: {value}"] += 1
    n = len(answers)
    names = [
        name
        for name, count in mentions.most_common()
        if MIN_DRIVER_MENTIONS <= count <= n - MIN_DRIVER_MENTIONS
    ]
    # The most common value of each segment dimension stays out as the reference
    # level: with every value in, the indicators would add up to one.
    reference: dict[str, str] = {}
    for dimension in ("kind", "role", "account_size"):
        values = Counter(a.segments.get(dimension) for a in answers if a.segments.get(dimension))
        if values:
            reference[dimension] = values.most_common(1)[0][0]  # type: ignore[assignment]
    kept = [
        name
        for name in names
        if name.startswith("topic: ")
        or reference.get(name.split(": ", 1)[0]) != name.split(": ", 1)[1]
    ]
    kept = kept[:MAX_DRIVERS]
    if len(kept) < 2 or n < 30:
        return [], "too few answers, or too few topics and segments that vary, to weigh drivers"
    x = np.array(
        [
            [
                1.0
                if (
                    name[len("topic: ") :] in answer.topics
                    if name.startswith("topic: ")
                    else answer.segments.get(name.split(": ", 1)[0]) == name.split(": ", 1)[1]
                )
                else 0.0
                for name in kept
            ]
            for answer in answers
        ]
    )
    y = np.array([float(a.score) for a in answers])
    try:
        drivers = stats.relative_weights_bootstrap(
            x, y, names=kept, samples=BOOTSTRAP_SAMPLES, seed=0
        )
    except ValueError as exc:
        return [], str(exc)
    return drivers, ""


def survey_summary(
    *, survey: Survey, filters: Filters | None = None, actor: Actor = None
) -> Summary:
    """The survey's figures over the customers the actor may see.

    A team-scoped role (agent, supervisor) reads its teams' customers' answers
    only, weighted to its teams' part of the base; everyone else reads all.
    """
    filters = filters or Filters()
    kind = survey.kind
    low, high = SCALES[kind]
    visible = customer_visibility(actor, prefix="customer__")
    answers = _answers(survey, filters, visible)
    scores = [a.score for a in answers]
    counts = Counter(scores)
    top_box = None
    if kind in TOP_BOX:
        top_box = stats.proportion_interval(
            sum(1 for s in scores if s >= TOP_BOX[kind]), len(scores)
        )
    overall, by_segment = _funnels(_invitations(survey, filters, visible))
    drivers, drivers_note = _drivers(answers)
    notes = []
    if filters.segment is None:
        notes.append(
            "Segments are compared with the rest of the respondents; false discoveries across "
            "segments are held at 5% (Benjamini-Hochberg)."
        )
    return Summary(
        survey=survey,
        filters=filters,
        scale=(low, high),
        n=len(answers),
        headline=_figure(kind, scores),
        top_box=top_box,
        distribution=[(value, counts.get(value, 0)) for value in range(low, high + 1)],
        funnel=overall,
        funnel_by_segment=by_segment,
        periods=_periods(kind, answers),
        segments=_segment_findings(kind, answers),
        weighting=_weighting(kind, answers, base_totals(customer_visibility(actor))),
        drivers=drivers,
        drivers_note=drivers_note,
        verbatims=[
            Verbatim(
                a.score, a.when, a.comment, a.sentiment, a.sentiment_score, a.topics, a.segments
            )
            for a in reversed(answers)
            if a.comment
        ][:VERBATIMS],
        notes=notes,
    )


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 4)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.floating):
        return _clean(float(value))
    return value


def as_json(summary: Summary) -> dict[str, Any]:
    """The summary as JSON-ready values; NaN (a figure from nothing) becomes null."""
    data = {
        f.name: getattr(summary, f.name) for f in dataclasses.fields(summary) if f.name != "survey"
    }
    out: dict[str, Any] = {
        "survey": {
            "id": summary.survey.pk,
            "name": summary.survey.name,
            "kind": summary.survey.kind,
        }
    }
    for key, value in data.items():
        if key == "filters":
            out[key] = {
                "since": value.since,
                "until": value.until,
                "segment": "=".join(value.segment) if value.segment else None,
                "channel": value.channel,
            }
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            out[key] = dataclasses.asdict(value)
        elif isinstance(value, list):
            out[key] = [
                dataclasses.asdict(v)
                if dataclasses.is_dataclass(v) and not isinstance(v, type)
                else v
                for v in value
            ]
        else:
            out[key] = value
    cleaned: dict[str, Any] = _clean(out)
    return cleaned


def surveys_overview() -> list[dict[str, Any]]:
    """Each survey with its number of answers, for the dashboard's chooser."""
    return list(
        Survey.objects.annotate(answers=Count("responses"))
        .values("pk", "name", "kind", "answers", "active")
        .order_by("name")
    )
