"""Batch identity resolution: the match model over the whole customer base.

Trains the Fellegi-Sunter model (cxm.customers.resolution) on the deployment's
own customers without labels and stores it for the online path, scores the
pairs that blocking proposes, merges automatically above ``auto_threshold``
(every merge can be undone), proposes for review between the two thresholds,
and leaves the rest. A pair that a
person rejected, or un-merged, is never proposed or merged again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from cxm.customers import resolution


@dataclass
class DedupeReport:
    customers: int = 0
    pairs_scored: int = 0
    model_id: int | None = None
    merged: list[tuple[int, int, float]] = field(default_factory=list)
    proposed: list[tuple[int, int, float]] = field(default_factory=list)
    kept_apart: int = 0  # pairs a person had rejected


def customers_dedupe(
    *,
    auto_threshold: float | None = None,
    review_threshold: float | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> DedupeReport:
    """Rebuild every match record, train and store the model (which the online
    path then uses), score the candidate pairs and decide. A dry run stores no
    model and decides nothing."""
    auto = settings.CXM_MATCH_AUTO_MERGE if auto_threshold is None else auto_threshold
    review = settings.CXM_MATCH_REVIEW if review_threshold is None else review_threshold
    by_id = resolution.match_records_rebuild()
    ids, records = list(by_id), list(by_id.values())
    report = DedupeReport(customers=len(ids))
    if len(records) < 2:
        return report
    trained = resolution.model_train(ids, records, store=not dry_run)
    report.model_id = trained.row.pk if trained.row else None
    model = trained.model
    scored = []
    for i, j in trained.pairs:
        score = model.score(records[i], records[j])
        if score.probability >= review:
            scored.append(
                (ids[i], ids[j], score, resolution.evidence(model, records[i], records[j]))
            )
        if progress is not None:
            progress(1)
    report.pairs_scored = len(trained.pairs)
    decisions = resolution.pairs_decide(
        scored, decided=resolution.decided_pairs(), auto=auto, review=review, dry_run=dry_run
    )
    report.merged = decisions.merged
    report.proposed = decisions.proposed
    report.kept_apart = decisions.kept_apart
    return report
