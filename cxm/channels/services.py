"""Writes of the channels app: the public channel charter, edited in the console."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from cxm.access import services as access_services
from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require
from cxm.cases import hours
from cxm.channels.models import CharterEntry
from cxm.errors import NotFound, ValidationFailed
from cxm.interactions.enums import Channel


@dataclass(frozen=True)
class CharterIn:
    name: str
    how_to_reach: str
    hours: Mapping[str, Any]
    handles: str
    target_first_response_minutes: int
    does_not_handle: str = ""
    position: int = 0
    published: bool = True


LIMITS = {"name": 100, "how_to_reach": 300, "handles": 2000, "does_not_handle": 2000}


@transaction.atomic
def charter_set(*, actor: Actor, channel: str, entry: CharterIn) -> CharterEntry:
    actor_require(actor, Permission.CHANNEL_MANAGE)
    if channel not in Channel.values:
        raise ValidationFailed(
            f"unknown channel '{channel}'; one of {', '.join(Channel.values)}", code="bad_channel"
        )
    for name, limit in LIMITS.items():
        value = getattr(entry, name)
        if "\x00" in value:
            raise ValidationFailed(f"{name} contains a NUL character", code="bad_text")
        if len(value) > limit:
            raise ValidationFailed(f"{name} is longer than {limit} characters", code="too_long")
    for name in ("name", "how_to_reach", "handles"):
        if not getattr(entry, name).strip():
            raise ValidationFailed(f"{name.replace('_', ' ')} is required", code="required")
    if not 1 <= entry.target_first_response_minutes <= 525_600:
        raise ValidationFailed(
            "the target first response must be between 1 minute and a year", code="bad_target"
        )
    if not 0 <= entry.position <= 1000:
        raise ValidationFailed("position must be between 0 and 1000", code="bad_position")
    try:
        calendar = hours.Calendar.from_dict(entry.hours)
    except hours.CalendarError as error:
        raise ValidationFailed(f"hours: {error}", code="bad_calendar") from None
    row, _ = CharterEntry.objects.update_or_create(
        channel=channel,
        defaults={
            "name": entry.name.strip(),
            "how_to_reach": entry.how_to_reach.strip(),
            "hours": calendar.to_dict(),
            "handles": entry.handles.strip(),
            "does_not_handle": entry.does_not_handle.strip(),
            "target_first_response_minutes": entry.target_first_response_minutes,
            "position": entry.position,
            "published": entry.published,
            "updated_by_label": access_services.actor_label(actor)[:200],
        },
    )
    return row


def charter_delete(*, actor: Actor, channel: str) -> None:
    actor_require(actor, Permission.CHANNEL_MANAGE)
    if channel not in Channel.values:
        raise NotFound(f"the charter has no entry for {channel[:20]!r}")
    deleted, _ = CharterEntry.objects.filter(channel=channel).delete()
    if not deleted:
        raise NotFound(f"the charter has no entry for '{channel}'")
