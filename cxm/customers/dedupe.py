"""Batch identity resolution: the match model over the whole customer base.

Trains the Fellegi-Sunter model (cxm.customers.matching) on the deployment's
own customers without labels, scores the pairs that blocking proposes, merges
automatically above ``auto_threshold`` (every merge can be undone), proposes
for review between the two thresholds, and leaves the rest. A pair that a
person rejected, or un-merged, is never proposed or merged again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings

from cxm.customers import matching, selectors, services
from cxm.customers.enums import MatchMethod, MergeProposalStatus
from cxm.customers.models import Customer, MergeProposal

# Pseudo-matches behind the customary m of each comparison: enough that a base
# with a handful of duplicates keeps sane weights, few against thousands.
PRIOR_STRENGTH = 100.0


def comparisons() -> list[matching.Comparison]:
    return [
        matching.name_comparison("first name", "first_name"),
        matching.name_comparison("surname", "surname"),
        matching.date_comparison("date of birth", "dob"),
        matching.exact_comparison("postcode", "postcode"),
        matching.exact_comparison("city", "city"),
        matching.name_comparison("company", "company", term_frequency=False),
        matching.name_comparison("email local part", "email_local", term_frequency=False),
        matching.exact_comparison("phone digits", "phone", term_frequency=False),
    ]


def blocking_keys() -> list[matching.BlockingKey]:
    key, both = matching.column_key, matching.compound_key
    return [
        both(key("surname"), key("first_name", 1)),
        key("dob"),
        both(key("postcode"), key("surname", 1)),
        key("email_local"),
        key("phone"),
        both(key("first_name"), key("city")),
    ]


def prior_rules() -> list[matching.BlockingKey]:
    """Combinations that almost only true duplicates share, for estimating λ."""
    key, both = matching.column_key, matching.compound_key
    return [
        both(key("first_name"), key("surname"), key("dob")),
        both(key("surname"), key("dob"), key("postcode")),
        both(key("email_local"), key("surname")),
    ]


@dataclass
class DedupeReport:
    customers: int = 0
    pairs_scored: int = 0
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
    auto = settings.CXM_MATCH_AUTO_MERGE if auto_threshold is None else auto_threshold
    review = settings.CXM_MATCH_REVIEW if review_threshold is None else review_threshold
    ids, records = selectors.customer_match_records()
    report = DedupeReport(customers=len(ids))
    if len(records) < 2:
        return report
    model, pairs = matching.train(
        comparisons(),
        records,
        blocking_keys(),
        prior_strength=PRIOR_STRENGTH,
        prior_rules=prior_rules(),
    )
    decided = {
        (low, high): status
        for low, high, status in MergeProposal.objects.values_list(
            "customer_low_id", "customer_high_id", "status"
        )
    }
    scored = []
    for i, j in pairs:
        score = model.score(records[i], records[j])
        scored.append((score.probability, ids[i], ids[j], score))
        if progress is not None:
            progress(1)
    report.pairs_scored = len(scored)
    scored.sort(key=lambda item: -item[0])
    for probability, a, b, score in scored:
        if probability < review:
            break
        low, high = sorted((a, b))
        status = decided.get((low, high))
        if status == MergeProposalStatus.REJECTED:
            report.kept_apart += 1
            continue
        if probability >= auto:
            if (not dry_run and _auto_merge(low, high, score)) or dry_run:
                report.merged.append((low, high, probability))
        elif status is None:
            if not dry_run:
                _propose(low, high, score)
            report.proposed.append((low, high, probability))
            decided[(low, high)] = MergeProposalStatus.PENDING
    return report


def _evidence(score: matching.Score) -> list[dict[str, object]]:
    return [
        {"comparison": c.comparison, "level": c.level, "weight": round(c.weight, 2)}
        for c in score.contributions
    ]


def _summary(score: matching.Score) -> str:
    agreeing = [c.comparison for c in score.contributions if c.weight > 0]
    return f"Match probability {score.probability:.3f}" + (
        f": {', '.join(agreeing)} agree" if agreeing else ""
    )


def _auto_merge(low: int, high: int, score: matching.Score) -> bool:
    first = services.customer_root(Customer.objects.get(pk=low))
    second = services.customer_root(Customer.objects.get(pk=high))
    if first.pk == second.pk:
        return False
    survivor, merged = (first, second) if first.pk < second.pk else (second, first)
    # A proposal already pending for the pair is settled by the merge.
    proposal = MergeProposal.objects.filter(
        customer_low_id=low, customer_high_id=high, status=MergeProposalStatus.PENDING
    ).first()
    services.customer_merge(
        survivor=survivor,
        merged=merged,
        actor=None,
        reason=f"Automatic merge. {_summary(score)}.",
        proposal=proposal,
    )
    return True


def _propose(low: int, high: int, score: matching.Score) -> None:
    MergeProposal.objects.create(
        customer_low_id=low,
        customer_high_id=high,
        method=MatchMethod.PROBABILISTIC,
        score=score.probability,
        evidence=_evidence(score),
        reason=f"{_summary(score)}; a person should decide.",
    )
