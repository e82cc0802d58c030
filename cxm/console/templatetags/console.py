"""Template filters of the console."""

from __future__ import annotations

import json
import math
from typing import Any

from django import template

from cxm.cases.fairness import format_duration
from cxm.console import charts
from cxm.customers.enums import IdentityKind
from cxm.interactions.enums import Channel

register = template.Library()

MAX_ATTRIBUTES = 12
MAX_VALUE_CHARS = 120


@register.filter
def attribute_pairs(attributes: Any) -> list[tuple[str, str]]:
    """An interaction's attributes as (key, short text) pairs, in key order.

    A filter rather than ``attributes.items`` in the template, where a
    customer attribute named "items" would win the lookup.
    """
    if not isinstance(attributes, dict):
        return []
    pairs = []
    for key in sorted(attributes, key=str)[:MAX_ATTRIBUTES]:
        value = attributes[key]
        if value is None or value == "":
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(text) > MAX_VALUE_CHARS:
            text = text[: MAX_VALUE_CHARS - 1] + "…"
        pairs.append((str(key), text))
    return pairs


BAR_STEPS = 20


@register.filter
def weight_bucket(weight: float, scale: float) -> int:
    """How much of its half a weight's bar fills, in steps of 1/20: the
    stylesheet has one width class per step, since the CSP allows no inline
    style. ``scale`` is the largest weight shown, which fills its half."""
    if not scale:
        return 0
    return min(BAR_STEPS, round(abs(weight) / scale * BAR_STEPS))


@register.filter
def signed(weight: float) -> str:
    """A weight with its sign, so that evidence for and against read apart;
    none for a weight of 0, which speaks neither way."""
    return "0.00" if round(weight, 2) == 0 else f"{weight:+.2f}"


@register.filter
def probability(value: float | None) -> str:
    """Three significant digits, which keeps a prior of 0.0001 from reading as 0.000."""
    if value is None:
        return "—"
    return f"{value:.3g}" if value < 0.001 else f"{value:.3f}"


@register.filter
def channel_label(value: str) -> str:
    return str(dict(Channel.choices).get(value, value))


@register.filter
def identity_kind_label(value: str) -> str:
    return str(dict(IdentityKind.choices).get(value, value))


@register.filter
def pair_with(first: Any, second: Any) -> tuple[Any, Any]:
    """``a|pair_with:b`` loops over both sides of a pair with one cell template."""
    return (first, second)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@register.filter
def fixed(value: Any, digits: int = 1) -> str:
    """``value`` to ``digits`` decimals; "—" for a figure from nothing (None, NaN)."""
    return f"{value:.{int(digits)}f}" if _finite(value) else "—"


@register.filter
def plus(value: Any, digits: int = 0) -> str:
    """With its sign, as NPS and differences read: +12, -3.5, 0."""
    if not _finite(value):
        return "—"
    text = f"{value:+.{int(digits)}f}"
    return text[1:] if float(text) == 0 else text


@register.filter
def pvalue(value: Any) -> str:
    """A p-value as a reader can compare it with 0.05; never a bare 0.000."""
    if not _finite(value):
        return "—"
    if value < 0.001:
        return "<0.001"
    return f"={value:.3f}" if value < 0.1 else f"={value:.2f}"


@register.filter
def percent(value: Any, digits: int = 0) -> str:
    """A share in 0..1 as a percentage."""
    return f"{100 * value:.{int(digits)}f}%" if _finite(value) else "—"


@register.filter
def is_number(value: Any) -> bool:
    return _finite(value)


def _is_nps(figure: Any) -> bool:
    return hasattr(figure, "adjusted")


@register.filter
def figure(value: Any) -> str:
    """The point figure: an NPS in whole points with its sign, a mean to two decimals."""
    if value is None:
        return "—"
    return plus(value.value, 0) if _is_nps(value) else fixed(value.value, 2)


@register.filter
def interval(value: Any) -> str:
    """What goes with every figure: its interval and its n."""
    if value is None or value.n == 0:
        return "no answers, n=0"
    if not (_finite(value.low) and _finite(value.high)):
        return f"too few answers for an interval, n={value.n}"
    if _is_nps(value):
        low, high = plus(value.low, 0), plus(value.high, 0)
    else:
        low, high = fixed(value.low, 2), fixed(value.high, 2)
    text = f"{round(100 * value.confidence)}% CI {low} to {high}, n={value.n}"
    effective = getattr(value, "effective_n", None)
    if _finite(effective) and abs(effective - value.n) >= 0.5:
        text += f", effective n={effective:.0f}"
    return text


@register.filter
def rate(value: Any) -> str:
    """A rate in % (as ``stats.funnel`` gives it) with its interval and denominator."""
    if value is None or value.n == 0:
        return "— (nothing to count from)"
    return (
        f"{value.value:.0f}% ({round(100 * value.confidence)}% CI "
        f"{fixed(value.low, 0)}% to {fixed(value.high, 0)}%, of {value.n})"
    )


@register.filter
def difference(value: Any, digits: int = 0) -> str:
    """A gap with its interval: +12 (95% CI 3 to 21)."""
    if value is None or not _finite(value.difference):
        return "—"
    text = plus(value.difference, digits)
    if _finite(value.low) and _finite(value.high):
        text += (
            f" ({round(100 * value.confidence)}% CI {plus(value.low, digits)} "
            f"to {plus(value.high, digits)})"
        )
    return text


@register.filter
def nps_class(score: int) -> str:
    return charts.nps_class(score)


@register.filter
def score_interval(value: Any) -> str:
    """An evaluation score (accuracy, F1) from its stored form: 0.81 (95% CI 0.74 to 0.86)."""
    if not isinstance(value, dict) or not _finite(value.get("value")):
        return "—"
    text = fixed(value["value"], 2)
    if _finite(value.get("low")) and _finite(value.get("high")):
        text += f" (95% CI {fixed(value['low'], 2)} to {fixed(value['high'], 2)})"
    return text


@register.filter
def duration(seconds: Any) -> str:
    """A time in seconds as a person reads it ("45 min", "2.1 h"); "—" for none."""
    if not _finite(seconds) or seconds < 0:
        return "—"
    return format_duration(float(seconds))


@register.filter
def time_left(seconds: Any) -> str:
    """Time left before a breach: "3.5 h left", or "breached 2.0 h ago" once past it."""
    if not _finite(seconds):
        return "no running target"
    if seconds < 0:
        return f"breached {format_duration(-float(seconds))} ago"
    return f"{format_duration(float(seconds))} left"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping[key]`` in a template; None when absent."""
    return mapping.get(key) if hasattr(mapping, "get") else None
