"""Honest metrics, checked against published worked examples and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from cxm.feedback.stats import (
    NpsCounts,
    benjamini_hochberg,
    effective_n,
    funnel,
    kish_design_effect,
    mean_difference,
    mean_difference_from_summary,
    mean_interval,
    mean_interval_from_summary,
    nps_counts,
    nps_difference,
    nps_distribution,
    nps_interval,
    nps_of,
    post_stratify,
    proportion_difference,
    proportion_interval,
    rake,
    relative_weights,
    relative_weights_bootstrap,
    relative_weights_from_correlations,
    representativeness,
    segments_below,
    segments_below_mean,
    weighted_nps,
)

# The autouse settings fixture of cxm/conftest.py is harmless to share between examples.
property_test = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# ---------------------------------------------------------------------------
# NPS
# ---------------------------------------------------------------------------


def test_nps_classes_and_distribution() -> None:
    scores = list(range(11))
    assert nps_distribution(scores) == [1] * 11
    assert nps_counts(scores) == NpsCounts(detractors=7, passives=2, promoters=2)
    assert nps_counts([6, 7, 8, 9]) == (1, 2, 1)
    assert nps_counts([]) == (0, 0, 0)


@pytest.mark.parametrize("score", [-1, 11, 7.5, True, "9", None])
def test_nps_rejects_answers_off_the_scale(score: object) -> None:
    with pytest.raises(ValueError, match="whole number from 0 to 10"):
        nps_counts([9, score])  # type: ignore[list-item]


def test_nps_interval_reproduces_measuringu() -> None:
    """Lewis & Sauro, "Confidence Intervals for Net Promoter Scores", MeasuringU
    (https://measuringu.com/nps-confidence-intervals/), adjusted-Wald method of
    Rocks (2016): 40 promoters, 30 passives, 30 detractors (n = 100) give
    NPS 10%, an adjusted NPS of 9.7% and a 95% interval of -6.3% to 25.7%.
    """
    result = nps_interval(promoters=40, passives=30, detractors=30)
    assert result.value == 10.0
    assert round(result.adjusted, 1) == 9.7
    assert (round(result.low, 1), round(result.high, 1)) == (-6.3, 25.7)
    assert result.n == 100
    assert result.effective_n == 100.0
    assert result.confidence == 0.95


def test_nps_interval_of_no_answers_is_empty_not_an_error() -> None:
    result = nps_interval(promoters=0, passives=0, detractors=0)
    assert result.empty
    assert result.n == 0
    assert all(math.isnan(v) for v in (result.value, result.adjusted, result.low, result.high))


def test_nps_interval_stays_on_the_scale() -> None:
    """Five promoters of five: the adjusted-Wald bound would pass 100; it is clipped."""
    result = nps_interval(promoters=5, passives=0, detractors=0)
    assert result.value == 100.0
    assert result.high == 100.0
    assert result.low < result.adjusted < 100.0


def test_nps_interval_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="detractors must be a count"):
        nps_interval(promoters=1, passives=1, detractors=-1)


@property_test
@given(
    st.integers(0, 400), st.integers(0, 400), st.integers(0, 400), st.sampled_from([0.8, 0.9, 0.95])
)
def test_nps_interval_contains_its_adjusted_centre(
    promoters: int, passives: int, detractors: int, confidence: float
) -> None:
    if promoters + passives + detractors == 0:
        return
    result = nps_interval(
        promoters=promoters, passives=passives, detractors=detractors, confidence=confidence
    )
    assert -100 <= result.low <= result.adjusted <= result.high <= 100
    assert -100 <= result.value <= 100
    # A wider confidence never gives a narrower interval.
    wider = nps_interval(
        promoters=promoters, passives=passives, detractors=detractors, confidence=0.99
    )
    assert wider.low <= result.low and wider.high >= result.high


def test_nps_difference_by_hand() -> None:
    """No published two-sample worked example with numbers was reachable, so the
    MeasuringU method ("How to Statistically Compare Two Net Promoter Scores",
    https://measuringu.com/nps-significance-test/) is computed by hand:

    a: 50 promoters, 30 passives, 20 detractors (NPS 30), n_adj = 103
       p_P = 50.75/103 = 0.4927, p_D = 20.75/103 = 0.2015, NPS_adj = 0.2913
       var = (0.4927 + 0.2015 - 0.2913²)/103 = 0.6093/103 = 0.005916
    b: 40 promoters, 25 passives, 35 detractors (NPS 5), n_adj = 103
       p_P = 40.75/103 = 0.3956, p_D = 35.75/103 = 0.3471, NPS_adj = 0.0485
       var = (0.3956 + 0.3471 - 0.0485²)/103 = 0.7404/103 = 0.007188
    se = √(0.005916 + 0.007188) = 0.11447
    z = (0.2913 - 0.0485)/0.11447 = 2.120, p = 2·(1 - Φ(2.120)) = 0.0340
    95% interval: 24.27 ± 1.96·11.447 = 24.27 ± 22.44 → 1.84 to 46.71 points.
    """
    a = NpsCounts(detractors=20, passives=30, promoters=50)
    b = NpsCounts(detractors=35, passives=25, promoters=40)
    result = nps_difference(a, b)
    assert result.difference == 25.0  # the raw NPS gap users see
    assert round(result.centre, 2) == 24.27
    assert round(result.statistic, 3) == 2.120
    assert round(result.p_value, 4) == 0.0340
    assert (round(result.low, 2), round(result.high, 2)) == (1.84, 46.71)
    assert result.significant
    assert result.dof is None
    flipped = nps_difference(b, a)
    assert flipped.difference == -25.0
    assert flipped.p_value == pytest.approx(result.p_value)
    assert (flipped.low, flipped.high) == pytest.approx((-result.high, -result.low))


def test_nps_difference_needs_named_counts() -> None:
    """(promoters, passives, detractors) and (detractors, passives, promoters)
    are both in use; a bare tuple would silently reverse a finding."""
    with pytest.raises(TypeError, match="NpsCounts"):
        nps_difference((50, 30, 20), NpsCounts(20, 30, 50))  # type: ignore[arg-type]


def test_nps_difference_with_an_empty_side() -> None:
    result = nps_difference(NpsCounts(0, 0, 0), NpsCounts(1, 2, 3))
    assert math.isnan(result.difference) and math.isnan(result.p_value)
    assert not result.significant


# ---------------------------------------------------------------------------
# Means and proportions
# ---------------------------------------------------------------------------


def test_mean_interval_from_summary_reproduces_a_textbook_answer() -> None:
    """algebra.com question 980616 (https://www.algebra.com/cgi-bin/show-question-source.mpl?solution=601746):
    x̄ = 8.1, s = 4.8, n = 10, t(0.975, 9) = 2.262 → 95% interval (4.67, 11.53).
    """
    result = mean_interval_from_summary(mean=8.1, sd=4.8, n=10)
    assert (round(result.low, 2), round(result.high, 2)) == (4.67, 11.53)
    assert result.value == 8.1
    assert result.n == 10


def test_mean_interval_of_ratings_by_hand() -> None:
    """Ratings 1..5: mean 3, s = √2.5 = 1.5811, se = 0.7071, t(0.975, 4) = 2.7764,
    half-width 1.9632 → 1.0368 to 4.9632."""
    result = mean_interval([1, 2, 3, 4, 5])
    assert result.value == 3.0
    assert (round(result.low, 4), round(result.high, 4)) == (1.0368, 4.9632)


def test_mean_interval_of_too_few_answers() -> None:
    empty = mean_interval([])
    assert empty.empty and math.isnan(empty.value)
    single = mean_interval([4])
    assert single.value == 4.0 and math.isnan(single.low) and math.isnan(single.high)


def test_welch_reproduces_clickhouse_documentation() -> None:
    """ClickHouse welchTTest reference
    (https://clickhouse.com/docs/sql-reference/aggregate-functions/reference/welchttest):
    samples (20.3, 22.1, 21.9) and (18.9, 20.3, 19) give t = 2.7988719532211235,
    p = 0.051807360348581945 and, at 95%, the interval
    (-0.026294346671631885, 4.092961013338302).
    """
    result = mean_difference([20.3, 22.1, 21.9], [18.9, 20.3, 19])
    assert result.statistic == pytest.approx(2.7988719532211235, abs=1e-12)
    assert result.p_value == pytest.approx(0.051807360348581945, abs=1e-12)
    assert result.low == pytest.approx(-0.026294346671631885, abs=1e-9)
    assert result.high == pytest.approx(4.092961013338302, abs=1e-9)
    assert not result.significant


def test_welch_from_summary_reproduces_a_worked_example() -> None:
    """Sense of Study, two-sample tests example 4
    (https://senseofstudy.com/math/concept/two-sample-tests/examples/Q-two-sample-tests-P02):
    n = 20, x̄ = 100, s = 15 against n = 20, x̄ = 95, s = 20: SE ≈ 5.59, t ≈ 0.895,
    df ≈ 35.2, not significant.
    """
    result = mean_difference_from_summary(mean_a=100, sd_a=15, n_a=20, mean_b=95, sd_b=20, n_b=20)
    assert round(result.statistic, 3) == 0.894  # √31.25 = 5.5902; the page rounds SE first
    assert round(result.difference / result.statistic, 2) == 5.59
    assert result.dof is not None and round(result.dof, 1) == 35.2
    assert not result.significant


def test_welch_matches_scipy() -> None:
    a = [3.0, 4, 4, 5, 5, 5, 2, 4]
    b = [2.0, 3, 3, 1, 4, 2, 3, 2, 2, 3, 1]
    ours = mean_difference(a, b)
    theirs = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-12)
    assert ours.dof == pytest.approx(theirs.df, rel=1e-12)
    interval = theirs.confidence_interval(0.95)
    assert (ours.low, ours.high) == pytest.approx((interval.low, interval.high), rel=1e-12)


def test_welch_without_spread_has_nothing_to_judge() -> None:
    result = mean_difference([5, 5, 5], [4, 4, 4])
    assert math.isnan(result.p_value) and not result.significant


def test_proportion_interval_reproduces_tullis() -> None:
    """Tullis, "Calculating a Confidence Interval for Task Completion Using the
    Adjusted Wald Method" (http://www.measuringux.com/adjustedwald.htm), after
    Agresti & Coull (1998): 4 of 5 successes, 95% → lower limit 0.3596,
    "approximately 36% to 98%". (The page rounds z to 1.96 and p_adj to 0.6696,
    so its upper limit, 0.9796, differs from the exact one, 0.97968, in the
    fourth place; both are 98%.)
    """
    result = proportion_interval(4, 5)
    assert result.value == 80.0
    assert round(result.low / 100, 4) == 0.3596
    assert (round(result.low), round(result.high)) == (36, 98)


def test_proportion_interval_stays_between_0_and_100() -> None:
    assert proportion_interval(0, 3).low == 0.0
    assert proportion_interval(3, 3).high == 100.0
    assert proportion_interval(0, 0).empty
    with pytest.raises(ValueError, match="cannot come from"):
        proportion_interval(4, 3)


def test_proportion_difference_by_hand() -> None:
    """Agresti & Caffo (2000) adjustment, computed by hand: 45 of 60 against 30 of 60.
    p̃a = 46/62 = 0.7419, p̃b = 31/62 = 0.5,
    se = √(0.7419·0.2581/62 + 0.5·0.5/62) = √0.0071205 = 0.08438,
    z = 0.2419/0.08438 = 2.867, p = 0.0041; 95%: 24.19 ± 16.54 → 7.65 to 40.73 points.
    """
    result = proportion_difference(45, 60, 30, 60)
    assert result.difference == 25.0
    assert round(result.centre, 2) == 24.19
    assert round(result.statistic, 3) == 2.867
    assert round(result.p_value, 4) == 0.0041
    assert (round(result.low, 2), round(result.high, 2)) == (7.65, 40.73)


def test_funnel_rates_and_their_denominators() -> None:
    """1,000 invited, 600 displayed (of whom 90 dismissed and 150 answered).
    Dismissals are neither responses nor taken out of any denominator."""
    rates = funnel(invited=1000, displayed=600, responded=150)
    assert rates["display_rate"] == proportion_interval(600, 1000)
    assert rates["response_rate"] == proportion_interval(150, 600)
    assert rates["overall_rate"] == proportion_interval(150, 1000)
    assert rates["response_rate"].value == 25.0
    assert funnel(invited=0, displayed=0, responded=0)["overall_rate"].empty
    with pytest.raises(ValueError, match="150 responses but only 100"):
        funnel(invited=1000, displayed=100, responded=150)


# ---------------------------------------------------------------------------
# Masked dissatisfaction
# ---------------------------------------------------------------------------


def test_benjamini_hochberg_reproduces_the_1995_example() -> None:
    """Benjamini & Hochberg (1995), worked example: 15 p-values of the thrombolysis
    study; at q = 0.05 the procedure rejects the first four (Bonferroni: three).
    Adjusted values as published in the scipy.stats.false_discovery_control
    documentation (https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.false_discovery_control.html).
    """
    ps = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344]
    ps += [0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    adjusted = benjamini_hochberg(ps)
    published = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.06385714, 0.06385714, 0.0645]
    published += [0.0765, 0.486, 0.58118182, 0.714875, 0.75323077, 0.81321429, 1.0]
    assert [round(p, 8) for p in adjusted] == published
    assert sum(p <= 0.05 for p in adjusted) == 4
    # Order is kept (the same documentation's unsorted example).
    assert benjamini_hochberg([0.5, 0.6, 0.1, 0.001]) == pytest.approx([0.6, 0.6, 0.2, 0.004])
    assert benjamini_hochberg([]) == []


@property_test
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_benjamini_hochberg_agrees_with_scipy(ps: list[float]) -> None:
    adjusted = benjamini_hochberg(ps)
    assert adjusted == pytest.approx(list(scipy_stats.false_discovery_control(ps)), abs=1e-12)
    assert all(raw <= adj + 1e-15 <= 1 + 1e-15 for raw, adj in zip(ps, adjusted, strict=True))


def _plans_and_regions() -> dict[tuple[str, str], NpsCounts]:
    # 300 answers; the basic plan is unhappy, the regions are alike.
    return {
        ("plan", "basic"): NpsCounts(detractors=60, passives=20, promoters=20),
        ("plan", "pro"): NpsCounts(detractors=20, passives=30, promoters=50),
        ("plan", "enterprise"): NpsCounts(detractors=15, passives=35, promoters=50),
        ("region", "north"): NpsCounts(detractors=48, passives=43, promoters=59),
        ("region", "south"): NpsCounts(detractors=47, passives=42, promoters=61),
        ("region", "islands"): NpsCounts(detractors=3, passives=2, promoters=4),
    }


def test_segments_below_compares_each_segment_with_the_rest() -> None:
    groups = _plans_and_regions()
    findings = segments_below(groups, min_n=30)
    assert [(f.segment, f.value) for f in findings if f.below] == [("plan", "basic")]
    # The islands (9 answers) are too few to test, and their rest is everyone else.
    tested = {(f.segment, f.value) for f in findings}
    assert ("region", "islands") not in tested
    assert len(tested) == 5
    basic = findings[0]
    rest = NpsCounts(detractors=35, passives=65, promoters=100)
    assert basic.score == nps_of(groups[("plan", "basic")])
    assert basic.rest == nps_of(rest)
    assert basic.difference == nps_difference(groups[("plan", "basic")], rest)
    assert basic.difference.difference == -40 - 32.5
    # The false discovery rate is held across all five tests, both dimensions.
    raw = {(f.segment, f.value): f.difference.p_value for f in findings}
    keys = sorted(raw)
    expected = dict(zip(keys, benjamini_hochberg([raw[k] for k in keys]), strict=True))
    assert all(f.p_adjusted == pytest.approx(expected[(f.segment, f.value)]) for f in findings)
    # Significantly *above* the rest is not "below".
    pro = next(f for f in findings if f.value == "enterprise")
    assert pro.difference.significant and not pro.below


def test_segments_below_mean_flags_a_low_csat_segment() -> None:
    rng = np.random.default_rng(7)
    happy = list(rng.choice([4, 5], size=80, p=[0.4, 0.6]))
    unhappy = list(rng.choice([2, 3, 4], size=60, p=[0.3, 0.4, 0.3]))
    groups = {
        ("channel", "chat"): happy[:40],
        ("channel", "email"): happy[40:],
        ("channel", "phone"): unhappy,
    }
    findings = segments_below_mean(groups, min_n=30)
    assert [(f.segment, f.value) for f in findings if f.below] == [("channel", "phone")]
    phone = findings[0]
    assert phone.difference == mean_difference(unhappy, happy)
    assert phone.score == mean_interval(unhappy)


# ---------------------------------------------------------------------------
# Non-response bias
# ---------------------------------------------------------------------------


def test_representativeness_reproduces_scipy_chisquare_documentation() -> None:
    """scipy.stats.chisquare documentation
    (https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.chisquare.html):
    observed [16, 18, 16, 14, 12, 12] against expected [16, 16, 16, 16, 16, 8]
    gives statistic 3.5, p = 0.62338762774958223 (5 degrees of freedom).
    The base may be given at any scale: here ten times the expected counts.
    """
    respondents = dict(zip("abcdef", [16, 18, 16, 14, 12, 12], strict=True))
    base = dict(zip("abcdef", [160, 160, 160, 160, 160, 80], strict=True))
    result = representativeness(respondents, base)
    assert result.statistic == pytest.approx(3.5, abs=1e-12)
    assert result.p_value == pytest.approx(0.62338762774958223, abs=1e-12)
    assert result.dof == 5
    assert result.expected["f"] == 8.0
    assert result.smallest_expected == 8.0
    assert result.representative


def test_representativeness_counts_silent_categories() -> None:
    """Nobody answered from the 'enterprise' part of the base: that is the bias."""
    result = representativeness({"smb": 90, "mid": 10}, {"smb": 50, "mid": 30, "enterprise": 20})
    assert result.expected == {"enterprise": 20.0, "mid": 30.0, "smb": 50.0}
    # (90-50)²/50 + (10-30)²/30 + (0-20)²/20 = 32 + 13.333 + 20
    assert result.statistic == pytest.approx(65.3333333333, abs=1e-9)
    assert not result.representative
    with pytest.raises(ValueError, match="the base does not have: partner"):
        representativeness({"smb": 1, "partner": 1}, {"smb": 1, "mid": 1})


def _klemens_sample() -> list[dict[str, str]]:
    # The survey table [[7, 9], [12, 7]] of Klemens' raking example: row x column.
    cells = {("1", "1"): 7, ("1", "2"): 9, ("2", "1"): 12, ("2", "2"): 7}
    return [{"row": r, "col": c} for (r, c), count in cells.items() for _ in range(count)]


def test_rake_reproduces_the_closed_form_of_a_two_by_two_table() -> None:
    """B. Klemens' raking example (Apophenia blog, 19 November 2012): the survey table
    [[7, 9], [12, 7]] raked to census margins rows (5, 15), columns (10, 10).

    For a 2x2 table IPF converges to the table with the target margins and the
    survey's cross-product ratio (Deming & Stephan 1940; Bishop, Fienberg &
    Holland 1975), so with x the (1, 1) cell: x(5 + x)/((5 - x)(10 - x)) = 49/108,
    i.e. 59x² + 1275x - 2450 = 0, x = (-1275 + √2203825)/118 = 1.775666.
    The fitted table is [[1.7757, 3.2243], [8.2243, 6.7757]] (total 20).
    Weights average 1, so a respondent of cell (1, 1) weighs x/20 · 35/7.
    """
    sample = _klemens_sample()
    weights = rake(sample, {"row": {"1": 5, "2": 15}, "col": {"1": 10, "2": 10}})
    x = (-1275 + math.sqrt(2203825)) / 118
    assert round(x, 6) == 1.775666
    fitted: dict[tuple[str, str], float] = {}
    for respondent, weight in zip(sample, weights, strict=True):
        cell = (respondent["row"], respondent["col"])
        fitted[cell] = fitted.get(cell, 0.0) + weight * 20 / 35
    assert fitted[("1", "1")] == pytest.approx(x, abs=1e-8)
    assert fitted[("1", "2")] == pytest.approx(5 - x, abs=1e-8)
    assert fitted[("2", "1")] == pytest.approx(10 - x, abs=1e-8)
    assert fitted[("2", "2")] == pytest.approx(5 + x, abs=1e-8)
    assert sum(weights) == pytest.approx(35)


def test_rake_explains_an_empty_margin_category() -> None:
    margins = {"row": {"1": 5, "2": 15}, "col": {"1": 10, "2": 10, "3": 5}}
    with pytest.raises(ValueError, match=r"no respondent has 'col' = '3'.*merge it"):
        rake(_klemens_sample(), margins)
    with pytest.raises(ValueError, match="which the margins of 'row' do not list"):
        rake(_klemens_sample(), {"row": {"1": 1}})


@st.composite
def _samples_and_margins(
    draw: st.DrawFn,
) -> tuple[list[dict[str, str]], dict[str, dict[str, float]]]:
    sizes = draw(st.lists(st.integers(2, 4), min_size=1, max_size=3))
    dimensions = [f"d{i}" for i in range(len(sizes))]
    # Every combination answered at least once, so any margins can be met.
    cells: list[tuple[str, ...]] = [()]
    for size in sizes:
        cells = [(*cell, str(v)) for cell in cells for v in range(size)]
    repeats = draw(st.lists(st.integers(1, 5), min_size=len(cells), max_size=len(cells)))
    sample = [
        dict(zip(dimensions, cell, strict=True))
        for cell, repeat in zip(cells, repeats, strict=True)
        for _ in range(repeat)
    ]
    margins = {
        dimension: {str(v): draw(st.floats(0.05, 1.0)) for v in range(size)}
        for dimension, size in zip(dimensions, sizes, strict=True)
    }
    return sample, margins


@property_test
@given(_samples_and_margins())
def test_raked_weights_reproduce_every_margin(
    case: tuple[list[dict[str, str]], dict[str, dict[str, float]]],
) -> None:
    sample, margins = case
    weights = rake(sample, margins, max_iter=2000, tol=1e-10)
    assert sum(weights) == pytest.approx(len(sample))
    for dimension, margin in margins.items():
        total = sum(margin.values())
        for category, size in margin.items():
            weighted = sum(
                w for r, w in zip(sample, weights, strict=True) if r[dimension] == category
            )
            assert weighted / len(sample) == pytest.approx(size / total, abs=1e-8)


def test_post_stratify_by_hand() -> None:
    """Weight = population share / sample share: a is 75% of the sample and 50% of
    the population (weight 0.5/0.75 = 0.6667), b is 25% and 50% (weight 2)."""
    weights = post_stratify(["a", "a", "a", "b"], {"a": 500, "b": 500})
    assert weights == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])
    # One dimension of raking is post-stratification.
    sample = [{"k": c} for c in ["a", "a", "a", "b"]]
    assert rake(sample, {"k": {"a": 500, "b": 500}}) == pytest.approx(weights)
    with pytest.raises(ValueError, match="no respondent in c"):
        post_stratify(["a", "b"], {"a": 1, "b": 1, "c": 1})


def test_kish_effective_n_and_design_effect_by_hand() -> None:
    """Kish (1965): n_eff = (Σw)²/Σw², deff = n/n_eff = 1 + CV²(w).
    w = (1, 1, 2, 4): Σw = 8, Σw² = 22, n_eff = 64/22 = 2.9091, deff = 4/2.9091 = 1.375;
    mean 2, population variance (1 + 1 + 0 + 4)/4 = 1.5, CV² = 1.5/4 = 0.375.
    """
    weights = [1, 1, 2, 4]
    assert round(effective_n(weights), 4) == 2.9091
    assert kish_design_effect(weights) == pytest.approx(1.375)
    assert effective_n([3, 3, 3]) == pytest.approx(3)
    with pytest.raises(ValueError, match="not negative"):
        effective_n([1, -1])


@property_test
@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=50))
def test_effective_n_lies_between_one_and_n(weights: list[float]) -> None:
    n_eff = effective_n(weights)
    assert 1 - 1e-9 <= n_eff <= len(weights) + 1e-9
    assert kish_design_effect(weights) == pytest.approx(len(weights) / n_eff)


def test_weighted_nps_with_equal_weights_is_the_plain_nps() -> None:
    scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 10]
    plain = nps_of(nps_counts(scores))
    weighted = weighted_nps(scores, [2.5] * len(scores))
    for field in ("value", "adjusted", "low", "high"):
        assert getattr(weighted, field) == pytest.approx(getattr(plain, field))
    assert weighted.n == plain.n == 10
    assert weighted.effective_n == pytest.approx(10)


def test_weighted_nps_uses_the_effective_n_by_hand() -> None:
    """Scores (10, 10, 0, 8), weights (1, 1, 2, 4): weighted shares P = 2/8, D = 2/8,
    NPS 0; n_eff = 2.9091, effective counts D = P = 0.7273, Pa = 1.4545;
    n_adj = 5.9091, p_P = p_D = 1.4773/5.9091 = 0.25, var = 0.5/5.9091 = 0.08462,
    half-width 1.96·0.2909 = 0.5701 → -57.01 to 57.01.
    """
    result = weighted_nps([10, 10, 0, 8], [1, 1, 2, 4])
    assert result.value == 0.0 and result.adjusted == pytest.approx(0.0)
    assert (round(result.low, 2), round(result.high, 2)) == (-57.01, 57.01)
    assert result.n == 4
    assert round(result.effective_n, 4) == 2.9091


# ---------------------------------------------------------------------------
# Drivers
# ---------------------------------------------------------------------------


def test_relative_weights_reproduce_iopsych() -> None:
    """R package iopsych, relWt() example (https://rdrr.io/cran/iopsych/man/relWt.html),
    Johnson (2000): predictors 1-4 and criterion 5 of the published correlation
    matrix give eps = 0.24066119, 0.05492664, 0.12143476, 0.28158189.
    """
    r = np.array(
        [
            [1.0, 0.2, 0.3, 0.4, -0.4],
            [0.2, 1.0, 0.5, 0.1, 0.1],
            [0.3, 0.5, 1.0, 0.2, -0.3],
            [0.4, 0.1, 0.2, 1.0, 0.4],
            [-0.4, 0.1, -0.3, 0.4, 1.0],
        ]
    )
    result = relative_weights_from_correlations(r[:4, :4], r[:4, 4])
    assert [round(w, 8) for w in result.raw] == [0.24066119, 0.05492664, 0.12143476, 0.28158189]
    # Raw weights sum to R² = r_xyᵀ R_xx⁻¹ r_xy; shares sum to 100.
    assert result.r_squared == pytest.approx(r[:4, 4] @ np.linalg.solve(r[:4, :4], r[:4, 4]))
    assert sum(result.share_of_r2) == pytest.approx(100)


def test_relative_weights_reproduce_the_johnsons_relative_weights_package() -> None:
    """npm package johnsons-relative-weights, README example
    (https://www.npmjs.com/package/johnsons-relative-weights): the first variable
    of the published 7x7 matrix on the other six gives R² = 0.6620304789821244 and
    raw weights 0.10774831782516386, 0.1164837573016094, 0.06551431494877613,
    0.12116711335808825, 0.08006198853448922, 0.1710549870139989 (rescaled
    16.275431607141037, 17.594923647730514, 9.895966579892931, 18.302346675093172,
    12.093399182706055, 25.837932307436496). Compared to 10 decimals: the
    eigen-solvers differ in the last bits.
    """
    m = np.array(
        [
            [1.00, 0.66, 0.67, 0.54, 0.68, 0.62, 0.72],
            [0.66, 1.00, 0.58, 0.59, 0.68, 0.68, 0.56],
            [0.67, 0.58, 1.00, 0.52, 0.60, 0.62, 0.68],
            [0.54, 0.59, 0.52, 1.00, 0.52, 0.61, 0.45],
            [0.68, 0.68, 0.60, 0.52, 1.00, 0.63, 0.62],
            [0.62, 0.68, 0.62, 0.61, 0.63, 1.00, 0.57],
            [0.72, 0.56, 0.68, 0.45, 0.62, 0.57, 1.00],
        ]
    )
    result = relative_weights_from_correlations(m[1:, 1:], m[1:, 0])
    assert round(result.r_squared, 10) == round(0.6620304789821244, 10)
    published = [
        0.10774831782516386,
        0.1164837573016094,
        0.06551431494877613,
        0.12116711335808825,
        0.08006198853448922,
        0.1710549870139989,
    ]
    assert [round(w, 10) for w in result.raw] == [round(w, 10) for w in published]
    rescaled = [
        16.275431607141037,
        17.594923647730514,
        9.895966579892931,
        18.302346675093172,
        12.093399182706055,
        25.837932307436496,
    ]
    assert [round(s, 8) for s in result.share_of_r2] == [round(s, 8) for s in rescaled]


def test_two_relative_weights_are_the_general_dominance_weights_by_hand() -> None:
    """Two drivers, r₁₂ = 0.5, r₁y = 0.6, r₂y = 0.3.
    Johnson: Λ = [[c, s], [s, c]], c = (√1.5 + √0.5)/2 = 0.965926, s = (√1.5 - √0.5)/2 = 0.258819,
    β* = Λ⁻¹ r_xy = ((0.6c - 0.3s), (0.3c - 0.6s))/√0.75 = (0.579556, 0.155291),
    ε₁ = c²β₁² + s²β₂² = 0.933013·0.335885 + 0.066987·0.024115 = 0.315,
    ε₂ = s²β₁² + c²β₂² = 0.022500 + 0.022500 = 0.045.
    Budescu's (1993) general dominance: R² = (0.36 + 0.09 - 2·0.5·0.18)/0.75 = 0.36,
    GD₁ = (0.36 + (0.36 - 0.09))/2 = 0.315, GD₂ = (0.09 + (0.36 - 0.36))/2 = 0.045.
    """
    result = relative_weights_from_correlations(
        np.array([[1, 0.5], [0.5, 1]]), np.array([0.6, 0.3])
    )
    assert result.raw == pytest.approx((0.315, 0.045), abs=1e-12)
    assert result.r_squared == pytest.approx(0.36, abs=1e-12)
    assert result.share_of_r2 == pytest.approx((87.5, 12.5), abs=1e-10)


def test_relative_weights_of_uncorrelated_drivers_are_squared_correlations() -> None:
    """Orthogonal drivers: Λ = I, so each weight is r_jy² exactly."""
    # Centred, mutually orthogonal columns (a 2³ factorial design, repeated).
    levels = np.array([[a, b, a * b] for a in (-1, 1) for b in (-1, 1)] * 5, dtype=float)
    y = levels @ np.array([0.7, 0.3, 0.1]) + np.tile([0.2, -0.1, 0.05, -0.15], 5)
    result = relative_weights(levels, y)
    squared = [np.corrcoef(levels[:, j], y)[0, 1] ** 2 for j in range(3)]
    assert result.raw == pytest.approx(squared, abs=1e-12)


@property_test
@given(st.integers(0, 10_000), st.integers(1, 5))
def test_relative_weights_sum_to_the_least_squares_r_squared(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, k)) @ rng.normal(size=(k, k))  # correlated drivers
    y = x @ rng.normal(size=k) + rng.normal(size=40)
    design = np.column_stack([np.ones(40), x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    r_squared = 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))
    result = relative_weights(x, y)
    assert sum(result.raw) == pytest.approx(r_squared, abs=1e-9)
    assert result.r_squared == pytest.approx(r_squared, abs=1e-9)
    assert all(w >= -1e-12 for w in result.raw)


def test_relative_weights_explain_unusable_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))
    y = rng.normal(size=20)
    constant = x.copy()
    constant[:, 1] = 4.0
    with pytest.raises(ValueError, match="driver 'price' has the same value for every respondent"):
        relative_weights(constant, y, names=["speed", "price", "tone"])
    with pytest.raises(ValueError, match="4 respondents cannot separate 3 drivers"):
        relative_weights(x[:4], y[:4])
    collinear = np.column_stack([x[:, 0], x[:, 1], x[:, 0] + x[:, 1]])
    with pytest.raises(ValueError, match="perfectly collinear"):
        relative_weights(collinear, y)
    with pytest.raises(ValueError, match="outcome has the same value"):
        relative_weights(x, np.ones(20))


def test_relative_weights_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 3))
    x[:, 1] += 0.5 * x[:, 0]
    y = 0.8 * x[:, 0] + 0.3 * x[:, 1] + rng.normal(size=300)
    names = ["wait time", "resolution", "tone"]
    drivers = relative_weights_bootstrap(x, y, names=names, samples=300, seed=11)
    assert drivers == relative_weights_bootstrap(x, y, names=names, samples=300, seed=11)
    point = relative_weights(x, y)
    assert [d.name for d in drivers] == ["wait time", "resolution", "tone"]
    for driver in drivers:
        j = names.index(driver.name)
        assert driver.weight == point.raw[j]
        assert driver.share_of_r2 == point.share_of_r2[j]
        assert driver.low <= driver.weight <= driver.high
    # "tone" explains nothing: its interval starts at (almost) nothing.
    assert drivers[-1].low < 0.01
    with pytest.raises(ValueError, match="3 driver columns but 2 names"):
        relative_weights_bootstrap(x, y, names=names[:2])
