"""Template filters of the console."""

from __future__ import annotations

import json
from typing import Any

from django import template

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
