"""Template filters of the console."""

from __future__ import annotations

import json
from typing import Any

from django import template

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
