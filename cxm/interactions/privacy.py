"""What the interactions app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence

from cxm.access import privacy
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
