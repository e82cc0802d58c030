"""Customer health: an explainable score, and how well a score ranks customers
who later left.

The score (0-100) is a weighted mean of components, each scored 0 (as bad as
it gets) to 1 (nothing wrong) from facts about the customer, with a sentence
saying why:

- **promises**: every promise broken in the last 180 days costs 0.35, every one
  at risk now 0.15 (only for customers who were promised something);
- **time to value**: on track 1; a milestone behind 0.5, stuck 0.15; once value
  is reached, its target over the time it took (1 when on time);
- **sentiment trend**: the recent (90-day) mean sentiment of what the customer
  wrote, mapped from -1..1 to 0..1, less half of any fall from the 90 days
  before (at least two scored messages needed);
- **contact frequency**: 1 for at most one inbound contact in 30 days, falling
  as ``1 / (1 + (n - 1) / 3)``: a customer who has to keep getting in touch is
  not being served;
- **open cases**: 1 less 0.2 per open case and 0.2 more per breached one;
- **survey answers**: the latest NPS (score/10), CSAT ((s-1)/4) and CES
  ((s-1)/6) of the last year, averaged.

A component with nothing to go on is left out, and the weights of those present
are renormalised: a customer never promised anything is not marked down or up
for it. Tiers: healthy from 70, watch from 50, at risk below.

The second half measures a score against what happened: the AUC (the chance a
customer who churned scored worse than one who stayed, ties counted half) with
DeLong's standard error, and DeLong's paired test of two scores on the same
customers. Plain Python and NumPy, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

DEFAULT_WEIGHTS: dict[str, float] = {
    "promises": 0.25,
    "time_to_value": 0.15,
    "sentiment": 0.20,
    "contact": 0.10,
    "cases": 0.15,
    "surveys": 0.15,
}
COMPONENT_NAMES = {
    "promises": "Promises",
    "time_to_value": "Time to value",
    "sentiment": "Sentiment trend",
    "contact": "Contact frequency",
    "cases": "Open cases",
    "surveys": "Survey answers",
}
HEALTHY = 70.0
WATCH = 50.0
BROKEN_COST = 0.35
AT_RISK_COST = 0.15
CASE_COST = 0.2


@dataclass(frozen=True)
class Facts:
    """What the score looks at, gathered as of one moment (``cxm.journeys.selectors``)."""

    promises_made: int = 0  # in the last 180 days
    promises_broken: int = 0  # in the last 180 days
    promises_at_risk: int = 0  # pending and at risk
    # "" (nothing bought with milestones), "on_track", "behind", "stuck", "reached"
    onboarding: str = ""
    # For "reached": the target days and the days it took to first value.
    value_target_days: float | None = None
    value_days: float | None = None
    behind_milestone: str = ""
    sentiment_recent: float | None = None  # mean, -1..1
    sentiment_previous: float | None = None
    sentiment_messages: int = 0
    contacts_30d: int = 0
    open_cases: int = 0
    breached_cases: int = 0
    # Latest answers of the last year, by kind: {"nps": 9, "csat": 2, "ces": 5}.
    surveys: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    component: str
    name: str
    weight: float  # as configured
    score: float | None  # 0..1; None when left out
    share: float  # of the total weight actually used (0 when left out)
    why: str

    @property
    def points(self) -> float:
        """What the part adds to the 0-100 score."""
        return 0.0 if self.score is None else 100 * self.share * self.score

    @property
    def most(self) -> float:
        """What the part would add with nothing wrong."""
        return 100 * self.share


@dataclass(frozen=True)
class Health:
    score: float | None  # 0..100; None when no component had anything to go on
    tier: str  # healthy | watch | at_risk | unknown
    parts: list[Part]


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _promises(f: Facts) -> tuple[float | None, str]:
    if f.promises_made == 0 and f.promises_at_risk == 0 and f.promises_broken == 0:
        return None, "no promises in the last 180 days"
    score = _clip(1 - BROKEN_COST * f.promises_broken - AT_RISK_COST * f.promises_at_risk)
    if not f.promises_broken and not f.promises_at_risk:
        return score, f"{_plural(f.promises_made, 'promise')}, none broken or at risk"
    parts = []
    if f.promises_broken:
        parts.append(f"{_plural(f.promises_broken, 'promise')} broken")
    if f.promises_at_risk:
        parts.append(f"{f.promises_at_risk} at risk now")
    return score, " and ".join(parts) + " (last 180 days)"


def _time_to_value(f: Facts) -> tuple[float | None, str]:
    if not f.onboarding:
        return None, "nothing bought with onboarding milestones"
    if f.onboarding == "on_track":
        return 1.0, "onboarding on track"
    if f.onboarding == "behind":
        return 0.5, f"behind on {f.behind_milestone or 'a milestone'}"
    if f.onboarding == "stuck":
        return 0.15, f"stuck at {f.behind_milestone or 'a milestone'}"
    if f.onboarding == "reached" and f.value_target_days is not None and f.value_days is not None:
        if f.value_days <= f.value_target_days or f.value_days <= 0:
            return 1.0, f"first value in {f.value_days:.0f} days, within the target"
        return (
            _clip(f.value_target_days / f.value_days),
            f"first value took {f.value_days:.0f} days against a target of "
            f"{f.value_target_days:.0f}",
        )
    raise ValueError(f"unknown onboarding state {f.onboarding!r}")


def _sentiment(f: Facts) -> tuple[float | None, str]:
    if f.sentiment_recent is None or f.sentiment_messages < 2:
        return None, "fewer than two scored messages in the last 90 days"
    level = (f.sentiment_recent + 1) / 2
    why = f"mean sentiment {f.sentiment_recent:+.2f} over {f.sentiment_messages} messages"
    if f.sentiment_previous is None:
        return _clip(level), why + " (nothing to compare with before)"
    fall = max(0.0, f.sentiment_previous - f.sentiment_recent)
    change = f.sentiment_recent - f.sentiment_previous
    trend = "down from" if change < -0.05 else "up from" if change > 0.05 else "steady against"
    return (
        _clip(level - fall / 2),
        why + f", {trend} {f.sentiment_previous:+.2f} in the 90 days before",
    )


def _contact(f: Facts) -> tuple[float | None, str]:
    n = f.contacts_30d
    score = 1.0 if n <= 1 else 1 / (1 + (n - 1) / 3)
    return score, f"{_plural(n, 'inbound contact')} in the last 30 days"


def _cases(f: Facts) -> tuple[float | None, str]:
    score = _clip(1 - CASE_COST * f.open_cases - CASE_COST * f.breached_cases)
    if not f.open_cases:
        return score, "no open case"
    why = f"{_plural(f.open_cases, 'open case')}"
    if f.breached_cases:
        why += f", {f.breached_cases} past its service level"
    return score, why


SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


def _surveys(f: Facts) -> tuple[float | None, str]:
    scores = []
    said = []
    for kind, value in sorted(f.surveys.items()):
        low, high = SURVEY_SCALES[kind]
        scores.append(_clip((value - low) / (high - low)))
        said.append(f"{kind.upper()} {value}")
    if not scores:
        return None, "no survey answer in the last year"
    return sum(scores) / len(scores), "latest " + ", ".join(said)


_COMPONENTS = {
    "promises": _promises,
    "time_to_value": _time_to_value,
    "sentiment": _sentiment,
    "contact": _contact,
    "cases": _cases,
    "surveys": _surveys,
}


def tier(score: float | None) -> str:
    if score is None:
        return "unknown"
    if score >= HEALTHY:
        return "healthy"
    if score >= WATCH:
        return "watch"
    return "at_risk"


def score(facts: Facts, weights: Mapping[str, float] | None = None) -> Health:
    """The health score with every component: its score, its share and why."""
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(weights) - set(_COMPONENTS)
    if unknown:
        raise ValueError(f"unknown health components: {', '.join(sorted(unknown))}")
    for name, weight in weights.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"the weight of {name} must be a number ≥ 0")
    found = {name: _COMPONENTS[name](facts) for name in _COMPONENTS}
    used = sum(weights.get(name, 0.0) for name, (value, _) in found.items() if value is not None)
    parts = [
        Part(
            component=name,
            name=COMPONENT_NAMES[name],
            weight=weights.get(name, 0.0),
            score=value,
            share=weights.get(name, 0.0) / used if value is not None and used > 0 else 0.0,
            why=why,
        )
        for name, (value, why) in found.items()
    ]
    if used <= 0:
        return Health(None, "unknown", parts)
    total = sum(part.points for part in parts)
    return Health(round(total, 1), tier(total), parts)


# How well a score ranks what happened -----------------------------------------------------


def _split(scores: Sequence[float], outcomes: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(scores, dtype=float)
    flags = np.asarray(outcomes, dtype=bool)
    if values.shape != flags.shape or values.ndim != 1:
        raise ValueError("scores and outcomes must be flat sequences of the same length")
    if not np.all(np.isfinite(values)):
        raise ValueError("scores must be finite numbers")
    positives, negatives = values[flags], values[~flags]
    if positives.size == 0 or negatives.size == 0:
        raise ValueError("the AUC needs at least one case of each outcome")
    return positives, negatives


def _placements(positives: np.ndarray, negatives: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components: for each positive, the share of negatives it
    outranks (ties half); for each negative, the share of positives outranking it."""
    greater = (positives[:, None] > negatives[None, :]).astype(float)
    ties = (positives[:, None] == negatives[None, :]).astype(float)
    kernel = greater + ties / 2
    return kernel.mean(axis=1), kernel.mean(axis=0)


def auc(scores: Sequence[float], outcomes: Sequence[bool]) -> float:
    """P(a random positive scores above a random negative), ties counted half."""
    positives, negatives = _split(scores, outcomes)
    v10, _ = _placements(positives, negatives)
    return float(v10.mean())


@dataclass(frozen=True)
class AucInterval:
    auc: float
    se: float
    low: float
    high: float
    positives: int
    negatives: int
    confidence: float = 0.95


def auc_interval(
    scores: Sequence[float], outcomes: Sequence[bool], confidence: float = 0.95
) -> AucInterval:
    """The AUC with DeLong, DeLong and Clarke-Pearson's (1988) standard error and a
    normal interval clipped to 0..1. Higher scores are meant to go with the positive
    outcome: pass a risk, or minus a health score, to predict churn."""
    positives, negatives = _split(scores, outcomes)
    v10, v01 = _placements(positives, negatives)
    area = float(v10.mean())
    m, n = positives.size, negatives.size
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    se = math.sqrt(s10 / m + s01 / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return AucInterval(
        area, se, max(0.0, area - z * se), min(1.0, area + z * se), int(m), int(n), confidence
    )


def hanley_mcneil_se(area: float, positives: int, negatives: int) -> float:
    """Hanley and McNeil's (1982) standard error of an AUC, from the area and the counts."""
    q1 = area / (2 - area)
    q2 = 2 * area**2 / (1 + area)
    variance = (
        area * (1 - area) + (positives - 1) * (q1 - area**2) + (negatives - 1) * (q2 - area**2)
    ) / (positives * negatives)
    return math.sqrt(variance)


@dataclass(frozen=True)
class AucComparison:
    difference: float  # a - b
    se: float
    low: float
    high: float
    p_value: float
    confidence: float = 0.95


def auc_compare(
    a: Sequence[float],
    b: Sequence[float],
    outcomes: Sequence[bool],
    confidence: float = 0.95,
) -> AucComparison:
    """DeLong's test of two scores' AUCs on the same customers (paired)."""
    pa, na = _split(a, outcomes)
    pb, nb = _split(b, outcomes)
    a10, a01 = _placements(pa, na)
    b10, b01 = _placements(pb, nb)
    m, n = pa.size, na.size
    s10 = np.cov(np.vstack([a10, b10]), ddof=1) if m > 1 else np.zeros((2, 2))
    s01 = np.cov(np.vstack([a01, b01]), ddof=1) if n > 1 else np.zeros((2, 2))
    variance = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (
        s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]
    ) / n
    difference = float(a10.mean() - b10.mean())
    se = math.sqrt(max(float(variance), 0.0))
    if se == 0:
        p = 1.0 if difference == 0 else 0.0
    else:
        p = float(2 * stats.norm.sf(abs(difference) / se))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return AucComparison(difference, se, difference - z * se, difference + z * se, p, confidence)
