"""The fairness audit and channel figures, checked against published examples and by hand."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxm.cases.fairness import (
    INFLUENCE_HIGH,
    INFLUENCE_LABELS,
    INFLUENCE_ORDER,
    INFLUENCE_TIERS,
    TOO_FEW_CASES,
    VALUE_TIERS,
    Spread,
    audit,
    consistency,
    describe,
    format_duration,
    holm,
    influence_score,
    influence_tier,
    lag,
    mann_whitney,
    value_tier,
)

# The autouse settings fixture of cxm/conftest.py is harmless to share between examples.
property_test = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


def exact_two_sided_p(x: Sequence[float], y: Sequence[float]) -> Fraction:
    """The exact two-sided Mann-Whitney p-value, by listing every way to split the ranks.

    Independent of SciPy: under the null hypothesis each choice of which len(x)
    of the pooled ranks belong to x is equally likely. U counts pairs with x
    larger; p = 2·min(P(U ≤ u), P(U ≥ u)), capped at 1. Untied data only.
    """
    pooled = sorted([*x, *y])
    assert len(set(pooled)) == len(pooled), "untied data only"
    rank = {value: i + 1 for i, value in enumerate(pooled)}
    n1 = len(x)
    shift = n1 * (n1 + 1) // 2
    observed = sum(rank[value] for value in x) - shift
    splits = list(combinations(range(1, len(pooled) + 1), n1))
    us = [sum(split) - shift for split in splits]
    low = Fraction(sum(u <= observed for u in us), len(splits))
    high = Fraction(sum(u >= observed for u in us), len(splits))
    return min(2 * min(low, high), Fraction(1))


# ---------------------------------------------------------------------------
# describe
# ---------------------------------------------------------------------------


def test_describe_one_to_ten() -> None:
    # Median of 1..10: (5 + 6)/2 = 5.5. 90th percentile, type 7:
    # h = (10 - 1)·0.9 + 1 = 9.1, so x9 + 0.1·(x10 - x9) = 9 + 0.1 = 9.1.
    spread = describe([float(v) for v in range(1, 11)])
    assert spread.n == 10
    assert spread.median == 5.5
    assert spread.p90 == pytest.approx(9.1, abs=1e-12)


def test_describe_sorts_and_interpolates() -> None:
    # Sorted 1, 3, 7: median 3. p90: h = 2·0.9 + 1 = 2.8, so 3 + 0.8·(7 - 3) = 6.2.
    spread = describe([7.0, 1.0, 3.0])
    assert spread.median == 3.0
    assert spread.p90 == pytest.approx(6.2, abs=1e-12)


def test_describe_single_value_and_empty() -> None:
    assert describe([240.0]) == Spread(n=1, median=240.0, p90=240.0)
    assert describe([]) == Spread(n=0, median=None, p90=None)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_describe_rejects_missing_values(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        describe([1.0, bad])


# ---------------------------------------------------------------------------
# format_duration
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 s"),
        (40.0, "40 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),  # would round to "60 s"
        (45 * MINUTE, "45 min"),
        (59 * MINUTE, "59 min"),
        (59.5 * MINUTE, "1.0 h"),  # would round to "60 min"
        (2.1 * HOUR, "2.1 h"),
        (30 * HOUR, "30.0 h"),
        (47.9 * HOUR, "47.9 h"),
        (48 * HOUR, "2.0 d"),
        (3 * DAY, "3.0 d"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_format_duration_rejects_impossible_durations(bad: float) -> None:
    with pytest.raises(ValueError, match="finite number of seconds"):
        format_duration(bad)


# ---------------------------------------------------------------------------
# Mann-Whitney
# ---------------------------------------------------------------------------


def test_mann_whitney_tortoise_and_hare() -> None:
    """Wikipedia, "Mann-Whitney U test", Illustration of calculation methods:
    6 tortoises and 6 hares finish in the order T H H H H H T T T T T H.
    Each tortoise beats 6, 1, 1, 1, 1, 1 hares, so U_T = 11; each hare beats
    5, 5, 5, 5, 5, 0 tortoises, so U_H = 25; U_T + U_H = 36 = 6·6.

    Finishing positions stand for times. ``u`` counts pairs in which the
    tortoise is slower, which is U_H; the pairs in which it is faster are U_T.
    """
    tortoises = [1.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    hares = [2.0, 3.0, 4.0, 5.0, 6.0, 12.0]
    result = mann_whitney(tortoises, hares)
    assert result.u == 25.0
    assert 36 - result.u == 11.0
    assert result.probability_less == 11 / 36
    # No ties and six a side: SciPy's exact distribution. 286 of the 924
    # equally likely splits are at least as extreme (enumerated).
    assert exact_two_sided_p(tortoises, hares) == Fraction(286, 924)
    assert result.p_value == pytest.approx(286 / 924, rel=1e-12)


# NAG Library, Mark 26.2, example programs for G08AJF/G08AHF (Mann-Whitney U):
# https://support.nag.com/numeric/cl/nagdoc_fl26.2/examples/baseresults/g08ajfe.r.html
# https://support.nag.com/numeric/cl/nagdoc_fl26.2/examples/baseresults/g08ahfe.r.html
# Group 2 as NAG prints it, eight values to a row.
NAG_UNTIED = (
    [13.0, 5.8, 11.7, 6.5, 12.3, 6.7, 9.2, 6.9, 10.0, 7.3, 16.0, 7.0, 10.5, 8.5, 9.0, 7.5],
    [
        *[17.0, 6.2, 10.1, 8.0, 15.3, 8.2, 15.0, 9.6],
        *[14.9, 10.4, 14.2, 9.8, 13.8, 11.0, 14.0, 11.1],
        *[12.9, 11.6, 12.8, 12.0, 13.1, 12.4, 11.9],
    ],
)
NAG_TIED = (
    [13.0, 6.0, 12.0, 7.0, 12.0, 7.0, 10.0, 7.0, 10.0, 7.0, 16.0, 7.0, 10.0, 8.0, 9.0, 8.0],
    [
        *[17.0, 6.0, 10.0, 8.0, 15.0, 8.0, 15.0, 10.0],
        *[15.0, 10.0, 14.0, 10.0, 14.0, 11.0, 14.0, 11.0],
        *[13.0, 12.0, 13.0, 12.0, 13.0, 12.0, 12.0],
    ],
)


@pytest.mark.parametrize(
    ("samples", "lower_tail"),
    [
        # G08AJF, no ties: test statistic 86, normal tail probability 0.0027.
        (NAG_UNTIED, 0.0027),
        # G08AHF, ties: test statistic 86, tie-corrected tail probability 0.0025.
        (NAG_TIED, 0.0025),
    ],
)
def test_mann_whitney_reproduces_nag(
    samples: tuple[list[float], list[float]], lower_tail: float
) -> None:
    # 16 and 23 values: both over 8, so the normal approximation with its
    # continuity correction, as NAG's (z = -2.7838 and -2.8039). NAG gives the
    # one-sided lower tail; the two-sided p-value is twice that.
    x, y = samples
    assert (len(x), len(y)) == (16, 23)
    result = mann_whitney(x, y)
    assert result.u == 86.0
    assert round(result.p_value / 2, 4) == lower_tail
    assert result.probability_less == (368 - 86) / 368


def test_mann_whitney_needs_both_sides() -> None:
    with pytest.raises(ValueError, match="at least one value on each side"):
        mann_whitney([1.0], [])


# ---------------------------------------------------------------------------
# Holm
# ---------------------------------------------------------------------------


def test_holm_by_hand() -> None:
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04, raised
    # to 0.06 because a step-down adjustment never falls below an earlier one.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-12)


def test_holm_caps_at_one_and_keeps_ties() -> None:
    # 0.5·2 = 1.0; 0.6·1 = 0.6, raised to 1.0. Equal p-values get equal adjustments:
    # 0.02·3 = 0.06, 0.02·2 = 0.04 raised to 0.06, 0.5·1 = 0.5.
    assert holm([0.6, 0.5]) == [1.0, 1.0]
    assert holm([0.02, 0.5, 0.02]) == pytest.approx([0.06, 0.5, 0.06], rel=1e-12)
    assert holm([]) == []


@pytest.mark.parametrize("bad", [[math.nan], [-0.1], [1.5]])
def test_holm_rejects_non_probabilities(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        holm(bad)


@property_test
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=12))
def test_holm_lies_between_raw_and_bonferroni(pvalues: list[float]) -> None:
    adjusted = holm(pvalues)
    m = len(pvalues)
    for raw, value in zip(pvalues, adjusted, strict=True):
        assert raw <= value <= min(1.0, raw * m) + 1e-12


# ---------------------------------------------------------------------------
# Influence and value tiers
# ---------------------------------------------------------------------------


def test_influence_score_of_no_audience_is_zero() -> None:
    assert influence_score(followers=None, reach=None, reshares=None) == 0.0
    assert influence_score(followers=0, reach=0, reshares=0) == 0.0
    assert influence_score(followers=0, reach=None, reshares=0) == 0.0


def test_influence_score_by_hand() -> None:
    # log10(1 + 9,999) = 4, of 6 for followers; log10(1 + 99) = 2, of 6 for reach;
    # log10(1 + 9) = 1, of 4 for re-shares. Weights 0.5, 0.3, 0.2 (sum 1):
    # 100·(0.5·4/6 + 0.3·2/6 + 0.2·1/4) = 100·(1/3 + 1/10 + 1/20) = 48.33...
    score = influence_score(followers=9_999, reach=99, reshares=9)
    assert score == pytest.approx(100 * (1 / 3 + 1 / 10 + 1 / 20), rel=1e-12)
    # Reach unknown: left out of the mean, not taken as zero.
    # 100·(0.5·4/6 + 0.2·1/4)/0.7 = 100·(1/3 + 1/20)/0.7 = 54.76...
    score = influence_score(followers=9_999, reach=None, reshares=9)
    assert score == pytest.approx(100 * (1 / 3 + 1 / 20) / 0.7, rel=1e-12)
    # Reach known to be zero counts: 100·(1/3 + 0 + 1/20) = 38.33...
    score = influence_score(followers=9_999, reach=0, reshares=9)
    assert score == pytest.approx(100 * (1 / 3 + 1 / 20), rel=1e-12)


def test_influence_score_saturates_at_100() -> None:
    assert influence_score(followers=999_999, reach=None, reshares=None) == 100.0
    assert influence_score(followers=10**9, reach=10**9, reshares=10**9) == 100.0
    assert influence_score(followers=None, reach=None, reshares=9_999) == 100.0


@pytest.mark.parametrize(
    "counts",
    [
        {"followers": -1, "reach": None, "reshares": None},
        {"followers": None, "reach": -5, "reshares": None},
        {"followers": None, "reach": None, "reshares": -1},
    ],
)
def test_influence_score_rejects_negative_counts(counts: dict[str, int | None]) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        influence_score(**counts)


def test_influence_score_rejects_non_counts() -> None:
    with pytest.raises(ValueError, match="whole number"):
        influence_score(followers=True, reach=None, reshares=None)
    with pytest.raises(ValueError, match="whole number"):
        influence_score(followers=1.5, reach=None, reshares=None)  # type: ignore[arg-type]


counts = st.none() | st.integers(min_value=0, max_value=10**10)


@property_test
@given(
    st.sampled_from(["followers", "reach", "reshares"]),
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=0, max_value=10**10),
    counts,
    counts,
)
def test_influence_score_is_monotone_and_bounded(
    field: str, a: int, b: int, other_1: int | None, other_2: int | None
) -> None:
    others = [name for name in ("followers", "reach", "reshares") if name != field]
    fixed = dict(zip(others, (other_1, other_2), strict=True))
    low, high = sorted((a, b))
    score_low = influence_score(**fixed, **{field: low})
    score_high = influence_score(**fixed, **{field: high})
    assert 0.0 <= score_low <= score_high <= 100.0


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, "none"),
        (1, "low"),
        (999, "low"),
        (1_000, "medium"),
        (10_000, "medium"),
        (99_999, "medium"),
        (100_000, "high"),
        (10**7, "high"),
    ],
)
def test_influence_tiers_at_their_follower_thresholds(followers: int, tier: str) -> None:
    score = influence_score(followers=followers, reach=None, reshares=None)
    assert influence_tier(score) == tier


def test_influence_tier_bounds() -> None:
    # 100·log10(1,001)/6 and 100·log10(100,001)/6.
    assert [name for name, _ in INFLUENCE_TIERS] == list(INFLUENCE_ORDER)
    assert INFLUENCE_TIERS[2][1] == pytest.approx(100 * math.log10(1_001) / 6, rel=1e-12)
    assert INFLUENCE_TIERS[3][1] == pytest.approx(100 * math.log10(100_001) / 6, rel=1e-12)
    assert influence_tier(0.0) == "none"
    assert influence_tier(100.0) == "high"
    for bad in (-0.1, 100.1, math.nan):
        with pytest.raises(ValueError, match="from 0 to 100"):
            influence_tier(bad)


@pytest.mark.parametrize(
    ("value", "tier"),
    [
        (None, "unknown"),
        (0.0, "small"),
        (9_999.99, "small"),
        (10_000.0, "mid"),
        (99_999.0, "mid"),
        (100_000.0, "large"),
        (5e6, "large"),
    ],
)
def test_value_tier(value: float | None, tier: str) -> None:
    assert value_tier(value) == tier


def test_value_tier_with_other_bounds() -> None:
    bounds = [("retail", 0.0), ("business", 500.0), ("enterprise", 50_000.0)]
    assert value_tier(499.0, bounds) == "retail"
    assert value_tier(500.0, bounds) == "business"
    assert value_tier(50_000.0, bounds) == "enterprise"
    assert value_tier(None, bounds) == "unknown"


def test_value_tier_refuses_what_no_tier_holds() -> None:
    with pytest.raises(ValueError, match="below the lowest tier bound"):
        value_tier(-1.0)
    with pytest.raises(ValueError, match="not NaN"):
        value_tier(math.nan)
    with pytest.raises(ValueError, match="strictly increasing"):
        value_tier(5.0, [("a", 0.0), ("b", 0.0)])
    with pytest.raises(ValueError, match="at least one tier"):
        value_tier(5.0, [])
    assert VALUE_TIERS[0] == ("small", 0.0)


# ---------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------


def minutes(*values: float) -> list[float]:
    return [value * MINUTE for value in values]


def test_audit_raises_an_alert_when_high_influence_is_answered_first() -> None:
    none = minutes(6, 8, 10, 12, 14)
    low = minutes(7, 9, 11, 13, 15)
    high = minutes(1, 2, 3, 4, 5)
    result = audit(
        {"none": none, "low": low, "high": high},
        order=INFLUENCE_ORDER,
        high=INFLUENCE_HIGH,
        labels=INFLUENCE_LABELS,
        action="answered",
    )
    by_tier = {row.tier: row for row in result.tiers}
    assert [row.tier for row in result.tiers] == ["none", "low", "medium", "high"]

    # U counts pairs in which the tier waited longer, by hand:
    # high (1-5 min) is faster than all 10 others: U = 0 of 5·10 = 50.
    # none: each beats the 5 high cases (25); against low (7..15),
    #   6 beats none, 8 one, 10 two, 12 three, 14 four (10): U = 35.
    # low: 25 against high; against none (6..14), 7 beats one, 9 two, ... 15
    #   five (15): U = 40.
    assert (by_tier["high"].u, by_tier["none"].u, by_tier["low"].u) == (0.0, 35.0, 40.0)
    assert by_tier["high"].probability_faster == 1.0
    assert by_tier["none"].probability_faster == 15 / 50
    assert by_tier["low"].probability_faster == 10 / 50

    # Exact p-values (no ties, 5 against 10), by listing all 3,003 splits:
    # U = 0 is 1 split in each tail: 2/3003; U ≥ 35: 382 splits; U ≥ 40: 113.
    assert exact_two_sided_p(high, none + low) == Fraction(2, 3003)
    assert exact_two_sided_p(none, low + high) == Fraction(764, 3003)
    assert exact_two_sided_p(low, none + high) == Fraction(226, 3003)
    assert by_tier["high"].p_value == pytest.approx(2 / 3003, rel=1e-9)
    assert by_tier["none"].p_value == pytest.approx(764 / 3003, rel=1e-9)
    assert by_tier["low"].p_value == pytest.approx(226 / 3003, rel=1e-9)
    # Holm over 3 tests: 2/3003·3 = 6/3003; 226/3003·2 = 452/3003; 764/3003·1.
    assert by_tier["high"].p_adjusted == pytest.approx(6 / 3003, rel=1e-9)
    assert by_tier["low"].p_adjusted == pytest.approx(452 / 3003, rel=1e-9)
    assert by_tier["none"].p_adjusted == pytest.approx(764 / 3003, rel=1e-9)

    # The empty tier is listed, not tested; its rest is all 15 cases.
    medium = by_tier["medium"]
    assert (medium.n, medium.median, medium.p90, medium.rest_n) == (0, None, None, 15)
    assert medium.skipped == TOO_FEW_CASES
    assert medium.u is medium.p_value is medium.p_adjusted is medium.probability_faster is None

    # Medians: high 3 min; its rest 6..15 min, 10.5 min ("10 min", rounded half to even).
    assert (by_tier["high"].median, by_tier["high"].rest_median) == (180.0, 630.0)
    # p90 of 1..5 min: h = 4·0.9 + 1 = 4.6, so 4 + 0.6 = 4.6 min = 276 s.
    assert by_tier["high"].p90 == pytest.approx(276.0, rel=1e-12)

    assert not result.ok
    assert result.alpha == 0.05
    assert len(result.alerts) == 1
    alert = result.alerts[0]
    assert (alert.tier, alert.kind) == ("high", "served_faster")
    assert alert.p_adjusted == pytest.approx(6 / 3003, rel=1e-9)
    assert alert.message == (
        "High-influence customers were answered significantly faster than the rest "
        "(median 3 min vs 10 min, Holm-adjusted p = 0.002)"
    )

    # At alpha = 0.001 the same data raise nothing: 6/3003 ≈ 0.002.
    assert audit(
        {"none": none, "low": low, "high": high},
        order=INFLUENCE_ORDER,
        high=INFLUENCE_HIGH,
        alpha=0.001,
    ).ok


def test_audit_raises_an_alert_when_a_tier_waits_longer() -> None:
    # none (11-15 min) waits longer than all 10 others: U = 50, p = 2/3003,
    # Holm 6/3003. high (even minutes 2-10) beats low 1+2+3+4+5 = 15 times:
    # faster than the rest in 35 of 50 pairs (0.7), but p = 764/3003: no alert.
    result = audit(
        {
            "none": minutes(11, 12, 13, 14, 15),
            "low": minutes(1, 3, 5, 7, 9),
            "high": minutes(2, 4, 6, 8, 10),
        },
        order=INFLUENCE_ORDER,
        high=INFLUENCE_HIGH,
        labels=INFLUENCE_LABELS,
        action="answered",
    )
    by_tier = {row.tier: row for row in result.tiers}
    assert by_tier["none"].u == 50.0
    assert by_tier["high"].u == 15.0
    assert by_tier["high"].probability_faster == 0.7
    assert [(alert.tier, alert.kind) for alert in result.alerts] == [("none", "served_slower")]
    assert result.alerts[0].message == (
        "Customers with no known audience were answered significantly slower than the rest "
        "(median 13 min vs 6 min, Holm-adjusted p = 0.002)"
    )


def test_audit_only_faster_service_of_a_high_tier_is_favour() -> None:
    # Two tiers mirror each other: "small" faster (not a favoured tier, so no
    # served_faster alert), hence "large" slower: served_slower for "large".
    # U for small = 0 of 36, exact p = 2/924, Holm over 2 tests = 4/924.
    result = audit(
        {"small": minutes(1, 2, 3, 4, 5, 6), "large": minutes(7, 8, 9, 10, 11, 12)},
        order=["unknown", "small", "mid", "large"],
        high=["mid", "large"],
        action="resolved",
    )
    assert [(alert.tier, alert.kind) for alert in result.alerts] == [("large", "served_slower")]
    assert result.alerts[0].message == (
        "Customers in the large tier were resolved significantly slower than the rest "
        "(median 10 min vs 4 min, Holm-adjusted p = 0.00433)"
    )
    assert result.alerts[0].p_adjusted == pytest.approx(4 / 924, rel=1e-9)


def test_audit_of_interleaved_times_raises_nothing() -> None:
    # Tiers take turns: high 1, 4, 7, 10, 13; none 2, 5, ...; low 3, 6, ...
    # high waits longer than 0 + 2 + 4 + 6 + 8 = 20 of 50 pairs.
    result = audit(
        {
            "high": minutes(1, 4, 7, 10, 13),
            "none": minutes(2, 5, 8, 11, 14),
            "low": minutes(3, 6, 9, 12, 15),
        },
        order=INFLUENCE_ORDER,
        high=INFLUENCE_HIGH,
    )
    by_tier = {row.tier: row for row in result.tiers}
    assert by_tier["high"].u == 20.0
    assert result.ok
    assert result.alerts == ()


def test_audit_of_equal_times_raises_nothing() -> None:
    # All tied: U = n1·n2/2 exactly (3·6/2 = 9), p = 1, probability ½.
    same = [600.0, 600.0, 600.0]
    result = audit(
        {"none": same, "low": same, "high": same}, order=INFLUENCE_ORDER, high=INFLUENCE_HIGH
    )
    tested = [row for row in result.tiers if row.skipped is None]
    assert [row.tier for row in tested] == ["none", "low", "high"]
    for row in tested:
        assert (row.u, row.p_value, row.p_adjusted, row.probability_faster) == (9.0, 1.0, 1.0, 0.5)
    assert result.ok


def test_audit_skips_tiers_with_too_few_cases() -> None:
    # "high" has one case; "low" has 3 but its rest has only 1 (the high case
    # alone), which also leaves "high"'s rest with 3: high is skipped for its n.
    result = audit(
        {"low": [60.0, 120.0, 180.0], "high": [30.0]}, order=INFLUENCE_ORDER, high=INFLUENCE_HIGH
    )
    skipped = {row.tier: row.skipped for row in result.tiers}
    assert skipped == {
        "none": TOO_FEW_CASES,
        "low": TOO_FEW_CASES,
        "medium": TOO_FEW_CASES,
        "high": TOO_FEW_CASES,
    }
    assert result.ok
    only = audit({"low": [60.0, 120.0]}, order=INFLUENCE_ORDER, high=INFLUENCE_HIGH)
    low = only.tiers[1]
    assert (low.n, low.median, low.rest_n, low.rest_median, low.skipped) == (
        2,
        90.0,
        0,
        None,
        TOO_FEW_CASES,
    )
    assert audit({}, order=INFLUENCE_ORDER, high=INFLUENCE_HIGH).ok


def test_audit_refuses_bad_input() -> None:
    order = INFLUENCE_ORDER
    with pytest.raises(ValueError, match="not in order: vip"):
        audit({"vip": [1.0, 2.0]}, order=order, high=INFLUENCE_HIGH)
    with pytest.raises(ValueError, match="high names tiers not in order: vip"):
        audit({}, order=order, high=["vip"])
    with pytest.raises(ValueError, match="twice"):
        audit({}, order=["low", "low"], high=[])
    with pytest.raises(ValueError, match="negative duration"):
        audit({"low": [-1.0, 2.0]}, order=order, high=INFLUENCE_HIGH)
    with pytest.raises(ValueError, match="finite"):
        audit({"low": [math.nan, 2.0]}, order=order, high=INFLUENCE_HIGH)
    with pytest.raises(ValueError, match="alpha"):
        audit({}, order=order, high=INFLUENCE_HIGH, alpha=0.0)


# ---------------------------------------------------------------------------
# Channel consistency
# ---------------------------------------------------------------------------

SCORES: dict[str, dict[str, float | None]] = {
    "email": {"first_response": 4.2 * 3600, "csat": 4.1},
    "chat": {"first_response": 0.5 * 3600, "csat": 4.5},
    "phone": {"first_response": 1.1 * 3600, "csat": 4.4},
}
DIRECTIONS = {"first_response": True, "csat": False}


def test_consistency_names_the_weakest_channel() -> None:
    result = consistency(
        SCORES,
        lower_is_better=DIRECTIONS,
        labels={"first_response": "first response"},
        formats={"first_response": format_duration},
    )
    # First response, median 1.1 h: email 2(4.2 - 1.1)/(4.2 + 1.1) = 6.2/5.3,
    # chat 2(0.5 - 1.1)/(0.5 + 1.1) = -0.75, phone 0.
    # CSAT (higher is better), median 4.4: email -2(4.1 - 4.4)/8.5 = 0.6/8.5,
    # chat -2(4.5 - 4.4)/8.9 = -0.2/8.9, phone 0.
    lags = result.measure_lags
    assert lags["email"]["first_response"] == pytest.approx(6.2 / 5.3, rel=1e-12)
    assert lags["chat"]["first_response"] == pytest.approx(-0.75, rel=1e-12)
    assert lags["phone"] == {"first_response": 0.0, "csat": 0.0}
    assert lags["email"]["csat"] == pytest.approx(0.6 / 8.5, rel=1e-12)
    assert lags["chat"]["csat"] == pytest.approx(-0.2 / 8.9, rel=1e-12)
    assert result.lags["email"] == pytest.approx((6.2 / 5.3 + 0.6 / 8.5) / 2, rel=1e-12)
    assert result.lags["chat"] == pytest.approx((-0.75 - 0.2 / 8.9) / 2, rel=1e-12)
    assert result.medians == pytest.approx({"first_response": 1.1 * 3600, "csat": 4.4})
    assert result.rankings == {
        "first_response": ("chat", "phone", "email"),
        "csat": ("chat", "phone", "email"),
    }
    assert result.weakest == "email"
    assert result.weakest_measure == "first_response"
    assert result.message == (
        "Email is the weakest channel; it lags most on first response "
        "(4.2 h against a median of 1.1 h across channels)"
    )


def test_lag_is_scale_free_and_symmetric() -> None:
    # Twice as slow lags as much as half as satisfied: 2(2 - 1)/3 = 2/3.
    assert lag(2.0, 1.0, lower_is_better=True) == pytest.approx(2 / 3, rel=1e-12)
    assert lag(2.0, 4.0, lower_is_better=False) == pytest.approx(2 / 3, rel=1e-12)
    assert lag(7200.0, 3600.0, lower_is_better=True) == lag(2.0, 1.0, lower_is_better=True)
    # Zero medians and zero figures stay finite; the bound is 2.
    assert lag(5.0, 0.0, lower_is_better=True) == 2.0
    assert lag(0.0, 5.0, lower_is_better=False) == 2.0
    assert lag(0.0, 0.0, lower_is_better=True) == 0.0
    # A figure on the median lags 0, never -0.
    assert math.copysign(1.0, lag(4.4, 4.4, lower_is_better=False)) == 1.0


def test_consistency_does_not_depend_on_units() -> None:
    in_minutes = {
        channel: {"first_response": figures["first_response"] / 60, "csat": figures["csat"]}  # type: ignore[operator]
        for channel, figures in SCORES.items()
    }
    a = consistency(SCORES, lower_is_better=DIRECTIONS)
    b = consistency(in_minutes, lower_is_better=DIRECTIONS)
    assert b.lags == pytest.approx(a.lags)
    assert (b.weakest, b.weakest_measure) == (a.weakest, a.weakest_measure)


def test_consistency_with_missing_figures() -> None:
    # SMS has no CSAT, and only email reports "nps": a measure one channel
    # reports compares nothing, so it is left out everywhere.
    scores: dict[str, dict[str, float | None]] = {
        "email": {"first_response": 7200.0, "csat": 4.0, "nps": 20.0},
        "chat": {"first_response": 600.0, "csat": 4.5},
        "sms": {"first_response": 1800.0, "csat": None},
    }
    result = consistency(
        scores,
        lower_is_better={"first_response": True, "csat": False, "nps": False},
        labels={"sms": "SMS", "csat": "CSAT"},
    )
    assert set(result.medians) == {"first_response", "csat"}
    # CSAT between two channels: median 4.25.
    assert result.medians["csat"] == 4.25
    assert result.measure_lags["sms"] == {"first_response": 0.0}
    assert result.rankings == {
        "first_response": ("chat", "sms", "email"),
        "csat": ("chat", "email"),
    }
    # email: first response 2(7200 - 1800)/9000 = 1.2; CSAT 2(4.25 - 4)/8.25.
    assert result.lags["email"] == pytest.approx((1.2 + 0.5 / 8.25) / 2, rel=1e-12)
    assert (result.weakest, result.weakest_measure) == ("email", "first_response")
    assert result.message == (
        "Email is the weakest channel; it lags most on first_response "
        "(7,200 against a median of 1,800 across channels)"
    )


def test_consistency_ties_name_no_single_weakest() -> None:
    scores: dict[str, dict[str, float | None]] = {
        "email": {"first_response": 3600.0},
        "sms": {"first_response": 3600.0},
        "chat": {"first_response": 600.0},
    }
    result = consistency(scores, lower_is_better={"first_response": True}, labels={"sms": "SMS"})
    # Median 3600: email and SMS lag 0, chat leads. Ranking keeps the order given.
    assert result.rankings == {"first_response": ("chat", "email", "sms")}
    assert result.weakest is None
    assert result.weakest_measure is None
    assert result.message == "No single channel is weakest: email and SMS lag equally"

    level = consistency(
        {"email": {"csat": 4.0}, "chat": {"csat": 4.0}}, lower_is_better={"csat": False}
    )
    assert level.lags == {"email": 0.0, "chat": 0.0}
    assert level.weakest is None
    assert level.message == "The channels are level: none lags the others overall"


def test_consistency_of_one_channel_names_none() -> None:
    result = consistency({"email": {"csat": 4.0}}, lower_is_better={"csat": False})
    assert (result.weakest, result.weakest_measure) == (None, None)
    assert result.lags == {}
    assert result.rankings == {}
    assert result.message == "Fewer than two channels have figures to compare"
    assert consistency({}, lower_is_better={}).weakest is None


def test_consistency_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="which way is better for: csat"):
        consistency({"email": {"csat": 4.0}, "chat": {"csat": 4.1}}, lower_is_better={})
    with pytest.raises(ValueError, match="pass None"):
        consistency({"email": {"csat": math.nan}}, lower_is_better={"csat": False})
