"""Equal service, checked: the fairness audit, the charter's figures, channel consistency.

CXM answers every customer alike. Case queues never reorder by influence or
account value; this module checks that the outcome bears the promise out, and
gives the plain figures the public channel charter and the channel scorecards
quote.

- **Spread** (:func:`describe`): n, median and 90th percentile. Percentiles
  interpolate linearly between order statistics, type 7 of Hyndman and Fan
  (1996, "Sample quantiles in statistical packages", The American Statistician
  50(4)): the h-th value with ``h = (n - 1)·p + 1``, NumPy's and R's default.
  For 1..10 the 90th percentile is 9.1.
- **Tiers**: an influence score (0-100, log-scaled; see
  :func:`influence_score`) and an account value (annual revenue) put each
  customer in a tier. Tiers are for auditing only: nothing in routing reads them.
- **Audit** (:func:`audit`): each tier's first-response or resolution times are
  compared with the times of every *other* tier pooled (never with the whole,
  which contains the tier and so dilutes the gap) by the two-sided Mann-Whitney
  U test (Mann and Whitney 1947, Annals of Mathematical Statistics 18(1)). A
  rank test, because service times are skewed with long tails and a few
  week-long cases would swamp a t test. Its effect size is the common-language
  effect (McGraw and Wong 1992, Psychological Bulletin 111(2)), with ties
  counted half as Vargha and Delaney (2000) do: the probability that a random
  case of the tier waited less than a random case of the rest.
  The tier tests are one family, adjusted by Holm's (1979) step-down method
  (:func:`holm`), which bounds the chance of *any* false alert at alpha whatever
  the dependence between tests (tier-against-rest tests share their data). An
  alert says a tier was treated differently, so the family-wise rate, not the
  false discovery rate of the feedback segments, is the right guard.
  A significant gap is a prompt to look, not proof of preference: tiers can
  differ in channel and topic mix.
- **Consistency** (:func:`consistency`): the channel scorecards "jointly and
  severally": each channel's gap to the median channel on each measure, the
  weakest channel, and where it lags most.

Empty inputs are answered (n = 0, None figures); invalid ones (NaN, a negative
time or count, an unknown tier) raise ValueError with a sentence a person can
act on.

Plain Python, NumPy and SciPy, no Django: usable from notebooks and benchmarks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

import numpy as np
from scipy import stats

# ---------------------------------------------------------------------------
# Descriptive figures
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """n, median and 90th percentile (Hyndman-Fan type 7); None figures when n = 0."""

    n: int
    median: float | None
    p90: float | None


def _finite_array(values: Sequence[float], what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a flat sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be finite numbers; drop missing (NaN) values first")
    return array


def describe(values: Sequence[float]) -> Spread:
    """The n, median and 90th percentile of ``values``.

    Percentiles interpolate linearly between order statistics (Hyndman and Fan
    1996, type 7; ``numpy.percentile``'s default "linear" method): with the
    values sorted, the p-th percentile is x[h] + (h - ⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋])
    at h = (n - 1)·p + 1 (1-based). NaN and infinite values raise ValueError.
    """
    array = _finite_array(values, "values")
    if array.size == 0:
        return Spread(n=0, median=None, p90=None)
    median, p90 = np.percentile(array, [50, 90], method="linear")
    return Spread(n=int(array.size), median=float(median), p90=float(p90))


def format_duration(seconds: float) -> str:
    """A time in seconds as a person reads it: "40 s", "45 min", "2.1 h", "3.0 d".

    Whole seconds under a minute, whole minutes under an hour, hours with one
    decimal under two days (a resolution "within 30 h" reads better than
    "1.3 d"), days beyond. Each unit takes over where the smaller one would
    round to its next step, so 59.6 s is "1 min", not "60 s".
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a finite number of seconds ≥ 0, not {seconds}")
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    if seconds < 59.5 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 47.95 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


# ---------------------------------------------------------------------------
# Tiers
# ---------------------------------------------------------------------------

# (log10 of the count at which a component saturates, weight). Followers weigh
# most: the steadiest figure and the one every platform reports. Reach (the
# audience of the customer's posts) says who actually sees them; re-shares say
# how far a complaint may travel, but vary most from post to post. Followers
# and reach saturate at a million, re-shares at ten thousand (a post that
# viral is high influence on any reading).
_INFLUENCE_COMPONENTS: dict[str, tuple[float, float]] = {
    "followers": (6.0, 0.5),
    "reach": (6.0, 0.3),
    "reshares": (4.0, 0.2),
}


def _check_count(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number or None, not {value!r}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative ({value})")


def influence_score(*, followers: int | None, reach: int | None, reshares: int | None) -> float:
    """How far a customer's voice carries, from 0 (no audience) to 100.

    Each known count x becomes ``c = min(log10(1 + x) / k, 1)``, where 10^k is
    where it saturates (followers and reach: k = 6, a million; re-shares: k = 4,
    ten thousand). The score is the weighted mean of the known components,
    ``100 · Σ w·c / Σ w``, with weights followers 0.5, reach 0.3, re-shares 0.2.

    Logarithms, because audiences span orders of magnitude: going from 100 to
    1,000 followers is as much a step as from 10,000 to 100,000, and a linear
    scale would put everyone but celebrities at zero. ``1 + x`` keeps zero at
    zero. A count that is unknown (None) is left out of the mean rather than
    taken as zero, so a platform that does not report re-shares does not pull
    its customers down; a count known to be 0 does count. With no count known,
    or all zero, the score is 0.

    Monotone: raising any count, the others fixed, never lowers the score. A
    customer known only by followers scores ``100·log10(1 + followers)/6``:
    1,000 followers give 50.0, 100,000 give 83.3 (see :data:`INFLUENCE_TIERS`).
    """
    counts = {"followers": followers, "reach": reach, "reshares": reshares}
    weighted = 0.0
    total_weight = 0.0
    for name, value in counts.items():
        _check_count(name, value)
        if value is None:
            continue
        saturation, weight = _INFLUENCE_COMPONENTS[name]
        weighted += weight * min(math.log10(1 + value) / saturation, 1.0)
        total_weight += weight
    if total_weight == 0:
        return 0.0
    return 100.0 * weighted / total_weight


Tiers = Sequence[tuple[str, float]]

# Ordered (name, lowest score). The bounds are where a customer known only by
# followers stands at 1,000 (medium) and 100,000 (high) followers: under 1k is
# low, around 10k medium, 100k and over high. Any audience at all is "low".
INFLUENCE_TIERS: tuple[tuple[str, float], ...] = (
    ("none", 0.0),
    ("low", 1e-9),
    ("medium", influence_score(followers=1_000, reach=None, reshares=None)),
    ("high", influence_score(followers=100_000, reach=None, reshares=None)),
)
INFLUENCE_ORDER: tuple[str, ...] = tuple(name for name, _ in INFLUENCE_TIERS)
# The tiers whose faster service would mean preference for influence.
INFLUENCE_HIGH: tuple[str, ...] = ("medium", "high")
INFLUENCE_LABELS: dict[str, str] = {
    "none": "Customers with no known audience",
    "low": "Low-influence customers",
    "medium": "Medium-influence customers",
    "high": "High-influence customers",
}

# Ordered (name, lowest annual revenue, in the deployment's currency).
VALUE_TIERS: tuple[tuple[str, float], ...] = (
    ("small", 0.0),
    ("mid", 10_000.0),
    ("large", 100_000.0),
)
UNKNOWN_VALUE_TIER = "unknown"
VALUE_ORDER: tuple[str, ...] = (UNKNOWN_VALUE_TIER, *(name for name, _ in VALUE_TIERS))
VALUE_HIGH: tuple[str, ...] = ("mid", "large")
VALUE_LABELS: dict[str, str] = {
    "unknown": "Customers of unknown account value",
    "small": "Small accounts",
    "mid": "Mid-sized accounts",
    "large": "Large accounts",
}


def _tier(value: float, bounds: Tiers, what: str) -> str:
    if not bounds:
        raise ValueError("tier bounds must name at least one tier")
    lows = [low for _, low in bounds]
    if any(not math.isfinite(low) for low in lows) or any(a >= b for a, b in pairwise(lows)):
        raise ValueError("tier bounds must be finite and strictly increasing")
    if math.isnan(value):
        raise ValueError(f"{what} must be a number, not NaN")
    if value < lows[0]:
        raise ValueError(f"{what} {value} is below the lowest tier bound ({lows[0]})")
    name = bounds[0][0]
    for tier_name, low in bounds:
        if value >= low:
            name = tier_name
    return name


def influence_tier(score: float) -> str:
    """The tier of :data:`INFLUENCE_TIERS` an influence score (0-100) falls in."""
    if not 0 <= score <= 100:
        raise ValueError(f"an influence score runs from 0 to 100, not {score}")
    return _tier(score, INFLUENCE_TIERS, "influence score")


def value_tier(value: float | None, bounds: Tiers = VALUE_TIERS) -> str:
    """The tier an annual account value falls in; "unknown" when it is None.

    ``bounds`` are ordered (name, lowest value) pairs, strictly increasing; a
    value below the first bound raises ValueError rather than being put in a
    tier it does not meet.
    """
    if value is None:
        return UNKNOWN_VALUE_TIER
    return _tier(value, bounds, "account value")


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MannWhitney:
    """A two-sided Mann-Whitney U test of x against y.

    ``u`` counts the (x, y) pairs in which x is *larger* (took longer), ties
    counting half: SciPy's U1 with x first. ``probability_less`` is the
    common-language effect the other way round, ``1 - u/(n_x·n_y)``: the
    chance that a random x is smaller (served faster) than a random y, ties
    counting half. 0.5 means no tendency either way.
    """

    u: float
    p_value: float
    probability_less: float


def mann_whitney(x: Sequence[float], y: Sequence[float]) -> MannWhitney:
    """Two-sided Mann-Whitney U test, via ``scipy.stats.mannwhitneyu``.

    ``method="auto"``: the exact null distribution when there are no ties and
    one sample has at most 8 values, otherwise the normal approximation with the
    tie-corrected variance and a continuity correction of ½
    (``use_continuity=True``), which brings the continuous normal curve closer
    to the discrete distribution of U. Both samples need a value.
    """
    a = _finite_array(x, "x")
    b = _finite_array(y, "y")
    if a.size == 0 or b.size == 0:
        raise ValueError("a Mann-Whitney test needs at least one value on each side")
    result = stats.mannwhitneyu(a, b, use_continuity=True, alternative="two-sided", method="auto")
    u = float(result.statistic)
    pairs = a.size * b.size
    return MannWhitney(u=u, p_value=float(result.pvalue), probability_less=(pairs - u) / pairs)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm (1979) adjusted p-values, in the order given.

    Holm, "A simple sequentially rejective multiple test procedure",
    Scandinavian Journal of Statistics 6(2). With the m p-values sorted
    ascending, ``adjusted(i) = max over j ≤ i of min(1, (m - j + 1)·p(j))``.
    Rejecting where the adjusted value is below alpha keeps the chance of any
    false rejection at most alpha, under any dependence between the tests, and
    never rejects less than Bonferroni.
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError("p-values must be a flat sequence")
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be numbers between 0 and 1")
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(p[order] * (m - np.arange(m)), 1.0)
    # Step-down: an adjusted value never falls below the one ranked before it.
    monotone = np.maximum.accumulate(scaled)
    adjusted = np.empty(m)
    adjusted[order] = monotone
    return [float(value) for value in adjusted]


# ---------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------

TOO_FEW_CASES = "too few cases"
AlertKind = Literal["served_faster", "served_slower"]


@dataclass(frozen=True)
class TierResult:
    """One tier's times against every other tier's, pooled.

    ``u``, ``p_value``, ``p_adjusted`` (Holm, across the tiers tested) and
    ``probability_faster`` (the chance a random case of this tier waited less
    than a random case of the rest, ties half; see :class:`MannWhitney`) are
    None when the test was skipped, and ``skipped`` then says why.
    """

    tier: str
    n: int
    median: float | None
    p90: float | None
    rest_n: int
    rest_median: float | None
    u: float | None
    p_value: float | None
    p_adjusted: float | None
    probability_faster: float | None
    skipped: str | None


@dataclass(frozen=True)
class Alert:
    tier: str
    kind: AlertKind
    message: str
    p_adjusted: float


@dataclass(frozen=True)
class Audit:
    """Every tier in the order asked for (empty ones with n = 0), and the alerts."""

    tiers: tuple[TierResult, ...]
    alerts: tuple[Alert, ...]
    alpha: float

    @property
    def ok(self) -> bool:
        return not self.alerts


def _format_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3g}"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def audit(
    times_by_tier: Mapping[str, Sequence[float]],
    *,
    order: Sequence[str],
    high: Sequence[str],
    alpha: float = 0.05,
    labels: Mapping[str, str] | None = None,
    action: str = "served",
) -> Audit:
    """Check that no tier is served faster or slower than the others.

    ``times_by_tier`` maps a tier to its cases' times in seconds (first
    response or resolution). Each tier of ``order`` is tested against all other
    tiers pooled with :func:`mann_whitney`, unless it or the rest has fewer than
    two cases ("too few cases"); the p-values of the tiers tested are adjusted
    together with :func:`holm`.

    Alerts, at Holm-adjusted p < ``alpha``:

    - ``served_faster``: a tier of ``high`` (those whose favour would mean
      preference, e.g. :data:`INFLUENCE_HIGH`) waited less than the rest
      (``probability_faster`` > ½);
    - ``served_slower``: any tier waited longer than the rest.

    ``labels`` name tiers in messages (e.g. :data:`INFLUENCE_LABELS`; default
    "Customers in the <tier> tier") and ``action`` is the verb ("answered",
    "resolved").
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha}")
    if len(set(order)) != len(order):
        raise ValueError("order names a tier twice")
    unknown = [tier for tier in times_by_tier if tier not in order]
    if unknown:
        raise ValueError(f"times were given for tiers not in order: {', '.join(unknown)}")
    unknown_high = [tier for tier in high if tier not in order]
    if unknown_high:
        raise ValueError(f"high names tiers not in order: {', '.join(unknown_high)}")

    times: dict[str, list[float]] = {}
    for tier in order:
        array = _finite_array(times_by_tier.get(tier, ()), f"times of {tier}")
        if np.any(array < 0):
            raise ValueError(f"times of {tier} include a negative duration")
        times[tier] = array.tolist()

    spreads: list[tuple[str, Spread, Spread]] = []
    tests: dict[str, MannWhitney] = {}
    for tier in order:
        mine = times[tier]
        rest = [time for other in order if other != tier for time in times[other]]
        spreads.append((tier, describe(mine), describe(rest)))
        if len(mine) >= 2 and len(rest) >= 2:
            tests[tier] = mann_whitney(mine, rest)

    adjusted = dict(zip(tests, holm([test.p_value for test in tests.values()]), strict=True))
    results: list[TierResult] = []
    alerts: list[Alert] = []
    for tier, spread, rest_spread in spreads:
        test = tests.get(tier)
        result = TierResult(
            tier=tier,
            n=spread.n,
            median=spread.median,
            p90=spread.p90,
            rest_n=rest_spread.n,
            rest_median=rest_spread.median,
            u=test.u if test else None,
            p_value=test.p_value if test else None,
            p_adjusted=adjusted.get(tier),
            probability_faster=test.probability_less if test else None,
            skipped=None if test else TOO_FEW_CASES,
        )
        results.append(result)
        alert = _alert(result, high=high, alpha=alpha, labels=labels, action=action)
        if alert is not None:
            alerts.append(alert)
    return Audit(tiers=tuple(results), alerts=tuple(alerts), alpha=alpha)


def _alert(
    result: TierResult,
    *,
    high: Sequence[str],
    alpha: float,
    labels: Mapping[str, str] | None,
    action: str,
) -> Alert | None:
    p = result.p_adjusted
    effect = result.probability_faster
    if p is None or effect is None or p >= alpha or effect == 0.5:
        return None
    kind: AlertKind
    if effect > 0.5 and result.tier in high:
        kind, speed = "served_faster", "faster"
    elif effect < 0.5:
        kind, speed = "served_slower", "slower"
    else:
        return None
    # Both medians exist: a tested tier and its rest each have two cases or more.
    assert result.median is not None and result.rest_median is not None
    label = (labels or {}).get(result.tier, f"customers in the {result.tier} tier")
    message = (
        f"{_sentence_start(label)} were {action} significantly {speed} than the rest "
        f"(median {format_duration(result.median)} vs {format_duration(result.rest_median)}, "
        f"Holm-adjusted {_format_p(p)})"
    )
    return Alert(tier=result.tier, kind=kind, message=message, p_adjusted=p)


# ---------------------------------------------------------------------------
# Channel consistency
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Consistency:
    """How far each channel falls behind the median channel, measure by measure.

    ``measure_lags[channel][measure]`` is the channel's lag on a measure (see
    :func:`consistency`; positive is worse than the median channel), ``lags``
    its mean over the measures it was compared on, ``medians`` the median
    channel's figure per measure, ``rankings`` the channels per measure from
    best to worst (ties in the order given). Measures with fewer than two
    channels reporting are left out of all of them.
    """

    lags: dict[str, float]
    measure_lags: dict[str, dict[str, float]]
    medians: dict[str, float]
    rankings: dict[str, tuple[str, ...]]
    weakest: str | None
    weakest_measure: str | None
    message: str


def _format_number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def lag(value: float, median: float, *, lower_is_better: bool) -> float:
    """How much worse ``value`` is than ``median``: ``±2(v - m) / (|v| + |m|)``.

    The symmetric relative difference, signed so that positive is worse (+ when
    lower is better, - when higher is better), 0 when both are 0. For positive
    figures it equals ``2·tanh(½·ln(v/m))``: close to the log ratio for modest
    gaps, so it is scale-free (seconds or hours, a 1-5 or 0-100 scale give the
    same lag), and "twice as slow" lags exactly as much as "half as satisfied"
    (2/3). Unlike a ratio it stays finite when a figure or the median is zero,
    and it is bounded by ±2, so one extreme measure cannot alone decide which
    channel is weakest. Figures of both signs (an NPS of -10 against +5) give
    the bound: better compare such measures as shares.
    """
    scale = abs(value) + abs(median)
    if scale == 0:
        return 0.0
    gap = 2.0 * (value - median) / scale
    # + 0.0 turns the -0.0 of an exact tie into 0.0.
    return (gap if lower_is_better else -gap) + 0.0


def consistency(
    scores: Mapping[str, Mapping[str, float | None]],
    *,
    lower_is_better: Mapping[str, bool],
    labels: Mapping[str, str] | None = None,
    formats: Mapping[str, Callable[[float], str]] | None = None,
) -> Consistency:
    """The channel scorecards jointly and severally.

    ``scores[channel][measure]`` is a channel's figure (None when it has none),
    ``lower_is_better[measure]`` its direction. On every measure at least two
    channels report, each reporting channel's :func:`lag` against the median of
    those channels is taken; a channel's overall lag is its mean. The weakest
    channel has the largest mean lag (None with fewer than two channels
    compared, or when several share the largest), and ``weakest_measure`` is
    where it lags most.

    ``labels`` name channels and measures in the message (default: the keys),
    ``formats`` turn a measure's figures into text (e.g. :func:`format_duration`
    for times; default three significant figures).
    """
    labels = labels or {}
    formats = formats or {}

    def name(key: str) -> str:
        return labels.get(key, key)

    values: dict[str, dict[str, float]] = {}  # measure -> channel -> value
    for channel, figures in scores.items():
        for measure, value in figures.items():
            if value is None:
                continue
            if math.isnan(value):
                raise ValueError(f"{channel} {measure} is NaN; pass None for a missing figure")
            values.setdefault(measure, {})[channel] = float(value)
    missing = [measure for measure in values if measure not in lower_is_better]
    if missing:
        raise ValueError(
            f"lower_is_better does not say which way is better for: {', '.join(missing)}"
        )

    measure_lags: dict[str, dict[str, float]] = {}
    medians: dict[str, float] = {}
    rankings: dict[str, tuple[str, ...]] = {}
    for measure, by_channel in values.items():
        if len(by_channel) < 2:
            continue
        lower = lower_is_better[measure]
        median = float(np.median(list(by_channel.values())))
        medians[measure] = median
        for channel, value in by_channel.items():
            measure_lags.setdefault(channel, {})[measure] = lag(
                value, median, lower_is_better=lower
            )
        # sorted() is stable, reversed or not: equal figures keep the order given.
        rankings[measure] = tuple(sorted(by_channel, key=by_channel.__getitem__, reverse=not lower))
    # Channels in the order given, for stable ties.
    measure_lags = {channel: measure_lags[channel] for channel in scores if channel in measure_lags}
    lags = {channel: float(np.mean(list(m.values()))) for channel, m in measure_lags.items()}

    weakest: str | None = None
    weakest_measure: str | None = None
    if len(lags) < 2:
        message = "Fewer than two channels have figures to compare"
    else:
        top = max(lags.values())
        tied = [
            channel for channel, value in lags.items() if math.isclose(value, top, abs_tol=1e-12)
        ]
        if len(tied) == len(lags):
            message = "The channels are level: none lags the others overall"
        elif len(tied) > 1:
            message = f"No single channel is weakest: {_join([name(c) for c in tied])} lag equally"
        else:
            weakest = tied[0]
            own = measure_lags[weakest]
            weakest_measure = max(own, key=lambda measure: own[measure])
            show = formats.get(weakest_measure, _format_number)
            message = (
                f"{_sentence_start(name(weakest))} is the weakest channel; it lags most on "
                f"{name(weakest_measure)} ({show(values[weakest_measure][weakest])} against a "
                f"median of {show(medians[weakest_measure])} across channels)"
            )
    return Consistency(
        lags=lags,
        measure_lags=measure_lags,
        medians=medians,
        rankings=rankings,
        weakest=weakest,
        weakest_measure=weakest_measure,
        message=message,
    )
