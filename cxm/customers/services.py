"""Writes on customers: identity resolution at ingest, merge proposals, merge and un-merge."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import AuditAction
from cxm.access.selectors import Actor
from cxm.customers import resolution
from cxm.customers.enums import CustomerKind, MergeAction, MergeProposalStatus
from cxm.customers.identifiers import STRENGTH
from cxm.customers.models import Account, Customer, Identity, MergeEvent, MergeProposal
from cxm.db import rows_insert
from cxm.errors import Conflict, ValidationFailed

_STRENGTH_RANK = {kind.value: rank for rank, kind in enumerate(STRENGTH)}


def _person(actor: Any) -> User | None:
    """The console user behind ``actor``; None for CXM itself or an API token."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _actor_fields(actor: Any) -> dict[str, Any]:
    return {"actor": _person(actor), "actor_label": access_services.actor_label(actor)[:150]}


def _decided(proposal: MergeProposal, actor: Any, note: str) -> None:
    proposal.decided_at = timezone.now()
    proposal.decided_by = _person(actor)
    proposal.decided_by_label = access_services.actor_label(actor)[:150]
    proposal.decision_note = note


def account_key(name: str) -> str:
    return " ".join(name.casefold().split())


# --------------------------------------------------------------------------
# Identity resolution at ingest
# --------------------------------------------------------------------------


@dataclass(eq=False)
class PendingCustomer:
    """A customer that this batch creates; it gets its id when the batch is written."""

    display_name: str
    kind: str
    company: str
    details: dict[str, Any] = field(default_factory=dict)
    instance: Customer | None = None

    @property
    def id(self) -> int:
        assert self.instance is not None and self.instance.pk is not None
        return self.instance.pk


@dataclass(eq=False)
class PendingIdentity:
    kind: str
    raw: str
    normalized: str
    customer: PendingCustomer | int
    source_id: int
    first_seen: datetime
    last_seen: datetime
    pk: int | None = None  # set when the batch is written


@dataclass
class KnownIdentity:
    id: int
    customer_id: int
    first_seen: datetime
    last_seen: datetime
    changed: bool = False


CustomerRef = PendingCustomer | int
IdentityRef = PendingIdentity | KnownIdentity


@dataclass
class ResolutionLine:
    """What the ingest path tells the resolver about one interaction."""

    keys: Sequence[tuple[str, str, str]]  # (kind, raw, normalised)
    source_id: int
    occurred_at: datetime
    name: str = ""
    company: str = ""
    customer_kind: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # birth_date, address, postcode, city


@dataclass
class Resolved:
    customer: CustomerRef
    identity: IdentityRef | None
    conflicts: list[tuple[CustomerRef, list[dict[str, str]]]] = field(default_factory=list)

    @property
    def customer_id(self) -> int:
        return self.customer if isinstance(self.customer, int) else self.customer.id

    @property
    def identity_id(self) -> int | None:
        if self.identity is None:
            return None
        if isinstance(self.identity, KnownIdentity):
            return self.identity.id
        assert self.identity.pk is not None
        return self.identity.pk


class BatchResolver:
    """Resolves the identifiers of a batch of interactions to customers.

    Reads every identity the batch mentions in one query, resolves line by line
    in memory (so a customer created by line 3 is found by line 40), then writes
    new customers, identities and proposals in a few bulk statements.
    Call inside the transaction that stores the interactions.
    """

    def __init__(self) -> None:
        self.identities: dict[tuple[str, str], IdentityRef] = {}
        self.new_customers: list[PendingCustomer] = []
        self.new_identities: list[PendingIdentity] = []
        self.name_updates: dict[int, str] = {}
        self.kind_updates: dict[int, str] = {}
        self.company_updates: dict[int, str] = {}
        self.detail_updates: dict[int, dict[str, Any]] = {}
        self.proposals: dict[tuple[int, int], dict[str, Any]] = {}
        # Customers the last write created or may have changed (details,
        # name, company, a first email or phone): the online match path
        # scores them again if their match record changed.
        self.touched: set[int] = set()

    def load(self, keys: Iterable[tuple[str, str]]) -> None:
        by_kind: dict[str, set[str]] = {}
        for kind, value in keys:
            if (kind, value) not in self.identities:
                by_kind.setdefault(kind, set()).add(value)
        for kind, values in by_kind.items():
            rows = Identity.objects.filter(kind=kind, value_normalized__in=values).values_list(
                "id", "value_normalized", "customer_id", "first_seen", "last_seen"
            )
            for identity_id, value, customer_id, first_seen, last_seen in rows:
                self.identities[(kind, value)] = KnownIdentity(
                    identity_id, customer_id, first_seen, last_seen
                )

    def resolve(self, line: ResolutionLine) -> Resolved:
        matched: list[tuple[int, str, str, IdentityRef]] = []
        unknown: list[tuple[str, str, str]] = []
        for kind, raw, normalized in line.keys:
            ref = self.identities.get((kind, normalized))
            if ref is None:
                unknown.append((kind, raw, normalized))
            else:
                matched.append((_STRENGTH_RANK[kind], kind, normalized, ref))
        matched.sort(key=lambda m: m[0])

        conflicts: list[tuple[CustomerRef, list[dict[str, str]]]] = []
        if matched:
            chosen = _customer_of(matched[0][3])
            chosen_key = _ref_key(chosen)
            others: dict[tuple[str, int], tuple[CustomerRef, list[dict[str, str]]]] = {}
            agreeing: list[dict[str, str]] = []
            for _, kind, normalized, ref in matched:
                owner = _customer_of(ref)
                if _ref_key(owner) == chosen_key:
                    agreeing.append({"kind": kind, "value": normalized})
                else:
                    others.setdefault(_ref_key(owner), (owner, []))[1].append(
                        {"kind": kind, "value": normalized}
                    )
            for owner, evidence in others.values():
                conflicts.append((owner, agreeing + evidence))
            customer: CustomerRef = chosen
            self._enrich(customer, line)
        else:
            customer = PendingCustomer(
                display_name=line.name,
                kind=line.customer_kind or CustomerKind.UNKNOWN,
                company=line.company,
                details=dict(line.details),
            )
            self.new_customers.append(customer)

        for _, _, _, ref in matched:
            if isinstance(ref, KnownIdentity):
                if line.occurred_at > ref.last_seen:
                    ref.last_seen, ref.changed = line.occurred_at, True
                if line.occurred_at < ref.first_seen:
                    ref.first_seen, ref.changed = line.occurred_at, True
            else:
                ref.last_seen = max(ref.last_seen, line.occurred_at)
                ref.first_seen = min(ref.first_seen, line.occurred_at)

        new_refs: list[PendingIdentity] = []
        for kind, raw, normalized in unknown:
            pending = PendingIdentity(
                kind=kind,
                raw=raw,
                normalized=normalized,
                customer=customer,
                source_id=line.source_id,
                first_seen=line.occurred_at,
                last_seen=line.occurred_at,
            )
            self.identities[(kind, normalized)] = pending
            self.new_identities.append(pending)
            new_refs.append(pending)

        strongest: IdentityRef | None = matched[0][3] if matched else None
        if strongest is None and new_refs:
            strongest = min(new_refs, key=lambda p: _STRENGTH_RANK[p.kind])
        return Resolved(customer=customer, identity=strongest, conflicts=conflicts)

    def _enrich(self, customer: CustomerRef, line: ResolutionLine) -> None:
        # Fill gaps only: what a customer already has is never overwritten by a
        # later message, which may come from a shared phone or a typo.
        if isinstance(customer, PendingCustomer):
            if not customer.display_name and line.name:
                customer.display_name = line.name
            if customer.kind == CustomerKind.UNKNOWN and line.customer_kind:
                customer.kind = line.customer_kind
            if not customer.company and line.company:
                customer.company = line.company
            for key, value in line.details.items():
                customer.details.setdefault(key, value)
            return
        if line.details:
            known = self.detail_updates.setdefault(customer, {})
            for key, value in line.details.items():
                known.setdefault(key, value)
        if line.name:
            self.name_updates.setdefault(customer, line.name)
        if line.customer_kind and line.customer_kind != CustomerKind.UNKNOWN:
            self.kind_updates.setdefault(customer, line.customer_kind)
        if line.company:
            self.company_updates.setdefault(customer, line.company)

    def write(self) -> None:
        """Create the batch's customers and identities and update what changed."""
        companies = {c.company for c in self.new_customers if c.company}
        companies.update(self.company_updates.values())
        accounts = _accounts_for(companies)

        customers = [
            Customer(
                display_name=p.display_name[:200],
                kind=p.kind,
                account_id=accounts.get(account_key(p.company)) if p.company else None,
                **p.details,
            )
            for p in self.new_customers
        ]
        Customer.objects.bulk_create(customers, batch_size=500)
        for pending, instance in zip(self.new_customers, customers, strict=True):
            pending.instance = instance

        _identities_insert(self.new_identities)
        changed = [
            ref
            for ref in self.identities.values()
            if isinstance(ref, KnownIdentity) and ref.changed
        ]
        if changed:
            _identities_seen_update(changed)
            for known in changed:
                known.changed = False

        if self.name_updates:
            for customer in Customer.objects.filter(id__in=self.name_updates, display_name="").only(
                "id"
            ):
                Customer.objects.filter(id=customer.id).update(
                    display_name=self.name_updates[customer.id][:200]
                )
        # One UPDATE per distinct value, not per customer: a batch mostly repeats
        # the few kinds and companies its returning customers already have.
        by_kind: dict[str, list[int]] = {}
        for customer_id, kind in self.kind_updates.items():
            by_kind.setdefault(kind, []).append(customer_id)
        for kind, customer_ids in by_kind.items():
            Customer.objects.filter(id__in=customer_ids, kind=CustomerKind.UNKNOWN).update(
                kind=kind
            )
        by_account: dict[int, list[int]] = {}
        for customer_id, company in self.company_updates.items():
            by_account.setdefault(accounts[account_key(company)], []).append(customer_id)
        for account_id, customer_ids in by_account.items():
            Customer.objects.filter(id__in=customer_ids, account__isnull=True).update(
                account_id=account_id
            )
        _details_fill(self.detail_updates)
        self.touched = {p.id for p in self.new_customers}
        self.touched.update(self.detail_updates, self.name_updates, self.company_updates)
        self.touched.update(p.customer for p in self.new_identities if isinstance(p.customer, int))
        self.name_updates.clear()
        self.kind_updates.clear()
        self.company_updates.clear()
        self.detail_updates.clear()
        self.new_customers = []
        self.new_identities = []
        # From here on every pending reference has an id; later batches that
        # reuse this resolver see them as known identities.
        for key, ref in list(self.identities.items()):
            if isinstance(ref, PendingIdentity):
                assert ref.pk is not None
                self.identities[key] = KnownIdentity(
                    ref.pk,
                    ref.customer if isinstance(ref.customer, int) else ref.customer.id,
                    ref.first_seen,
                    ref.last_seen,
                )


def _details_fill(updates: dict[int, dict[str, Any]]) -> None:
    """Fill the known customers' empty details; what a customer has stays."""
    by_value: dict[tuple[str, Any], list[int]] = {}
    for customer_id, details in updates.items():
        for key, value in details.items():
            by_value.setdefault((key, value), []).append(customer_id)
    for (key, value), customer_ids in by_value.items():
        empty = Q(**{f"{key}__isnull": True}) if key == "birth_date" else Q(**{key: ""})
        Customer.objects.filter(empty, id__in=customer_ids).update(**{key: value})


def _identities_insert(pending: list[PendingIdentity]) -> None:
    """Insert the batch's new identities; give each pending one its row.

    One prepared INSERT, then one read per kind of the new ids by (kind,
    normalised value), which identifies an identity.
    """
    if not pending:
        return
    rows_insert(
        Identity,
        (
            "customer",
            "kind",
            "value_raw",
            "value_normalized",
            "source",
            "first_seen",
            "last_seen",
        ),
        [
            (
                p.customer if isinstance(p.customer, int) else p.customer.id,
                p.kind,
                p.raw[:320],
                p.normalized,
                p.source_id,
                p.first_seen,
                p.last_seen,
            )
            for p in pending
        ],
    )
    by_kind: dict[str, list[str]] = {}
    for p in pending:
        by_kind.setdefault(p.kind, []).append(p.normalized)
    ids: dict[tuple[str, str], int] = {}
    for kind, values in by_kind.items():
        for value, pk in Identity.objects.filter(
            kind=kind, value_normalized__in=values
        ).values_list("value_normalized", "id"):
            ids[(kind, value)] = pk
    for p in pending:
        p.pk = ids[(p.kind, p.normalized)]


def _identities_seen_update(refs: list[KnownIdentity]) -> None:
    """Write the batch's new first/last seen times, one prepared UPDATE per row.

    ``bulk_update`` builds a CASE expression per row in Python, which cost more
    than all the rest of an ingest of returning customers.
    """
    ops = connection.ops
    meta = Identity._meta
    # Only quoted names from the model's own metadata go into the text.
    sql = "UPDATE {} SET {} = %s, {} = %s WHERE {} = %s".format(  # noqa: S608
        ops.quote_name(meta.db_table),
        ops.quote_name(meta.get_field("first_seen").column),
        ops.quote_name(meta.get_field("last_seen").column),
        ops.quote_name(meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (
                    ops.adapt_datetimefield_value(ref.first_seen),
                    ops.adapt_datetimefield_value(ref.last_seen),
                    ref.id,
                )
                for ref in refs
            ],
        )


def _ref_key(ref: CustomerRef) -> tuple[str, int]:
    return ("id", ref) if isinstance(ref, int) else ("new", id(ref))


def _customer_of(ref: IdentityRef) -> CustomerRef:
    return ref.customer_id if isinstance(ref, KnownIdentity) else ref.customer


def _accounts_for(names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    by_key = {account_key(n): n for n in names}
    found = dict(Account.objects.filter(name_key__in=by_key).values_list("name_key", "id"))
    for key, name in by_key.items():
        if key not in found:
            account, _ = Account.objects.get_or_create(name_key=key, defaults={"name": name[:200]})
            found[key] = account.pk
    return found


def merge_proposal_record(
    *,
    customer_a: int,
    customer_b: int,
    evidence: list[dict[str, str]],
    interaction_id: int | None,
) -> MergeProposal | None:
    """Record that one interaction tied two customers together, unless already known.

    A pair is proposed once: a rejected pair is never proposed again.
    """
    low, high = sorted((customer_a, customer_b))
    if low == high:
        return None
    proposal, created = MergeProposal.objects.get_or_create(
        customer_low_id=low,
        customer_high_id=high,
        defaults={
            "reason": _proposal_reason(evidence),
            "evidence": evidence,
            "interaction_id": interaction_id,
        },
    )
    return proposal if created else None


def merge_proposals_record(
    *, candidates: Iterable[tuple[int, int, list[dict[str, str]], int | None]]
) -> int:
    """``merge_proposal_record`` for a batch of (customer_a, customer_b, evidence,
    interaction_id), with one read and one insert; returns how many were new.

    The first candidate of a pair gives its evidence, as calls in order would.
    Another writer proposing the same pair meanwhile makes the insert raise
    ``IntegrityError``: the ingestion path then runs its chunk again.
    """
    first: dict[tuple[int, int], tuple[list[dict[str, str]], int | None]] = {}
    for customer_a, customer_b, evidence, interaction_id in candidates:
        low, high = sorted((customer_a, customer_b))
        if low != high:
            first.setdefault((low, high), (evidence, interaction_id))
    if not first:
        return 0
    known = set(
        MergeProposal.objects.filter(
            customer_low_id__in={low for low, _ in first},
            customer_high_id__in={high for _, high in first},
        ).values_list("customer_low_id", "customer_high_id")
    )
    proposals = [
        MergeProposal(
            customer_low_id=low,
            customer_high_id=high,
            reason=_proposal_reason(evidence),
            evidence=evidence,
            interaction_id=interaction_id,
        )
        for (low, high), (evidence, interaction_id) in first.items()
        if (low, high) not in known
    ]
    MergeProposal.objects.bulk_create(proposals, batch_size=500)
    return len(proposals)


def _proposal_reason(evidence: list[dict[str, str]]) -> str:
    shared = ", ".join(f"{e['kind']} {e['value']}" for e in evidence)
    return f"One interaction carried identifiers of both customers: {shared}"


# --------------------------------------------------------------------------
# Merge and un-merge
# --------------------------------------------------------------------------


def _locked(customer_id: int) -> Customer:
    return Customer.objects.select_for_update().get(pk=customer_id)


def customer_root(customer: Customer) -> Customer:
    """The customer that ``customer`` now lives in (itself when never merged)."""
    seen = set()
    while customer.merged_into_id is not None:
        if customer.pk in seen:  # pragma: no cover - prevented by merge checks
            raise Conflict("Customer merge chain loops", code="merge_loop")
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


DETAIL_FIELDS = ("birth_date", "address", "postcode", "city")


def _snapshot(customer: Customer) -> dict[str, Any]:
    """What a merge may change on a customer, JSON-ready, so that an un-merge restores it."""
    return {
        "display_name": customer.display_name,
        "kind": customer.kind,
        "account_id": customer.account_id,
        "team_id": customer.team_id,
        "birth_date": customer.birth_date.isoformat() if customer.birth_date else None,
        "address": customer.address,
        "postcode": customer.postcode,
        "city": customer.city,
    }


@transaction.atomic
def customer_merge(
    *,
    survivor: Customer,
    merged: Customer,
    actor: Actor,
    reason: str,
    proposal: MergeProposal | None = None,
    ip: str | None = None,
) -> MergeEvent:
    """Move everything of ``merged`` into ``survivor``, keeping enough to undo it."""
    if not reason.strip():
        raise ValidationFailed(
            "Say why these customers are the same person", code="reason_required"
        )
    survivor, merged = _locked(survivor.pk), _locked(merged.pk)
    if survivor.pk == merged.pk:
        raise Conflict("A customer cannot be merged into itself", code="merge_self")
    for customer in (survivor, merged):
        if customer.merged_into_id is not None:
            raise Conflict(
                f"Customer {customer.pk} was already merged into customer "
                f"{customer.merged_into_id}",
                code="already_merged",
            )

    identity_ids = list(merged.identities.values_list("id", flat=True))
    interaction_ids = list(merged.interactions.values_list("id", flat=True))
    snapshot = {"merged": _snapshot(merged), "survivor": _snapshot(survivor)}
    Identity.objects.filter(id__in=identity_ids).update(customer=survivor)
    merged.interactions.update(customer=survivor)

    if not survivor.display_name and merged.display_name:
        survivor.display_name = merged.display_name
    if survivor.kind == CustomerKind.UNKNOWN:
        survivor.kind = merged.kind
    if survivor.account_id is None:
        survivor.account_id = merged.account_id
    if survivor.team_id is None:
        survivor.team_id = merged.team_id
    for name in DETAIL_FIELDS:
        if getattr(survivor, name) in (None, "") and getattr(merged, name) not in (None, ""):
            setattr(survivor, name, getattr(merged, name))
    survivor.save()
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into", "updated_at"])
    resolution.match_records_refresh([survivor.pk, merged.pk])

    if proposal is not None:
        proposal.status = MergeProposalStatus.ACCEPTED
        _decided(proposal, actor, reason)
        proposal.save()

    event = MergeEvent.objects.create(
        action=MergeAction.MERGE,
        survivor=survivor,
        merged=merged,
        reason=reason,
        proposal=proposal,
        moved_identity_ids=identity_ids,
        moved_interaction_ids=interaction_ids,
        merged_snapshot=snapshot,
        **_actor_fields(actor),
    )
    access_services.audit_record(
        action=AuditAction.MERGE_ACCEPTED,
        actor=actor,
        ip=ip,
        object_type="customer",
        object_id=survivor.pk,
        detail={
            "merge_event": event.pk,
            "merged_customer": merged.pk,
            "proposal": proposal.pk if proposal else None,
            "identities_moved": len(identity_ids),
            "interactions_moved": len(interaction_ids),
        },
    )
    return event


@transaction.atomic
def customer_unmerge(
    *, event: MergeEvent, actor: Actor, reason: str, ip: str | None = None
) -> MergeEvent:
    """Undo a merge: the merged customer gets back exactly what it had.

    Interactions that arrived after the merge through one of the merged
    customer's identifiers go back with it.
    """
    if not reason.strip():
        raise ValidationFailed(
            "Say why these customers are different people", code="reason_required"
        )
    event = MergeEvent.objects.select_for_update().get(pk=event.pk)
    if event.action != MergeAction.MERGE:
        raise Conflict("Only a merge can be undone", code="not_a_merge")
    if event.undone_by_id is not None:
        raise Conflict("This merge was already undone", code="already_unmerged")
    survivor, merged = _locked(event.survivor_id), _locked(event.merged_id)
    if merged.merged_into_id != survivor.pk:
        raise Conflict("The merged customer no longer lives in the survivor", code="merge_moved")
    if survivor.merged_into_id is not None:
        raise Conflict(
            f"Customer {survivor.pk} was itself merged into customer {survivor.merged_into_id}; "
            "undo that merge first",
            code="survivor_merged",
        )

    identity_ids = event.moved_identity_ids
    Identity.objects.filter(id__in=identity_ids, customer=survivor).update(customer=merged)
    survivor.interactions.filter(id__in=event.moved_interaction_ids).update(customer=merged)
    survivor.interactions.filter(
        identity_id__in=identity_ids, received_at__gte=event.created_at
    ).update(customer=merged)

    snapshot = event.merged_snapshot
    for field_name, value in snapshot.get("merged", {}).items():
        setattr(merged, field_name, value)
    merged.merged_into = None
    merged.save()
    # The merge only filled the survivor's gaps from the merged customer; take
    # back just those, and only where nobody has edited them since.
    merged_values = snapshot.get("merged", {})
    current = _snapshot(survivor)
    for field_name, before in snapshot.get("survivor", {}).items():
        filled_with = merged_values.get(field_name)
        if before != filled_with and current.get(field_name) == filled_with:
            setattr(survivor, field_name, before)
    survivor.save()
    resolution.match_records_refresh([survivor.pk, merged.pk])

    if event.proposal_id is not None:
        # Un-merging says "these are different people": never propose them again.
        MergeProposal.objects.filter(pk=event.proposal_id).update(
            status=MergeProposalStatus.REJECTED,
            decided_at=timezone.now(),
            decided_by=_person(actor),
            decided_by_label=access_services.actor_label(actor)[:150],
            decision_note=f"Un-merged: {reason}",
        )
    else:
        low, high = sorted((survivor.pk, merged.pk))
        MergeProposal.objects.update_or_create(
            customer_low_id=low,
            customer_high_id=high,
            defaults={
                "status": MergeProposalStatus.REJECTED,
                "decided_at": timezone.now(),
                "decided_by": _person(actor),
                "decided_by_label": access_services.actor_label(actor)[:150],
                "decision_note": f"Un-merged: {reason}",
                "reason": "Merged by hand, then un-merged",
            },
        )

    undo = MergeEvent.objects.create(
        action=MergeAction.UNMERGE,
        survivor=survivor,
        merged=merged,
        reason=reason,
        proposal_id=event.proposal_id,
        moved_identity_ids=identity_ids,
        moved_interaction_ids=event.moved_interaction_ids,
        **_actor_fields(actor),
    )
    event.undone_by = undo
    event.save(update_fields=["undone_by"])
    access_services.audit_record(
        action=AuditAction.MERGE_UNDONE,
        actor=actor,
        ip=ip,
        object_type="customer",
        object_id=merged.pk,
        detail={"merge_event": event.pk, "unmerge_event": undo.pk, "survivor": survivor.pk},
    )
    return undo


def merge_proposal_accept(
    *, proposal: MergeProposal, actor: Actor, note: str = "", ip: str | None = None
) -> MergeEvent:
    with transaction.atomic():
        proposal = MergeProposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != MergeProposalStatus.PENDING:
            raise Conflict(
                f"This proposal is already {proposal.get_status_display().lower()}",
                code="proposal_decided",
            )
        low, high = customer_root(proposal.customer_low), customer_root(proposal.customer_high)
        if low.pk != high.pk:
            survivor, merged = (low, high) if low.pk < high.pk else (high, low)
            return customer_merge(
                survivor=survivor,
                merged=merged,
                actor=actor,
                reason=note.strip() or proposal.reason,
                proposal=proposal,
                ip=ip,
            )
        proposal.status = MergeProposalStatus.ACCEPTED
        _decided(proposal, actor, "Already merged through another proposal")
        proposal.save()
    # Raised once the block has committed: inside it, the error would roll back
    # the closing of the proposal and leave it pending for ever.
    raise Conflict("These customers were already merged", code="already_merged")


@transaction.atomic
def merge_proposal_reject(
    *, proposal: MergeProposal, actor: Actor, note: str = "", ip: str | None = None
) -> MergeProposal:
    proposal = MergeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != MergeProposalStatus.PENDING:
        raise Conflict(
            f"This proposal is already {proposal.get_status_display().lower()}",
            code="proposal_decided",
        )
    proposal.status = MergeProposalStatus.REJECTED
    _decided(proposal, actor, note.strip())
    proposal.save()
    access_services.audit_record(
        action=AuditAction.MERGE_REJECTED,
        actor=actor,
        ip=ip,
        object_type="merge_proposal",
        object_id=proposal.pk,
        detail={"customers": [proposal.customer_low_id, proposal.customer_high_id]},
    )
    return proposal


def customer_read_record(
    *, customer: Customer, actor: Any, ip: str | None = None, via: str = "console"
) -> None:
    """Write to the audit trail that ``actor`` read this customer's profile."""
    access_services.audit_record(
        action=AuditAction.CUSTOMER_VIEWED,
        actor=actor,
        ip=ip,
        object_type="customer",
        object_id=customer.pk,
        detail={"via": via},
    )


def customers_team_assign(*, kind: str, team: Any, only_unassigned: bool = True) -> int:
    """Give every customer of ``kind`` (without a team, by default) to ``team``."""
    customers = Customer.objects.filter(kind=kind)
    if only_unassigned:
        customers = customers.filter(team__isnull=True)
    return customers.update(team=team, updated_at=timezone.now())
