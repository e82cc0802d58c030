"""Reads on customers. Each takes the acting party and returns only what it may see.

A customer the actor may not see is "not found", exactly like one that does not
exist, so that guessing ids tells nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, prefetch_related_objects

from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, customer_visibility
from cxm.customers import matching, resolution
from cxm.customers.enums import IdentityKind, MatchMethod, MergeAction, MergeProposalStatus
from cxm.customers.identifiers import search_keys
from cxm.customers.models import Customer, Identity, MatchModel, MergeEvent, MergeProposal
from cxm.errors import NotFound, ValidationFailed

MAX_ID = 2**63 - 1


def _valid_id(value: int) -> bool:
    # An id past the 64-bit range would make PostgreSQL fail the query itself.
    return 0 < value <= MAX_ID


def _one_or_404(queryset: QuerySet[Any], pk: int, missing: str) -> Any:
    """The row ``pk`` of ``queryset``; NotFound (``missing``) when it is not
    there, the actor may not see it, or the id is out of range."""
    found = queryset.filter(pk=pk).first() if _valid_id(pk) else None
    if found is None:
        raise NotFound(missing)
    return found


def visible_customers(actor: Actor) -> QuerySet[Customer]:
    return Customer.objects.filter(customer_visibility(actor))


def customer_search(
    *, actor: Actor, query: str, limit: int = 50, with_identities: bool = False
) -> list[Customer]:
    """Customers matching any identifier exactly, or whose name contains the query.

    ``with_identities`` fetches every result's identities in one more query, so
    that a list can tell two people of the same name apart.
    """
    actor_require(actor, Permission.CUSTOMER_VIEW)
    found = _customer_search(actor=actor, query=query.strip(), limit=limit)
    if with_identities:
        prefetch_related_objects(
            found,
            Prefetch("identities", queryset=Identity.objects.order_by("kind", "value_normalized")),
        )
    return found


def _customer_search(*, actor: Actor, query: str, limit: int) -> list[Customer]:
    base = visible_customers(actor).filter(merged_into__isnull=True).select_related("account")
    if not query:
        return list(base.order_by("-updated_at", "-id")[:limit])
    keys = search_keys(query, default_region=settings.CXM_PHONE_REGION)
    condition = Q()
    for kind, value in keys:
        condition |= Q(kind=kind, value_normalized=value)
    ids: list[int] = []
    if keys:
        ids = list(Identity.objects.filter(condition).values_list("customer_id", flat=True)[:limit])
    by_identifier = list(base.filter(id__in=ids))
    remaining = limit - len(by_identifier)
    by_name: list[Customer] = []
    if remaining > 0 and len(query) >= 2:
        by_name = list(
            base.filter(Q(display_name__icontains=query) | Q(account__name__icontains=query))
            .exclude(id__in=ids)
            .order_by("display_name", "id")[:remaining]
        )
    return by_identifier + by_name


def customer_get(
    *, actor: Actor, customer_id: int, permission: Permission = Permission.CUSTOMER_VIEW
) -> Customer:
    actor_require(actor, permission)
    return _one_or_404(
        visible_customers(actor).select_related("account", "merged_into", "team"),
        customer_id,
        f"There is no customer {customer_id}",
    )


def customer_identities(*, customer: Customer) -> QuerySet[Identity]:
    return customer.identities.select_related("source").order_by("kind", "value_normalized")


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    count: int
    first_at: datetime | None = None
    last_at: datetime | None = None


def customer_channel_counts(*, customer: Customer) -> list[ChannelCount]:
    """How often, since when and until when the customer was in touch on each channel."""
    rows = (
        customer.interactions.values("channel")
        .annotate(n=Count("id"), first_at=Min("occurred_at"), last_at=Max("occurred_at"))
        .order_by("-n", "channel")
    )
    return [ChannelCount(r["channel"], r["n"], r["first_at"], r["last_at"]) for r in rows]


def merge_event_get(*, actor: Actor, event_id: int) -> MergeEvent:
    actor_require(actor, Permission.CUSTOMER_MERGE)
    return _one_or_404(
        MergeEvent.objects.select_related("survivor", "merged")
        .filter(customer_visibility(actor, prefix="survivor__"))
        .filter(customer_visibility(actor, prefix="merged__")),
        event_id,
        f"There is no merge {event_id}",
    )


def merge_proposal_list(
    *, actor: Actor, status: str = MergeProposalStatus.PENDING, limit: int = 100
) -> list[MergeProposal]:
    actor_require(actor, Permission.CUSTOMER_VIEW)
    return list(
        _visible_proposals(actor)
        .filter(status=status)
        .select_related("customer_low", "customer_high", "interaction", "decided_by")
        .order_by("-created_at", "-id")[:limit]
    )


def _visible_proposals(actor: Actor) -> QuerySet[MergeProposal]:
    # Both customers must be visible: a proposal shows each side's identifiers.
    return MergeProposal.objects.filter(customer_visibility(actor, prefix="customer_low__")).filter(
        customer_visibility(actor, prefix="customer_high__")
    )


def merge_proposal_count(*, actor: Actor, status: str = MergeProposalStatus.PENDING) -> int:
    return _visible_proposals(actor).filter(status=status).count()


def merge_proposal_get(*, actor: Actor, proposal_id: int) -> MergeProposal:
    actor_require(actor, Permission.CUSTOMER_MERGE)
    return _one_or_404(
        _visible_proposals(actor).select_related("customer_low", "customer_high"),
        proposal_id,
        f"There is no merge proposal {proposal_id}",
    )


def customer_group_ids(*, customer_id: int) -> list[int]:
    """One person's customer rows: the surviving profile first, then every
    customer merged into it (directly or through another merge)."""
    if not _valid_id(customer_id):
        raise NotFound(f"There is no customer {customer_id}")
    current = Customer.objects.filter(pk=customer_id).values_list("pk", "merged_into_id").first()
    if current is None:
        raise NotFound(f"There is no customer {customer_id}")
    seen = {current[0]}
    while current[1] is not None and current[1] not in seen:
        seen.add(current[1])
        found = Customer.objects.filter(pk=current[1]).values_list("pk", "merged_into_id").first()
        assert found is not None
        current = found
    root = current[0]
    group, frontier = [root], [root]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=group)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        group.extend(frontier)
    return group


def customers_absorbed(*, root_ids: Iterable[int]) -> dict[int, int]:
    """Every customer merged into one of ``root_ids`` (directly or through another
    merge), mapped to that root: what belongs to a person may still sit on a row
    merged into their profile. One query per level of merging."""
    owner = {pk: pk for pk in root_ids}
    frontier = list(owner)
    while frontier:
        rows = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=list(owner))
            .values_list("pk", "merged_into_id")
        )
        for pk, into in rows:
            owner[pk] = owner[into]
        frontier = [pk for pk, _ in rows]
    return {pk: root for pk, root in owner.items() if pk != root}


def customer_to_act_on(*, actor: Actor, customer_id: int | None) -> Customer:
    """The customer a promise, a sale or a stage is recorded for: one the actor may
    see (NotFound otherwise), followed to the profile it was merged into; Conflict
    when that profile's data was erased."""
    from cxm.errors import Conflict

    if customer_id is None or isinstance(customer_id, bool) or not _valid_id(customer_id):
        raise NotFound(f"there is no customer {customer_id}")
    customer = visible_customers(actor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(f"there is no customer {customer_id}")
    while customer.merged_into_id is not None:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    if customer.erased_at is not None:
        raise Conflict("this customer's data was erased", code="erased")
    return customer


def customer_by_identifiers(*, identifiers: Mapping[str, Any], default_region: str) -> int:
    """The customer that strong identifiers (``{"crm_id": "C-1042", "email": …}``)
    name, followed to the profile it was merged into. NotFound when none of them
    is known; ValidationFailed when they are malformed or name two people."""
    from cxm.customers import identifiers as identifier_rules

    if not isinstance(identifiers, Mapping) or not identifiers:
        raise ValidationFailed("give at least one identifier of the customer", code="no_customer")
    keys = []
    for kind, raw in identifiers.items():
        if kind not in IdentityKind.values:
            raise ValidationFailed(
                f"'{str(kind)[:40]}' is not an identifier; use one of "
                + ", ".join(IdentityKind.values),
                code="bad_identifier",
            )
        if not isinstance(raw, str) or not raw.strip() or len(raw) > 320 or "\x00" in raw:
            raise ValidationFailed(
                f"{kind} must be text of 1 to 320 characters", code="bad_identifier"
            )
        try:
            keys.append(
                (kind, identifier_rules.normalize(kind, raw, default_region=default_region))
            )
        except identifier_rules.InvalidIdentifier as error:
            raise ValidationFailed(f"{kind}: {error}", code="bad_identifier") from None
    condition = Q()
    for kind, value in keys:
        condition |= Q(kind=kind, value_normalized=value)
    found = set(Identity.objects.filter(condition).values_list("customer_id", flat=True))
    roots = set()
    for pk in found:
        roots.add(customer_group_ids(customer_id=pk)[0])
    if not roots:
        shown = ", ".join(f"{kind} {value}" for kind, value in keys)
        raise NotFound(f"no customer has {shown[:200]}", code="unknown_customer")
    if len(roots) > 1:
        raise ValidationFailed(
            "these identifiers belong to different customers "
            f"({', '.join(str(r) for r in sorted(roots))}); send one customer's",
            code="ambiguous_customer",
        )
    return roots.pop()


@dataclass(frozen=True)
class ProposalPage:
    items: list[MergeProposal]
    # Where the next page starts (the last item's created_at and id), or None.
    next_after: tuple[datetime, int] | None


def merge_proposal_page(
    *,
    actor: Actor,
    status: str = MergeProposalStatus.PENDING,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> ProposalPage:
    """One page of proposals in one status, newest first, both customers and
    the decider joined. ``after`` is the previous page's ``next_after``: a
    position, not an offset, so that deciding proposals of the page just read
    does not make the next page skip any."""
    actor_require(actor, Permission.CUSTOMER_VIEW)
    proposals = (
        _visible_proposals(actor)
        .filter(status=status)
        .select_related("customer_low__account", "customer_high__account", "decided_by")
    )
    if after is not None:
        when, ident = after
        proposals = proposals.filter(Q(created_at__lt=when) | Q(created_at=when, id__lt=ident))
    items = list(proposals.order_by("-created_at", "-id")[: limit + 1])
    next_after = (items[limit - 1].created_at, items[limit - 1].pk) if len(items) > limit else None
    return ProposalPage(items=items[:limit], next_after=next_after)


def merge_proposal_detail(*, actor: Actor, proposal_id: int) -> MergeProposal:
    """One proposal to read (``merge_proposal_get`` is for deciding it)."""
    actor_require(actor, Permission.CUSTOMER_VIEW)
    return _one_or_404(
        _visible_proposals(actor).select_related(
            "customer_low__account", "customer_high__account", "decided_by"
        ),
        proposal_id,
        f"There is no merge proposal {proposal_id}",
    )


@dataclass(frozen=True)
class CustomerLinks:
    customer: Customer  # the one asked about
    survivor_id: int  # the profile its group lives in
    group: list[int]  # every customer of the group, survivor first
    customers: list[Customer]  # the group as the actor may see it, survivor first
    events: list[MergeEvent]  # newest first, undone merges and un-merges included
    proposals: list[MergeProposal]  # newest first


def customer_links(*, actor: Actor, customer_id: int, limit: int = 200) -> CustomerLinks:
    """Why a customer's rows are one profile, or were kept apart: every merge
    and un-merge of its group and every proposal involving one of the group
    (the newest ``limit`` of each).

    Accepted proposals that led to a merge are left out of ``proposals``: the
    merge carries them. Events and proposals with a customer the actor may not
    see are left out altogether.
    """
    customer = customer_get(actor=actor, customer_id=customer_id)
    group, events, proposals = _group_links(actor=actor, customer=customer, limit=limit)
    by_id = visible_customers(actor).filter(pk__in=group).select_related("account").in_bulk()
    return CustomerLinks(
        customer=customer,
        survivor_id=group[0],
        group=group,
        customers=[by_id[pk] for pk in group if pk in by_id],
        events=events,
        proposals=proposals,
    )


def _group_links(
    *, actor: Actor, customer: Customer, limit: int
) -> tuple[list[int], list[MergeEvent], list[MergeProposal]]:
    group = customer_group_ids(customer_id=customer.pk)
    events = list(
        MergeEvent.objects.filter(Q(survivor_id__in=group) | Q(merged_id__in=group))
        .filter(customer_visibility(actor, prefix="survivor__"))
        .filter(customer_visibility(actor, prefix="merged__"))
        .select_related("survivor", "merged", "proposal")
        .order_by("-created_at", "-id")[:limit]
    )
    carried = {event.proposal_id for event in events if event.proposal_id is not None}
    proposals = list(
        _visible_proposals(actor)
        .filter(Q(customer_low_id__in=group) | Q(customer_high_id__in=group))
        .exclude(status=MergeProposalStatus.ACCEPTED, pk__in=carried)
        .select_related("customer_low__account", "customer_high__account", "decided_by")
        .order_by("-created_at", "-id")[:limit]
    )
    return group, events, proposals


# --------------------------------------------------------------------------
# Reviewing a merge proposal side by side (console)
# --------------------------------------------------------------------------

# What a comparison's level says about the pair.
AGREED, PARTLY_AGREED, DISAGREED, NO_DATA = "agreed", "partly", "disagreed", "no_data"
OUTCOME_LABELS = {
    AGREED: "Agreed",
    PARTLY_AGREED: "Partly agreed",
    DISAGREED: "Disagreed",
    NO_DATA: "No data",
}


@dataclass(frozen=True)
class ReviewIdentity:
    identity: Identity
    shared: bool  # one of the identifiers that tied the pair together


@dataclass(frozen=True)
class IdentityKindRow:
    """The identifiers of one kind on each side of a proposal."""

    kind: str
    label: str
    low: list[ReviewIdentity]
    high: list[ReviewIdentity]


@dataclass(frozen=True)
class ReviewSide:
    customer: Customer
    channels: list[ChannelCount]

    @property
    def interactions(self) -> int:
        return sum(c.count for c in self.channels)

    @property
    def first_at(self) -> datetime | None:
        return min((c.first_at for c in self.channels if c.first_at), default=None)

    @property
    def last_at(self) -> datetime | None:
        return max((c.last_at for c in self.channels if c.last_at), default=None)


@dataclass(frozen=True)
class ComparisonRow:
    comparison: str
    left: str | None  # customer_low's value; None when the proposal did not record it
    right: str | None  # customer_high's value
    level: str
    outcome: str
    weight: float  # log2 Bayes factor: positive speaks for the same person

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass(frozen=True)
class MatchSummary:
    """How the comparisons' weights add up to the match probability."""

    prior: float | None  # λ, the probability of a match before any comparison
    prior_weight: float | None  # log2 of λ's odds
    # "score": what the stored score implies; "model": the newest model's own
    # λ, when the score is too close to 0 or 1 to tell; "": unknown.
    prior_from: str
    comparisons_weight: float
    total_weight: float | None
    probability: float | None


@dataclass(frozen=True)
class ProposalReview:
    proposal: MergeProposal
    low: ReviewSide
    high: ReviewSide
    identity_kinds: list[IdentityKindRow]
    shared: list[dict[str, str]]  # identifier proposals: each identifier that tied them
    comparisons: list[ComparisonRow]  # probabilistic proposals: each comparison
    match: MatchSummary | None
    events: list[MergeEvent]  # the merge this proposal led to and its un-merge, oldest first


def merge_proposal_review(*, actor: Actor, proposal_id: int) -> ProposalReview:
    """A proposal with both customers side by side and what each comparison
    contributed to its score, for the person who decides it."""
    # Imported here rather than at the top of the module: other parts of the
    # code base edit that import block concurrently.

    proposal = merge_proposal_get(actor=actor, proposal_id=proposal_id)
    prefetch_related_objects([proposal], "interaction", "decided_by")
    low_id, high_id = proposal.customer_low_id, proposal.customer_high_id
    customers = Customer.objects.select_related("account", "team", "merged_into").in_bulk(
        [low_id, high_id]
    )

    shared: list[dict[str, str]] = []
    if proposal.method == MatchMethod.IDENTIFIER:
        shared = [
            {"kind": str(e.get("kind", "")), "value": str(e.get("value", ""))}
            for e in proposal.evidence
            if isinstance(e, dict)
        ]
    carried = {(e["kind"], e["value"]) for e in shared}
    by_kind: dict[str, dict[int, list[ReviewIdentity]]] = {}
    for identity in Identity.objects.filter(customer_id__in=[low_id, high_id]).select_related(
        "source"
    ):
        sides = by_kind.setdefault(identity.kind, {low_id: [], high_id: []})
        sides[identity.customer_id].append(
            ReviewIdentity(identity, (identity.kind, identity.value_normalized) in carried)
        )
    order = {kind: rank for rank, kind in enumerate(IdentityKind.values)}
    labels = dict(IdentityKind.choices)
    identity_kinds = [
        IdentityKindRow(
            kind,
            labels.get(kind, kind),
            sorted(sides[low_id], key=lambda i: i.identity.value_normalized),
            sorted(sides[high_id], key=lambda i: i.identity.value_normalized),
        )
        for kind, sides in sorted(by_kind.items(), key=lambda item: order.get(item[0], 99))
    ]

    comparisons: list[ComparisonRow] = []
    match = None
    if proposal.method == MatchMethod.PROBABILISTIC:
        comparisons = _comparison_rows(proposal.evidence)
        match = _match_summary(proposal.score, comparisons)
    low, high = customers[low_id], customers[high_id]
    return ProposalReview(
        proposal=proposal,
        low=ReviewSide(low, customer_channel_counts(customer=low)),
        high=ReviewSide(high, customer_channel_counts(customer=high)),
        identity_kinds=identity_kinds,
        shared=shared,
        comparisons=comparisons,
        match=match,
        events=list(
            proposal.events.select_related("survivor", "merged").order_by("created_at", "id")
        ),
    )


def _comparison_rows(evidence: object) -> list[ComparisonRow]:

    levels = {c.name: c.levels for c in resolution.comparisons()}
    rows = []
    for item in evidence if isinstance(evidence, list) else []:
        if not isinstance(item, dict):
            continue
        name, level = str(item.get("comparison", "")), str(item.get("level", ""))
        rows.append(
            ComparisonRow(
                comparison=name,
                left=None if "left" not in item else str(item["left"] or ""),
                right=None if "right" not in item else str(item["right"] or ""),
                level=level,
                outcome=_comparison_outcome(level, levels.get(name)),
                weight=float(item.get("weight") or 0.0),
            )
        )
    return rows


def _comparison_outcome(level: str, levels: tuple[str, ...] | None) -> str:
    """A comparison's first level is agreement, its last disagreement, any
    other a partial agreement (a typo, a similar spelling, the same year)."""
    if level == "no data":
        return NO_DATA
    if levels and level in levels:
        index = levels.index(level)
        if index == 0:
            return AGREED
        return DISAGREED if index == len(levels) - 1 else PARTLY_AGREED
    # A comparison this version of CXM no longer makes: go by the level's words.
    if level == "exact":
        return AGREED
    return DISAGREED if level == "different" else PARTLY_AGREED


def _match_summary(score: float | None, rows: list[ComparisonRow]) -> MatchSummary:
    """The prior is not stored with a proposal; the score and the weights
    imply it, since its log2 odds plus the weights are the score's log2 odds."""

    comparisons_weight = sum(row.weight for row in rows)
    if score is not None and 0.0 < score < 1.0:
        total = matching.weight_from_probability(score)
        prior_weight = total - comparisons_weight
        return MatchSummary(
            prior=matching.probability_from_weight(prior_weight),
            prior_weight=prior_weight,
            prior_from="score",
            comparisons_weight=comparisons_weight,
            total_weight=total,
            probability=score,
        )
    model = MatchModel.objects.order_by("-trained_at", "-id").only("prior").first()
    if model is None:
        return MatchSummary(None, None, "", comparisons_weight, None, score)
    prior_weight = matching.weight_from_probability(model.prior)
    return MatchSummary(
        prior=model.prior,
        prior_weight=prior_weight,
        prior_from="model",
        comparisons_weight=comparisons_weight,
        total_weight=prior_weight + comparisons_weight,
        probability=score,
    )


# --------------------------------------------------------------------------
# A customer's merge audit trail (console)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalEntry:
    proposal: MergeProposal
    other: Customer  # the pair's customer outside this profile (the second one if both are in)
    # The un-merge that closed this pair, when its merge was undone: it, not
    # the proposal's decided_by, says who kept them apart.
    unmerge: MergeEvent | None


@dataclass(frozen=True)
class CustomerMergeAudit:
    events: list[MergeEvent]  # merges and un-merges of the profile's customers, newest first
    pending: list[ProposalEntry]  # proposals waiting for a person, newest first
    # Rejected (kept apart, un-merged included) and accepted proposals whose
    # merge is not among ``events``, newest first.
    decided: list[ProposalEntry]


def customer_merge_audit(
    *, actor: Actor, customer: Customer, limit: int = 100
) -> CustomerMergeAudit:
    """Who merged what into this profile, when and why, what was undone, and
    every proposal involving one of its customers, as far as the actor may see
    both sides. ``customer`` is a live profile (not merged into another)."""

    actor_require(actor, Permission.CUSTOMER_VIEW)
    group, events, proposals = _group_links(actor=actor, customer=customer, limit=limit)
    members = set(group)
    # An un-merge names the proposal whose merge it undid; one of a merge made
    # by hand leaves a rejected proposal of the same pair behind.
    unmerges: dict[object, MergeEvent] = {}
    for event in events:
        if event.action == MergeAction.UNMERGE:
            if event.proposal_id is not None:
                unmerges.setdefault(event.proposal_id, event)
            unmerges.setdefault(frozenset((event.survivor_id, event.merged_id)), event)
    pending: list[ProposalEntry] = []
    decided: list[ProposalEntry] = []
    for proposal in proposals:
        low_in, high_in = proposal.customer_low_id in members, proposal.customer_high_id in members
        if low_in and not high_in:
            other = proposal.customer_high
        elif high_in and not low_in:
            other = proposal.customer_low
        else:
            other = (
                proposal.customer_high
                if proposal.customer_low_id == customer.pk
                else proposal.customer_low
            )
        unmerge = unmerges.get(proposal.pk) or unmerges.get(
            frozenset((proposal.customer_low_id, proposal.customer_high_id))
        )
        entry = ProposalEntry(proposal, other, unmerge)
        if proposal.status == MergeProposalStatus.PENDING:
            pending.append(entry)
        else:  # rejected, or accepted without a merge of its own (links leaves out the rest)
            decided.append(entry)
    return CustomerMergeAudit(events=events, pending=pending, decided=decided)
