"""Where each mark of the voice-of-the-customer charts goes, in SVG user units.

The console draws its charts as inline SVG on the server: no script, no chart
library, and the Content Security Policy allows no inline style, so every
position is an attribute computed here. Plain functions, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

NPS_RANGE = (-100.0, 100.0)


def _finite(value: float | None) -> bool:
    return value is not None and not math.isnan(value) and not math.isinf(value)


def nps_class(score: int) -> str:
    if score <= 6:
        return "detractor"
    if score <= 8:
        return "passive"
    return "promoter"


# Distribution ------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    score: int
    count: int
    share: float  # % of the answers shown
    x: float
    y: float
    width: float
    height: float
    css: str
    label_x: float  # the centre of the bar, for the score under it and the count over it
    count_y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    tick_y: float
    bars: list[Bar]


def distribution_chart(
    distribution: Sequence[tuple[int, int]],
    *,
    nps: bool,
    width: int = 480,
    height: int = 190,
) -> BarChart:
    """One bar per score of the scale, every score drawn, an empty one too."""
    top, bottom = 22.0, 26.0
    plot = height - top - bottom
    total = sum(count for _, count in distribution)
    largest = max((count for _, count in distribution), default=0)
    slot = width / max(1, len(distribution))
    bars = []
    for i, (score, count) in enumerate(distribution):
        bar_height = plot * count / largest if largest else 0.0
        bars.append(
            Bar(
                score=score,
                count=count,
                share=100 * count / total if total else 0.0,
                x=round(i * slot + slot * 0.15, 2),
                y=round(top + plot - bar_height, 2),
                width=round(slot * 0.7, 2),
                height=round(bar_height, 2),
                css=nps_class(score) if nps else "score",
                label_x=round(i * slot + slot / 2, 2),
                count_y=round(top + plot - bar_height - 6, 2),
            )
        )
    return BarChart(width, height, top + plot, height - 8, bars)


@dataclass(frozen=True)
class NpsGroup:
    css: str
    label: str
    count: int
    share: float


def nps_groups(distribution: Sequence[tuple[int, int]]) -> list[NpsGroup]:
    """Detractors, passives and promoters, each with its count and share in %."""
    total = sum(count for _, count in distribution)
    groups = []
    for css, label in (
        ("detractor", "Detractors (0-6)"),
        ("passive", "Passives (7-8)"),
        ("promoter", "Promoters (9-10)"),
    ):
        count = sum(c for score, c in distribution if nps_class(score) == css)
        groups.append(NpsGroup(css, label, count, 100 * count / total if total else 0.0))
    return groups


# Trend -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    label: str
    x: float
    y: float | None  # None: no figure for the period
    low_y: float | None  # None: no interval (one answer)
    high_y: float | None
    significant: bool | None  # the change from the period before; None for the first

    @property
    def band_x(self) -> float:
        return round(self.x - BAND_WIDTH / 2, 2)

    @property
    def band_height(self) -> float:
        return round((self.low_y or 0.0) - (self.high_y or 0.0), 2)


BAND_WIDTH = 16.0


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: float
    right: float
    label_y: float
    points: list[TrendPoint]
    ticks: list[Tick]

    @property
    def tick_x(self) -> float:
        return self.left - 6


@dataclass(frozen=True)
class PeriodFigure:
    label: str
    value: float
    low: float
    high: float
    significant: bool | None


def trend_chart(
    periods: Sequence[PeriodFigure],
    *,
    scale: tuple[float, float],
    width: int = 1000,
    height: int = 240,
) -> TrendChart:
    """Each period a point with its interval as a band; never a line between
    them, which would draw a movement the test may not support."""
    top, bottom, left, right = 12.0, 30.0, 44.0, 12.0
    plot = height - top - bottom
    low, high = scale

    def y_of(value: float) -> float:
        clamped = min(high, max(low, value))
        return round(top + plot * (high - clamped) / (high - low), 2)

    slot = (width - left - right) / max(1, len(periods))
    points = []
    for i, period in enumerate(periods):
        has_band = _finite(period.low) and _finite(period.high)
        points.append(
            TrendPoint(
                label=period.label,
                x=round(left + i * slot + slot / 2, 2),
                y=y_of(period.value) if _finite(period.value) else None,
                low_y=y_of(period.low) if has_band else None,
                high_y=y_of(period.high) if has_band else None,
                significant=period.significant,
            )
        )
    step = 50.0 if (high - low) > 20 else 1.0
    ticks = []
    value = low
    while value <= high + 1e-9:
        ticks.append(Tick(y_of(value), f"{value:+.0f}" if low < 0 else f"{value:.0f}"))
        value += step
    return TrendChart(width, height, left, width - right, height - 10, points, ticks)


# Drivers -----------------------------------------------------------------------


@dataclass(frozen=True)
class DriverBar:
    name: str
    share: float  # % of R²
    weight: float
    low: float
    high: float
    y: float
    bar_width: float
    whisker_low: float | None
    whisker_high: float | None
    bar_height: float

    @property
    def middle(self) -> float:
        return round(self.y + self.bar_height / 2, 2)

    @property
    def whisker_top(self) -> float:
        return round(self.middle - 5, 2)

    @property
    def whisker_bottom(self) -> float:
        return round(self.middle + 5, 2)


@dataclass(frozen=True)
class DriverChart:
    width: int
    height: int
    left: float  # where the bars start; the names are written before it
    row: float
    bars: list[DriverBar]

    @property
    def name_x(self) -> float:
        return self.left - 8


@dataclass(frozen=True)
class DriverFigure:
    name: str
    weight: float
    share_of_r2: float
    low: float
    high: float


def driver_chart(
    drivers: Sequence[DriverFigure], *, width: int = 1000, row: float = 26.0
) -> DriverChart:
    """Bars of each driver's part of R² (so their lengths go as its share),
    whiskers from its bootstrap interval on the same scale."""
    left, right = 240.0, 16.0
    plot = width - left - right
    largest = max(
        [d.weight for d in drivers if _finite(d.weight)]
        + [d.high for d in drivers if _finite(d.high)],
        default=0.0,
    )
    bars = []
    for i, driver in enumerate(drivers):

        def x_of(value: float) -> float:
            return round(left + plot * max(0.0, value) / largest, 2) if largest > 0 else left

        whiskers = _finite(driver.low) and _finite(driver.high)
        bars.append(
            DriverBar(
                name=driver.name,
                share=driver.share_of_r2,
                weight=driver.weight,
                low=driver.low,
                high=driver.high,
                y=round(i * row + 4, 2),
                bar_width=round(x_of(driver.weight) - left, 2) if _finite(driver.weight) else 0.0,
                whisker_low=x_of(driver.low) if whiskers else None,
                whisker_high=x_of(driver.high) if whiskers else None,
                bar_height=row - 10,
            )
        )
    return DriverChart(width, int(len(drivers) * row + 8), left, row, bars)


# Funnel ------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelBar:
    label: str
    count: int
    y: float
    width: float
    count_x: float  # just after the end of the bar

    @property
    def text_y(self) -> float:
        return self.y + 13


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    left: float
    bars: list[FunnelBar]

    @property
    def label_x(self) -> float:
        return self.left - 8


def funnel_chart(
    invited: int, displayed: int, responded: int, *, width: int = 460, row: float = 26.0
) -> FunnelChart:
    """Invited, displayed, responded, to the scale of the invitations."""
    left, right = 96.0, 70.0
    plot = width - left - right
    steps = (("Invited", invited), ("Displayed", displayed), ("Responded", responded))
    bars = []
    for i, (label, count) in enumerate(steps):
        length = round(plot * count / invited, 2) if invited else 0.0
        bars.append(FunnelBar(label, count, i * row + 2, length, round(left + length + 6, 2)))
    return FunnelChart(width, int(len(steps) * row + 4), left, bars)
