"""What other parts of CXM do with an interaction once it is enriched and routed.

The data flows one way: ingest, identity, storage, enrichment, then the
reactions. Cases route first (``cxm.cases.services.interactions_route``); in
the same transaction, and in the same oldest-first order, every registered
reaction is then given the ids of the interactions just routed: promises look
for the evidence that a promise was kept and for commitments in what agents
wrote, journeys for milestones and stage changes. Since routing marks each
interaction once (``routed_at``), each reaction sees each interaction once,
whether it came at ingest, from the worker, or from the demo's history.

Apps register in their ``AppConfig.ready``; this module knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

Reaction = Callable[[Sequence[int], datetime], object]


@dataclass(frozen=True)
class Registered:
    name: str
    order: int
    react: Reaction


_reactions: dict[str, Registered] = {}


def reaction(name: str, *, order: int = 100) -> Callable[[Reaction], Reaction]:
    """Register ``react(interaction_ids, now)``; lower ``order`` runs first."""

    def register(react: Reaction) -> Reaction:
        _reactions[name] = Registered(name, order, react)
        return react

    return register


def registered() -> list[Registered]:
    return sorted(_reactions.values(), key=lambda r: (r.order, r.name))


def react(ids: Sequence[int], *, now: datetime) -> None:
    """Give the routed interactions to every reaction, in order."""
    if not ids:
        return
    for item in registered():
        item.react(ids, now)
