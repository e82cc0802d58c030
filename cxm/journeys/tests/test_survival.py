"""Time to value, counting those still waiting, against a published worked example."""

from __future__ import annotations

import pytest

from cxm.journeys import survival

# Freireich et al. (1963), the 6-MP group of the leukaemia remission trial, weeks in
# remission; as worked in Kleinbaum and Klein, Survival Analysis (3rd ed.), ch. 2:
# S(6) = .857, S(7) = .807, S(10) = .753, S(13) = .690, S(16) = .627, S(22) = .538,
# S(23) = .448; the median survival is 23 weeks. Nine relapses; twelve censored.
RELAPSED = [6, 6, 6, 7, 10, 13, 16, 22, 23]
CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]


def test_the_kaplan_meier_median_of_the_6mp_group() -> None:
    result = survival.time_to_value(RELAPSED, CENSORED, checkpoints=(6, 7, 10, 13, 16, 22, 23))

    assert (result.n, result.reached) == (21, 9)
    assert result.median == 23.0
    assert {
        day: None if share is None else round(share, 3)
        for day, share in result.waiting_after.items()
    } == {
        6: 0.857,
        7: 0.807,
        10: 0.753,
        13: 0.690,
        16: 0.627,
        22: 0.538,
        23: 0.448,
    }
    # The band's upper curve never falls to one half: the median's upper bound is
    # not known from these data; the lower curve reaches it at 13 weeks.
    assert result.low == 13.0 and result.high is None


def test_the_plain_median_of_those_done_would_flatter() -> None:
    # Five reached value in 10 days; five have waited 40 days and counting.
    result = survival.time_to_value([10] * 5, [40] * 5)

    assert result.median == 10.0
    assert result.waiting_after[30] == 0.5
    slower = survival.time_to_value([10] * 4, [40] * 6)
    assert slower.median is None  # fewer than half have reached it: no median yet


def test_nobody_reached_value_and_bad_input() -> None:
    nobody = survival.time_to_value([], [5, 9])

    assert (nobody.n, nobody.reached, nobody.median) == (2, 0, None)
    # Nobody followed for 30 days: no share to give.
    assert nobody.waiting_after == {30: None, 60: None, 90: None}
    six = survival.time_to_value([], [40] * 6)
    assert six.waiting_after == {30: 1.0, 60: None, 90: None}
    with pytest.raises(ValueError, match="finite numbers ≥ 0"):
        survival.time_to_value([-1], [])


def test_no_share_where_the_curve_drops_on_the_last_few() -> None:
    # Four reached value at 10 days; three waiting after 5, 6 and 7 days; one more
    # reached it at 80. Past day 7 one customer is followed, and the curve falls to
    # 0% when they reach value: nothing to say at 90 days.
    result = survival.time_to_value([10, 10, 10, 10, 80], [5, 6, 7])

    assert result.waiting_after[90] is None
    assert result.median == 10.0
    # Where many are followed, or the interval is defined, the share is given.
    many = survival.time_to_value([10] * 5, [40] * 5)
    assert many.waiting_after[30] == 0.5
