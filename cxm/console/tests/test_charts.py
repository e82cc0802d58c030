"""Where the marks of the voice-of-the-customer charts go."""

from __future__ import annotations

import math

import pytest

from cxm.console import charts


def test_every_score_gets_a_bar_the_largest_fills_the_plot_and_an_empty_one_is_flat() -> None:
    chart = charts.distribution_chart([(0, 0), (5, 2), (9, 4), (10, 1)], nps=True, width=400)

    assert [b.css for b in chart.bars] == ["detractor", "detractor", "promoter", "promoter"]
    assert [b.height for b in chart.bars] == [0.0, 71.0, 142.0, 35.5]
    assert [b.y + b.height for b in chart.bars] == [chart.baseline] * 4
    assert [b.share for b in chart.bars] == pytest.approx([0.0, 200 / 7, 400 / 7, 100 / 7])
    assert [b.x for b in chart.bars] == [15.0, 115.0, 215.0, 315.0]


def test_a_survey_without_answers_draws_flat_bars() -> None:
    chart = charts.distribution_chart([(1, 0), (2, 0)], nps=False)

    assert [(b.height, b.share, b.css) for b in chart.bars] == [(0.0, 0.0, "score")] * 2


def test_nps_groups_count_detractors_passives_and_promoters() -> None:
    groups = charts.nps_groups([(3, 2), (6, 1), (7, 1), (9, 4), (10, 0)])

    assert [(g.css, g.count, g.share) for g in groups] == [
        ("detractor", 3, 37.5),
        ("passive", 1, 12.5),
        ("promoter", 4, 50.0),
    ]


def test_trend_points_sit_in_their_bands_and_a_period_without_interval_has_none() -> None:
    periods = [
        charts.PeriodFigure("Aug", 0.0, -30.0, 30.0, None),
        charts.PeriodFigure("Sep", 100.0, math.nan, math.nan, False),
        charts.PeriodFigure("Oct", math.nan, math.nan, math.nan, True),
    ]

    chart = charts.trend_chart(periods, scale=charts.NPS_RANGE, width=344, height=242)

    aug, sep, oct_ = chart.points
    # 44 units of axis labels on the left, 12 of margin on the right, 96 per period.
    assert (aug.x, sep.x, oct_.x) == (92.0, 188.0, 284.0)
    assert (aug.y, aug.high_y, aug.low_y) == (112.0, 82.0, 142.0)
    assert aug.band_height == 60.0
    assert (sep.y, sep.low_y, sep.high_y) == (12.0, None, None)
    assert oct_.y is None
    assert [t.label for t in chart.ticks] == ["-100", "-50", "+0", "+50", "+100"]


def test_a_mean_trend_has_a_tick_per_point_of_the_scale() -> None:
    chart = charts.trend_chart([], scale=(1, 5))

    assert [t.label for t in chart.ticks] == ["1", "2", "3", "4", "5"]


def test_driver_bars_and_whiskers_share_one_scale() -> None:
    drivers = [
        charts.DriverFigure("kind: business", 0.4, 80.0, 0.3, 0.5),
        charts.DriverFigure("topic: billing", 0.1, 20.0, 0.05, 0.2),
    ]

    chart = charts.driver_chart(drivers, width=756)

    business, billing = chart.bars
    assert chart.left == 240.0
    assert business.whisker_high == 240.0 + 500.0  # the largest upper bound fills the plot
    assert business.bar_width == 400.0
    assert (billing.bar_width, billing.whisker_low, billing.whisker_high) == (100.0, 290.0, 440.0)


def test_the_funnel_is_drawn_to_the_scale_of_the_invitations() -> None:
    chart = charts.funnel_chart(200, 150, 50, width=466)

    assert [(b.label, b.count, b.width) for b in chart.bars] == [
        ("Invited", 200, 300.0),
        ("Displayed", 150, 225.0),
        ("Responded", 50, 75.0),
    ]
    assert [b.width for b in charts.funnel_chart(0, 0, 0).bars] == [0.0, 0.0, 0.0]
