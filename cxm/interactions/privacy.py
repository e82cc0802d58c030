"""What the interactions app holds about a person, how it is exported and erased,
and how long its texts are kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cxm.access import privacy, retention
from cxm.interactions.models import Interaction


def _erase(ids: Sequence[int]) -> int:
    # Channel, direction, time, source and the sender's id stay: volumes and
    # response times still add up, and a replayed file finds the row already
    # there instead of bringing the erased texts back.
    return Interaction.objects.filter(customer_id__in=ids).update(
        subject="", body="", attributes={}, identity=None
    )


privacy.register(
    Interaction,
    export=lambda ids: privacy.rows(Interaction.objects.filter(customer_id__in=ids)),
    erase=_erase,
    erasure="subject, body and attributes blanked; channel, direction and time stay",
    order=700,
)


def _purge_texts(before: datetime) -> int:
    return (
        Interaction.objects.filter(occurred_at__lt=before)
        .exclude(subject="", body="", attributes={})
        .update(subject="", body="", attributes={})
    )


retention.register(
    name="interaction_texts",
    setting="CXM_RETAIN_INTERACTION_TEXT_DAYS",
    purge=_purge_texts,
    what="subjects, bodies and attributes of interactions (the dated rows stay)",
)
