"""Honest metrics for customer feedback: every figure with its uncertainty and its n.

A Net Promoter Score of 32 from 40 answers and one of 32 from 4,000 are not the
same news, and a segment 8 points below the rest is only a finding when chance
cannot explain it. This module turns survey answers into figures that say how
sure they are:

- **NPS** (0-10 "how likely to recommend"): detractors 0-6, passives 7-8,
  promoters 9-10, NPS = 100·(P - D)/n. Its interval is the *adjusted Wald* of
  Rocks (2016, "Interval estimation for the Net Promoter Score", The American
  Statistician 70(4)), as Lewis and Sauro describe it at MeasuringU ("Confidence
  Intervals for Net Promoter Scores"): add ¾ of a detractor, 1½ passives
  and ¾ of a promoter (n + 3), then
  ``NPS_adj = p_P - p_D`` and ``var = (p_P + p_D - NPS_adj²) / n_adj``.
  Two scores are compared the same way (MeasuringU, "How to statistically
  compare two Net Promoter Scores"): ``z = (NPS_adj,a - NPS_adj,b) /
  √(var_a + var_b)``. The point shown to users stays the raw NPS; the interval
  is built around the adjusted centre, which is why both are carried.
- **CSAT and CES means** get a Student t interval, and two means are compared
  with Welch's unequal-variance t test (Welch 1947), since segments rarely share
  a variance.
- **Proportions** (CSAT top-2-box, response rates) get the adjusted Wald
  interval of Agresti and Coull (1998): add z²/2 successes and z²/2 failures.
  Two proportions are compared with the Agresti-Caffo (2000) adjustment (one
  success and one failure added to each group).
- **Masked dissatisfaction**: a segment (dimension, value) is compared against
  the *rest* of the respondents of that dimension, never the whole (which
  contains it and so dilutes the gap), and the false discovery rate across all
  segments tested is held with Benjamini and Hochberg (1995).
- **Non-response bias**: the mix of respondents is tested against the customer
  base with a chi-square goodness of fit; raking (iterative proportional
  fitting, Deming and Stephan 1940) or post-stratification reweights
  respondents to the base; Kish's (1965) effective sample size
  ``n_eff = (Σw)² / Σw²`` says what the weighting costs in precision, and
  weighted NPS intervals are built on that effective n.
- **Drivers**: Johnson's (2000) relative weights split a regression's R² among
  correlated drivers; a percentile bootstrap gives each weight an interval.

Empty inputs are answered, not raised: a figure from no responses has n = 0 and
NaN for every number, and callers show "no responses". Invalid inputs (a score
of 11, a margin nobody answered) raise ValueError with a sentence a person can
act on.

Plain Python, NumPy and SciPy, no Django: usable from notebooks and benchmarks.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np
from scipy import stats

NAN = math.nan
_T = TypeVar("_T")

# Rocks (2016): the pseudo-observations added to (detractors, passives, promoters).
NPS_PSEUDO_COUNTS = (0.75, 1.5, 0.75)

NPS_LEVELS = range(11)  # 0..10


def _z(confidence: float) -> float:
    """The two-sided standard normal critical value, e.g. 1.95996 for 95%."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A figure with its uncertainty, always with its n.

    ``value`` is the point estimate shown to users (a mean, or a proportion in
    %); ``low`` and ``high`` bound it at ``confidence``. With n = 0 every number
    is NaN.
    """

    value: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def empty(self) -> bool:
        return self.n == 0


@dataclass(frozen=True)
class NpsInterval:
    """An NPS in points (-100..100) with its adjusted-Wald interval.

    ``value`` is the raw NPS shown to users, ``adjusted`` the centre the interval
    is built around (Rocks 2016). ``effective_n`` equals ``n`` unless the
    answers were weighted (see :func:`weighted_nps`). With n = 0 every number is
    NaN.
    """

    value: float
    adjusted: float
    low: float
    high: float
    n: int
    effective_n: float
    confidence: float = 0.95

    @property
    def empty(self) -> bool:
        return self.n == 0


@dataclass(frozen=True)
class Difference:
    """a - b, with an interval, a test statistic and a two-sided p-value.

    ``difference`` is the gap between the figures shown to users (raw NPS
    points, mean units, or percentage points); ``centre`` is what the interval
    is built around (the adjusted difference for NPS and proportions, the same
    as ``difference`` for means). ``statistic`` is a z, or Welch's t when
    ``dof`` is not None. When either side is empty, or a comparison has no
    variation to judge against, every number is NaN and ``significant`` False.
    """

    difference: float
    centre: float
    low: float
    high: float
    statistic: float
    p_value: float
    significant: bool
    confidence: float = 0.95
    dof: float | None = None


def _no_difference(confidence: float) -> Difference:
    return Difference(NAN, NAN, NAN, NAN, NAN, NAN, False, confidence)


def _z_difference(
    *, difference: float, centre: float, se: float, confidence: float, scale: float
) -> Difference:
    """A normal-theory comparison: ``centre / se`` against the standard normal."""
    if se <= 0 or math.isnan(se):
        return _no_difference(confidence)
    statistic = centre / se
    p_value = float(2 * stats.norm.sf(abs(statistic)))
    half = _z(confidence) * se
    return Difference(
        difference=difference,
        centre=scale * centre,
        low=scale * (centre - half),
        high=scale * (centre + half),
        statistic=statistic,
        p_value=p_value,
        significant=p_value < 1 - confidence,
        confidence=confidence,
    )


# ---------------------------------------------------------------------------
# Net Promoter Score
# ---------------------------------------------------------------------------


class NpsCounts(NamedTuple):
    """Answers by NPS class, in the order of the scale (and of Rocks 2016)."""

    detractors: int
    passives: int
    promoters: int

    @property
    def n(self) -> int:
        return self.detractors + self.passives + self.promoters


def _check_score(score: int) -> int:
    # bool is an int in Python; True is not a rating.
    if (
        isinstance(score, bool)
        or not isinstance(score, int | np.integer)
        or score not in NPS_LEVELS
    ):
        raise ValueError(f"an NPS answer is a whole number from 0 to 10, not {score!r}")
    return int(score)


def nps_distribution(scores: Iterable[int]) -> list[int]:
    """How many answers gave each score: 11 counts, the index is the score."""
    counts = [0] * len(NPS_LEVELS)
    for score in scores:
        counts[_check_score(score)] += 1
    return counts


def nps_counts(scores: Iterable[int]) -> NpsCounts:
    """(detractors 0-6, passives 7-8, promoters 9-10); ValueError outside 0..10."""
    distribution = nps_distribution(scores)
    return NpsCounts(
        detractors=sum(distribution[:7]),
        passives=sum(distribution[7:9]),
        promoters=sum(distribution[9:]),
    )


def _adjusted_nps(detractors: float, passives: float, promoters: float) -> tuple[float, float]:
    """Rocks' adjusted-Wald centre and variance, as proportions (-1..1).

    Counts may be fractional: weighted answers enter as effective counts.
    """
    add_d, add_pa, add_p = NPS_PSEUDO_COUNTS
    n_adjusted = detractors + passives + promoters + add_d + add_pa + add_p
    share_p = (promoters + add_p) / n_adjusted
    share_d = (detractors + add_d) / n_adjusted
    centre = share_p - share_d
    # The variance of a difference of two shares of one multinomial sample.
    variance = (share_p + share_d - centre**2) / n_adjusted
    return centre, variance


def _check_counts(**counts: int) -> None:
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise ValueError(f"{name} must be a count (a whole number of 0 or more), not {count!r}")


def nps_interval(
    *, promoters: int, passives: int, detractors: int, confidence: float = 0.95
) -> NpsInterval:
    """The NPS in points with Rocks' adjusted-Wald interval, clipped to -100..100.

    40 promoters, 30 passives, 30 detractors: NPS 10, adjusted 9.7, 95%
    interval -6.3 to 25.7 (MeasuringU). No answers: n = 0 and NaN throughout.
    """
    _check_counts(promoters=promoters, passives=passives, detractors=detractors)
    z = _z(confidence)
    n = promoters + passives + detractors
    if n == 0:
        return NpsInterval(NAN, NAN, NAN, NAN, 0, 0.0, confidence)
    centre, variance = _adjusted_nps(detractors, passives, promoters)
    half = z * math.sqrt(variance)
    return NpsInterval(
        value=100 * (promoters - detractors) / n,
        adjusted=100 * centre,
        low=_clip(100 * (centre - half), -100, 100),
        high=_clip(100 * (centre + half), -100, 100),
        n=n,
        effective_n=float(n),
        confidence=confidence,
    )


def nps_of(counts: NpsCounts, confidence: float = 0.95) -> NpsInterval:
    """:func:`nps_interval` of counts from :func:`nps_counts`."""
    return nps_interval(
        promoters=counts.promoters,
        passives=counts.passives,
        detractors=counts.detractors,
        confidence=confidence,
    )


def _require_named_counts(counts: object, side: str) -> NpsCounts:
    # Orders of (promoters, passives, detractors) differ between tools; a bare
    # tuple in the wrong order would silently flip the sign of a finding.
    if not isinstance(counts, NpsCounts):
        raise TypeError(
            f"{side} must be NpsCounts(detractors=…, passives=…, promoters=…), "
            f"not {counts!r}, so that the order of the classes cannot be mixed up"
        )
    _check_counts(**counts._asdict())
    return counts


def nps_difference(a: NpsCounts, b: NpsCounts, confidence: float = 0.95) -> Difference:
    """NPS a - b in points, tested with the adjusted-Wald z of MeasuringU.

    ``difference`` is raw NPS a - raw NPS b; the interval is around the
    difference of the adjusted centres, with ``se = √(var_a + var_b)``.
    """
    a = _require_named_counts(a, "a")
    b = _require_named_counts(b, "b")
    if a.n == 0 or b.n == 0:
        return _no_difference(confidence)
    centre_a, variance_a = _adjusted_nps(*a)
    centre_b, variance_b = _adjusted_nps(*b)
    raw_a = 100 * (a.promoters - a.detractors) / a.n
    raw_b = 100 * (b.promoters - b.detractors) / b.n
    return _z_difference(
        difference=raw_a - raw_b,
        centre=centre_a - centre_b,
        se=math.sqrt(variance_a + variance_b),
        confidence=confidence,
        scale=100,
    )


# ---------------------------------------------------------------------------
# Means (CSAT 1-5, CES 1-7) and proportions
# ---------------------------------------------------------------------------


def mean_interval_from_summary(
    *, mean: float, sd: float, n: int, confidence: float = 0.95
) -> Interval:
    """Student t interval ``mean ± t(n-1)·sd/√n`` from a mean, a sample sd and n.

    n = 0: NaN throughout. n = 1: the mean with NaN bounds (one answer says
    nothing about spread).
    """
    _check_counts(n=n)
    _z(confidence)  # validates confidence
    if n == 0:
        return Interval(NAN, NAN, NAN, 0, confidence)
    if n == 1:
        return Interval(float(mean), NAN, NAN, 1, confidence)
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(float(mean), float(mean - half), float(mean + half), n, confidence)


def _summary(values: Sequence[float]) -> tuple[float, float, int]:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError("ratings must be a flat sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError("ratings must be finite numbers (no NaN or infinity)")
    n = int(array.size)
    mean = float(array.mean()) if n else NAN
    sd = float(array.std(ddof=1)) if n > 1 else NAN
    return mean, sd, n


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """The mean rating with its Student t interval (for CSAT and CES)."""
    mean, sd, n = _summary(values)
    return mean_interval_from_summary(mean=mean, sd=sd, n=n, confidence=confidence)


def mean_difference_from_summary(
    *,
    mean_a: float,
    sd_a: float,
    n_a: int,
    mean_b: float,
    sd_b: float,
    n_b: int,
    confidence: float = 0.95,
) -> Difference:
    """Welch's t test of mean a - mean b from summaries, with its interval.

    Welch-Satterthwaite degrees of freedom. Fewer than two answers on a side,
    or no spread on either side, leaves nothing to judge against: NaN.
    """
    _check_counts(n_a=n_a, n_b=n_b)
    _z(confidence)
    if n_a < 2 or n_b < 2:
        return _no_difference(confidence)
    part_a = sd_a**2 / n_a
    part_b = sd_b**2 / n_b
    se = math.sqrt(part_a + part_b)
    if se == 0:
        return _no_difference(confidence)
    dof = (part_a + part_b) ** 2 / (part_a**2 / (n_a - 1) + part_b**2 / (n_b - 1))
    difference = float(mean_a - mean_b)
    statistic = difference / se
    p_value = float(2 * stats.t.sf(abs(statistic), dof))
    half = float(stats.t.ppf(1 - (1 - confidence) / 2, dof)) * se
    return Difference(
        difference=difference,
        centre=difference,
        low=difference - half,
        high=difference + half,
        statistic=statistic,
        p_value=p_value,
        significant=p_value < 1 - confidence,
        confidence=confidence,
        dof=dof,
    )


def mean_difference(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Difference:
    """Welch's t test of mean(a) - mean(b), with its interval."""
    mean_a, sd_a, n_a = _summary(a)
    mean_b, sd_b, n_b = _summary(b)
    return mean_difference_from_summary(
        mean_a=mean_a, sd_a=sd_a, n_a=n_a, mean_b=mean_b, sd_b=sd_b, n_b=n_b, confidence=confidence
    )


def _check_proportion(successes: int, n: int) -> None:
    _check_counts(successes=successes, n=n)
    if successes > n:
        raise ValueError(f"{successes} successes cannot come from {n} trials")


def proportion_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """The observed proportion in % with the Agresti-Coull (adjusted Wald) interval.

    The interval is around ``(x + z²/2) / (n + z²)`` with variance
    ``p̃(1 - p̃)/(n + z²)``, clipped to 0..100. 4 of 5: 80%, interval 36% to 98%.
    """
    _check_proportion(successes, n)
    z = _z(confidence)
    if n == 0:
        return Interval(NAN, NAN, NAN, 0, confidence)
    n_adjusted = n + z**2
    centre = (successes + z**2 / 2) / n_adjusted
    half = z * math.sqrt(centre * (1 - centre) / n_adjusted)
    return Interval(
        value=100 * successes / n,
        low=_clip(100 * (centre - half), 0, 100),
        high=_clip(100 * (centre + half), 0, 100),
        n=n,
        confidence=confidence,
    )


def proportion_difference(
    successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95
) -> Difference:
    """Proportion a - b in percentage points, Agresti-Caffo adjusted.

    One success and one failure are added to each group; the z test and the
    interval use ``se = √(p̃a(1-p̃a)/(na+2) + p̃b(1-p̃b)/(nb+2))``, the same
    adjusted-Wald logic as the NPS comparison.
    """
    _check_proportion(successes_a, n_a)
    _check_proportion(successes_b, n_b)
    if n_a == 0 or n_b == 0:
        return _no_difference(confidence)
    adjusted_a = (successes_a + 1) / (n_a + 2)
    adjusted_b = (successes_b + 1) / (n_b + 2)
    se = math.sqrt(
        adjusted_a * (1 - adjusted_a) / (n_a + 2) + adjusted_b * (1 - adjusted_b) / (n_b + 2)
    )
    return _z_difference(
        difference=100 * (successes_a / n_a - successes_b / n_b),
        centre=adjusted_a - adjusted_b,
        se=se,
        confidence=confidence,
        scale=100,
    )


# ---------------------------------------------------------------------------
# Masked dissatisfaction: segments against the rest, false discoveries held
# ---------------------------------------------------------------------------


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg (1995) adjusted p-values, in the order given.

    Rejecting where the adjusted p-value is at most q keeps the expected share
    of false discoveries at most q (for independent or positively dependent
    tests). ``adjusted(i) = min over j ≥ i of p(j)·m/j`` on the sorted p-values.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p-values must be a flat sequence")
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be numbers between 0 and 1")
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    # Step-up: each adjusted value is the smallest scaled value at or above its rank.
    monotone = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(monotone, 1.0)
    return [float(value) for value in adjusted]


@dataclass(frozen=True)
class SegmentFinding:
    """One segment (dimension, value) against the rest of its dimension."""

    segment: str  # the dimension, e.g. "region"
    value: str  # e.g. "north"
    score: NpsInterval | Interval
    rest: NpsInterval | Interval
    difference: Difference  # segment - rest
    p_adjusted: float  # Benjamini-Hochberg across every segment tested
    below: bool  # significantly below the rest at the false discovery rate alpha


Key = tuple[str, str]


def _segments(
    groups: Mapping[Key, _T],
    *,
    size: Callable[[_T], int],
    combine: Callable[[list[_T]], _T],
    figure: Callable[[_T], NpsInterval | Interval],
    compare: Callable[[_T, _T], Difference],
    alpha: float,
    min_n: int,
) -> list[SegmentFinding]:
    by_dimension: dict[str, list[Key]] = defaultdict(list)
    for key in groups:
        by_dimension[key[0]].append(key)
    tested: list[tuple[Key, _T, _T, Difference]] = []
    for keys in by_dimension.values():
        for key in keys:
            group = groups[key]
            # The rest is the other values of the same dimension: respondents
            # without a value for this dimension are in no comparison of it.
            rest = combine([groups[other] for other in keys if other != key])
            if size(group) < min_n or size(rest) < min_n:
                continue
            difference = compare(group, rest)
            if math.isnan(difference.p_value):
                continue
            tested.append((key, group, rest, difference))
    adjusted = benjamini_hochberg([difference.p_value for *_, difference in tested])
    findings = [
        SegmentFinding(
            segment=key[0],
            value=key[1],
            score=figure(group),
            rest=figure(rest),
            difference=difference,
            p_adjusted=p_adjusted,
            below=p_adjusted <= alpha and difference.centre < 0,
        )
        for (key, group, rest, difference), p_adjusted in zip(tested, adjusted, strict=True)
    ]
    # Worst first: the flagged segments, then by how far below the rest.
    findings.sort(key=lambda f: (not f.below, f.difference.centre, f.segment, f.value))
    return findings


def _sum_counts(counts: list[NpsCounts]) -> NpsCounts:
    return NpsCounts(
        detractors=sum(c.detractors for c in counts),
        passives=sum(c.passives for c in counts),
        promoters=sum(c.promoters for c in counts),
    )


def segments_below(
    groups: Mapping[tuple[str, str], NpsCounts],
    *,
    alpha: float = 0.05,
    min_n: int = 30,
    confidence: float = 0.95,
) -> list[SegmentFinding]:
    """Every segment with at least ``min_n`` answers (and a rest as large), tested
    against the rest of its dimension; ``below`` flags those significantly worse.

    ``groups`` maps (dimension, value), e.g. ("plan", "basic"), to its NPS
    counts. Each dimension should partition the respondents. The false
    discovery rate ``alpha`` holds across every segment tested, all dimensions
    together. Segments under ``min_n`` are not tested (and do not count towards
    the correction): the normal approximation is poor there, and a segment of
    a dozen answers is a conversation, not a statistic.
    """
    for key, counts in groups.items():
        _require_named_counts(counts, f"the counts of {key}")
    return _segments(
        groups,
        size=lambda counts: counts.n,
        combine=_sum_counts,
        figure=lambda counts: nps_of(counts, confidence),
        compare=lambda group, rest: nps_difference(group, rest, confidence),
        alpha=alpha,
        min_n=min_n,
    )


def segments_below_mean(
    groups: Mapping[tuple[str, str], Sequence[float]],
    *,
    alpha: float = 0.05,
    min_n: int = 30,
    confidence: float = 0.95,
) -> list[SegmentFinding]:
    """:func:`segments_below` for mean ratings (CSAT, CES), with Welch's t test.

    For CES, where lower effort is better, "below" still means a lower mean:
    read it as the segment finding things *easier* than the rest.
    """
    arrays = {key: [float(v) for v in values] for key, values in groups.items()}
    return _segments(
        arrays,
        size=len,
        combine=lambda parts: [value for part in parts for value in part],
        figure=lambda values: mean_interval(values, confidence),
        compare=lambda group, rest: mean_difference(group, rest, confidence),
        alpha=alpha,
        min_n=min_n,
    )


# ---------------------------------------------------------------------------
# Non-response bias: who answered, and reweighting them to the base
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Representativeness:
    """Chi-square goodness of fit of the respondent mix against the base."""

    statistic: float
    dof: int
    p_value: float
    expected: dict[str, float]  # respondents per category if they mirrored the base
    smallest_expected: float  # under 5, the chi-square approximation is rough

    @property
    def representative(self) -> bool:
        """No evidence at the 5% level that respondents differ from the base."""
        return self.p_value >= 0.05


def representativeness(
    respondents: Mapping[str, int], base: Mapping[str, float]
) -> Representativeness:
    """Do respondents mirror the customer base on one dimension?

    ``respondents`` counts answers per category; ``base`` gives the base's size
    (or share) per category. Expected counts are the base shares times the
    number of respondents; a base category nobody answered from counts as 0
    respondents, which is exactly the bias this tests for.
    """
    unknown = sorted(set(respondents) - set(base))
    if unknown:
        raise ValueError(f"respondents in categories the base does not have: {', '.join(unknown)}")
    categories = sorted(base)
    if len(categories) < 2:
        raise ValueError("a mix needs at least two categories to compare")
    if any(base[c] < 0 for c in categories):
        raise ValueError("the base cannot have negative sizes")
    observed = np.array([respondents.get(c, 0) for c in categories], dtype=float)
    if np.any(observed < 0):
        raise ValueError("respondent counts cannot be negative")
    shares = np.array([base[c] for c in categories], dtype=float)
    if shares.sum() <= 0:
        raise ValueError("the base is empty")
    total = observed.sum()
    if total == 0:
        raise ValueError("no respondents to compare with the base")
    shares = shares / shares.sum()
    impossible = [c for c, s, o in zip(categories, shares, observed, strict=True) if s == 0 and o]
    if impossible:
        raise ValueError(
            f"respondents in categories the base says are empty: {', '.join(impossible)}"
        )
    # A base category with no customers expects no one and adds nothing.
    kept = shares > 0
    if kept.sum() < 2:
        raise ValueError("a mix needs at least two categories with customers to compare")
    expected = shares[kept] * total
    result = stats.chisquare(observed[kept], f_exp=expected)
    kept_categories = [c for c, keep in zip(categories, kept, strict=True) if keep]
    return Representativeness(
        statistic=float(result.statistic),
        dof=len(kept_categories) - 1,
        p_value=float(result.pvalue),
        expected={c: float(e) for c, e in zip(kept_categories, expected, strict=True)},
        smallest_expected=float(expected.min()),
    )


def _target_shares(dimension: str, margin: Mapping[str, float]) -> dict[str, float]:
    if not margin:
        raise ValueError(f"the margin of {dimension!r} has no categories")
    if any(value < 0 for value in margin.values()):
        raise ValueError(f"the margin of {dimension!r} has a negative size")
    total = sum(margin.values())
    if total <= 0:
        raise ValueError(f"the margin of {dimension!r} is empty")
    return {category: value / total for category, value in margin.items()}


def rake(
    sample: Sequence[Mapping[str, str]],
    margins: Mapping[str, Mapping[str, float]],
    *,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> list[float]:
    """Raking weights: one per respondent, so every weighted margin matches.

    ``sample`` gives each respondent's category on every dimension of
    ``margins``; ``margins`` gives the base's size (or share) per category. The
    weights average 1 (they sum to the number of respondents), so a weighted
    count reads like a count. Each pass scales every dimension's categories to
    their target in turn (Deming and Stephan 1940) until no weighted share is
    off by more than ``tol``.

    ValueError when a margin category has no respondents (no weight can make
    something from nothing), when a respondent lacks a dimension or sits in a
    category the margins do not have, or when the margins cannot all be met.
    """
    n = len(sample)
    if n == 0:
        raise ValueError("no respondents to weight")
    targets = {dimension: _target_shares(dimension, m) for dimension, m in margins.items()}
    members: dict[str, dict[str, np.ndarray]] = {}
    for dimension, shares in targets.items():
        categories = []
        for index, respondent in enumerate(sample):
            if dimension not in respondent:
                raise ValueError(f"respondent {index} has no {dimension!r}")
            category = respondent[dimension]
            if category not in shares:
                raise ValueError(
                    f"respondent {index} has {dimension!r} = {category!r}, "
                    f"which the margins of {dimension!r} do not list"
                )
            categories.append(category)
        column = np.array(categories, dtype=object)
        members[dimension] = {}
        for category, share in shares.items():
            mask = column == category
            if not mask.any() and share > 0:
                raise ValueError(
                    f"no respondent has {dimension!r} = {category!r}, so its "
                    f"{share:.1%} of the base cannot be represented; merge it "
                    "with a neighbouring category or drop it from the margins"
                )
            members[dimension][category] = mask
    weights = np.ones(n)
    for _ in range(max_iter):
        for dimension, shares in targets.items():
            for category, mask in members[dimension].items():
                current = weights[mask].sum()
                if current > 0:
                    weights[mask] *= shares[category] * n / current
        worst = max(
            abs(weights[mask].sum() / n - targets[dimension][category])
            for dimension in targets
            for category, mask in members[dimension].items()
        )
        if worst <= tol:
            return [float(w) for w in weights]
    raise ValueError(
        f"the margins could not all be met after {max_iter} passes (still off by "
        f"{worst:.2%}); some combination the margins need may have no respondents"
    )


def post_stratify(categories: Sequence[str], population: Mapping[str, float]) -> list[float]:
    """Weights on one dimension: population share / sample share of each category.

    ``categories`` is each respondent's category; the weights average 1.
    """
    if not categories:
        raise ValueError("no respondents to weight")
    shares = _target_shares("the population", population)
    counts = Counter(categories)
    unknown = sorted(set(counts) - set(shares))
    if unknown:
        raise ValueError(
            f"respondents in categories the population does not list: {', '.join(unknown)}"
        )
    missing = sorted(c for c, s in shares.items() if s > 0 and c not in counts)
    if missing:
        raise ValueError(
            f"no respondent in {', '.join(missing)}, so that part of the population "
            "cannot be represented; merge it with a neighbouring category"
        )
    n = len(categories)
    return [shares[c] / (counts[c] / n) for c in categories]


def _weights_array(weights: Iterable[float]) -> np.ndarray:
    array = np.asarray(list(weights), dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError("weights must be a non-empty flat sequence")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("weights must be finite and not negative")
    if array.sum() == 0:
        raise ValueError("weights cannot all be zero")
    return array


def effective_n(weights: Iterable[float]) -> float:
    """Kish's (1965) effective sample size ``(Σw)² / Σw²``."""
    array = _weights_array(weights)
    return float(array.sum() ** 2 / (array**2).sum())


def kish_design_effect(weights: Iterable[float]) -> float:
    """Kish's design effect of unequal weighting, ``n / n_eff`` (= 1 + CV² of w)."""
    array = _weights_array(weights)
    return float(array.size / effective_n(array))


def weighted_nps(
    scores: Sequence[int], weights: Sequence[float], confidence: float = 0.95
) -> NpsInterval:
    """The weighted NPS, with an adjusted-Wald interval on Kish's effective n.

    The point estimate uses the weighted shares of promoters and detractors.
    The interval treats the answers as ``n_eff`` unweighted ones in those
    shares (effective counts = share x n_eff) and then applies Rocks' adjusted
    Wald: weighting that corrects a skewed mix also widens the interval, as it
    should. ``n`` stays the number of answers, ``effective_n`` says what they
    are worth. Answers with weight 0 still count in ``n``.
    """
    if len(scores) != len(weights):
        raise ValueError(f"{len(scores)} answers but {len(weights)} weights")
    if not scores:
        return NpsInterval(NAN, NAN, NAN, NAN, 0, 0.0, confidence)
    classes = np.array(
        [0 if s <= 6 else 1 if s <= 8 else 2 for s in map(_check_score, scores)], dtype=int
    )
    w = _weights_array(weights)
    total = w.sum()
    shares = [float(w[classes == c].sum() / total) for c in range(3)]
    n_eff = effective_n(w)
    centre, variance = _adjusted_nps(*(share * n_eff for share in shares))
    half = _z(confidence) * math.sqrt(variance)
    return NpsInterval(
        value=100 * (shares[2] - shares[0]),
        adjusted=100 * centre,
        low=_clip(100 * (centre - half), -100, 100),
        high=_clip(100 * (centre + half), -100, 100),
        n=len(scores),
        effective_n=n_eff,
        confidence=confidence,
    )


# ---------------------------------------------------------------------------
# Funnel
# ---------------------------------------------------------------------------


def funnel(
    invited: int, displayed: int, responded: int, confidence: float = 0.95
) -> dict[str, Interval]:
    """The survey funnel as proportions in % with Agresti-Coull intervals.

    - ``display_rate``: displayed / invited (the survey reached them);
    - ``response_rate``: responded / displayed (they answered what they saw);
    - ``overall_rate``: responded / invited.

    A dismissal is not a response and is never a denominator either: a dismissed
    survey was displayed, so it lowers the response rate, and nothing is
    subtracted for it anywhere.
    """
    _check_counts(invited=invited, displayed=displayed, responded=responded)
    if displayed > invited:
        raise ValueError(f"{displayed} displayed but only {invited} invited")
    if responded > displayed:
        raise ValueError(f"{responded} responses but only {displayed} surveys displayed")
    return {
        "display_rate": proportion_interval(displayed, invited, confidence),
        "response_rate": proportion_interval(responded, displayed, confidence),
        "overall_rate": proportion_interval(responded, invited, confidence),
    }


# ---------------------------------------------------------------------------
# Drivers: Johnson's relative weights
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RelativeWeights:
    """Johnson's relative weights: ``raw`` sums to R², ``share_of_r2`` to 100."""

    raw: tuple[float, ...]
    share_of_r2: tuple[float, ...]  # % of R²
    r_squared: float


@dataclass(frozen=True)
class Driver:
    """One driver's relative weight with its percentile-bootstrap interval."""

    name: str
    weight: float  # raw relative weight (a part of R²)
    share_of_r2: float  # % of R²
    low: float  # bounds of the raw weight
    high: float


def relative_weights_from_correlations(
    predictor_correlations: np.ndarray, criterion_correlations: np.ndarray
) -> RelativeWeights:
    """Johnson (2000) from the predictors' correlation matrix R_xx and r_xy.

    With R_xx = V diag(λ) Vᵀ, Λ = V diag(√λ) Vᵀ relates the predictors to their
    closest orthonormal counterparts Z; β = Λ⁻¹ r_xy regresses the criterion on
    Z; the weight of predictor j is ``Σ_k Λ_jk² β_k²``.
    """
    rxx = np.asarray(predictor_correlations, dtype=float)
    rxy = np.asarray(criterion_correlations, dtype=float)
    k = rxy.size
    if rxx.shape != (k, k):
        raise ValueError(f"a {rxx.shape} correlation matrix for {k} predictors")
    eigenvalues, eigenvectors = np.linalg.eigh(rxx)
    if eigenvalues.min() <= 1e-10 * max(1.0, eigenvalues.max()):
        raise ValueError(
            "some drivers are perfectly collinear (one is a combination of the "
            "others), so their shares cannot be told apart; drop or merge one"
        )
    lam = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    beta = np.linalg.solve(lam, rxy)
    raw = (lam**2) @ (beta**2)
    r_squared = float(raw.sum())
    shares = 100 * raw / r_squared if r_squared > 0 else np.full(k, NAN)
    return RelativeWeights(
        raw=tuple(float(v) for v in raw),
        share_of_r2=tuple(float(v) for v in shares),
        r_squared=r_squared,
    )


def _check_design(
    x: np.ndarray, y: np.ndarray, names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2:
        raise ValueError("drivers must be a table: one row per respondent, one column per driver")
    rows, k = x.shape
    if y.shape != (rows,):
        raise ValueError(f"{rows} rows of drivers but {y.size} outcomes")
    if names is not None and len(names) != k:
        raise ValueError(f"{k} driver columns but {len(names)} names")
    if k == 0:
        raise ValueError("no drivers to weigh")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("drivers and outcome must be finite numbers (no blanks)")
    if rows <= k + 1:
        raise ValueError(
            f"{rows} respondents cannot separate {k} drivers; at least {k + 2} are needed"
        )
    for j in range(k):
        if np.ptp(x[:, j]) == 0:
            label = repr(names[j]) if names is not None else f"column {j}"
            raise ValueError(f"driver {label} has the same value for every respondent")
    if np.ptp(y) == 0:
        raise ValueError("the outcome has the same value for every respondent, nothing to explain")
    return x, y


def relative_weights(
    x: np.ndarray, y: np.ndarray, *, names: Sequence[str] | None = None
) -> RelativeWeights:
    """Johnson's (2000) relative weights of the columns of ``x`` (nxk) for ``y``.

    ValueError with a human message for a constant column, as many drivers as
    respondents (or more), or perfectly collinear drivers.
    """
    x, y = _check_design(x, y, names)
    k = x.shape[1]
    correlations = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    return relative_weights_from_correlations(correlations[:k, :k], correlations[:k, k])


def relative_weights_bootstrap(
    x: np.ndarray,
    y: np.ndarray,
    *,
    names: Sequence[str],
    samples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> list[Driver]:
    """Relative weights with percentile-bootstrap intervals, largest first.

    Respondents are resampled with replacement ``samples`` times (seeded, so a
    rerun gives the same answer). A resample where a driver happens to be
    constant cannot be weighed and is skipped; if more than half are skipped
    the data are too thin for intervals and ValueError says so.
    """
    x, y = _check_design(x, y, names)
    _z(confidence)
    point = relative_weights(x, y, names=names)
    rng = np.random.default_rng(seed)
    rows = x.shape[0]
    draws = []
    for _ in range(samples):
        index = rng.integers(0, rows, rows)
        try:
            draws.append(relative_weights(x[index], y[index]).raw)
        except ValueError:
            continue
    if len(draws) < samples / 2:
        raise ValueError(
            f"only {len(draws)} of {samples} resamples could be weighed; "
            "too few respondents vary on every driver for intervals"
        )
    tail = (1 - confidence) / 2
    bounds = np.quantile(np.array(draws), [tail, 1 - tail], axis=0)
    drivers = [
        Driver(
            name=name,
            weight=point.raw[j],
            share_of_r2=point.share_of_r2[j],
            low=float(bounds[0, j]),
            high=float(bounds[1, j]),
        )
        for j, name in enumerate(names)
    ]
    drivers.sort(key=lambda d: -d.weight)
    return drivers
