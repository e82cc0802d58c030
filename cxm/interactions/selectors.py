"""Reads on interactions: the customer timeline with cursor pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from cxm.customers.models import Customer
from cxm.errors import ValidationFailed
from cxm.interactions.enums import Channel
from cxm.interactions.models import Interaction

MAX_PAGE = 200


def encode_cursor(item: Interaction) -> str:
    raw = f"{item.occurred_at.isoformat()}|{item.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError
        return parsed, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            "This cursor is not one CXM gave out; start again without it", code="bad_cursor"
        ) from None


@dataclass
class TimelinePage:
    items: list[Interaction]
    next_cursor: str | None


def customer_timeline(
    *,
    customer: Customer,
    channel: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> TimelinePage:
    """Every interaction of the customer on every channel, newest first."""
    if channel and channel not in Channel.values:
        raise ValidationFailed(
            f"unknown channel '{channel}'; expected one of " + ", ".join(Channel.values),
            code="bad_channel",
        )
    limit = max(1, min(limit, MAX_PAGE))
    # The identity says which of the customer's identifiers each interaction came
    # through; joined here so that a page costs one query whatever its length.
    queryset = Interaction.objects.filter(customer=customer).select_related("source", "identity")
    if channel:
        queryset = queryset.filter(channel=channel)
    if cursor:
        when, ident = decode_cursor(cursor)
        queryset = queryset.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, id__lt=ident))
    items = list(queryset.order_by("-occurred_at", "-id")[: limit + 1])
    next_cursor = encode_cursor(items[limit - 1]) if len(items) > limit else None
    return TimelinePage(items=items[:limit], next_cursor=next_cursor)
