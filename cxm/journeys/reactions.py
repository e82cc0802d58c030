"""Journeys watch every routed interaction (``cxm.interactions.reactions``), after
promises, so that a stage rule sees the same interaction a promise did."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cxm.interactions import reactions
from cxm.journeys import services


@reactions.reaction("journeys", order=60)
def _observe(ids: Sequence[int], now: datetime) -> object:
    return services.interactions_observe(ids, now)
