"""Promises watch every routed interaction (``cxm.interactions.reactions``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cxm.interactions import reactions
from cxm.promises import services


@reactions.reaction("promises", order=50)
def _observe(ids: Sequence[int], now: datetime) -> object:
    return services.interactions_observe(ids, now)
