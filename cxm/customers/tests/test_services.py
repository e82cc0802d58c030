from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cxm.conftest import ingest_customer_line, interaction_line
from cxm.connectors.models import Source
from cxm.customers import services
from cxm.customers.enums import MergeAction, MergeProposalStatus
from cxm.customers.models import Account, Customer, Identity, MergeEvent, MergeProposal
from cxm.errors import Conflict, CXMError, ValidationFailed
from cxm.interactions.models import Interaction
from cxm.interactions.services import SourcePolicy, interactions_ingest

PHONE = "+442079460958"


def ingest(source: Source, *lines: tuple[str, dict[str, Any]]) -> None:
    records = [
        (number, interaction_line(external_id=external_id, customer=customer, source=None))
        for number, (external_id, customer) in enumerate(lines, start=1)
    ]
    result = interactions_ingest(records=records, policy=SourcePolicy(default=source, bound=True))
    assert result.rejected == []


def customer_with(kind: str, value: str) -> Customer:
    return (
        Identity.objects.select_related("customer").get(kind=kind, value_normalized=value).customer
    )


def interaction_owners() -> dict[str, int]:
    return dict(Interaction.objects.values_list("external_id", "customer_id"))


def identity_owners() -> dict[int, int]:
    return dict(Identity.objects.values_list("id", "customer_id"))


def profile(customer: Customer) -> tuple[str, str, int | None, int | None]:
    customer.refresh_from_db()
    return (customer.display_name, customer.kind, customer.account_id, customer.merged_into_id)


@pytest.fixture
def ann_twice(source: Source) -> tuple[Customer, Customer]:
    """One person known twice: by email and CRM id, and by phone and Twitter."""
    ingest(
        source,
        ("e1", {"email": "ann@example.org", "crm_id": "C-1", "name": "Ann", "company": "Acme"}),
        ("e2", {"email": "ann@example.org"}),
        ("p1", {"phone": "020 7946 0958", "twitter": "@annlee", "kind": "business"}),
        ("p2", {"phone": "020 7946 0958", "company": "Lee Consulting"}),
        ("p3", {"twitter": "AnnLee"}),
    )
    return customer_with("email", "ann@example.org"), customer_with("phone", PHONE)


# ---- merge ---------------------------------------------------------------


def test_merge_moves_identities_and_interactions_and_writes_the_audit_row(
    ann_twice: tuple[Customer, Customer], agent: User
) -> None:
    survivor, merged = ann_twice
    merged_identities = sorted(merged.identities.values_list("id", flat=True))
    merged_interactions = sorted(merged.interactions.values_list("id", flat=True))
    merged_account = merged.account_id
    before = timezone.now()

    event = services.customer_merge(
        survivor=survivor, merged=merged, actor=agent, reason="Same person, confirmed by phone"
    )

    after = timezone.now()
    assert set(identity_owners().values()) == {survivor.pk}
    assert set(interaction_owners().values()) == {survivor.pk}
    # The survivor keeps what it had and takes only what it lacked.
    assert profile(survivor) == ("Ann", "business", survivor.account_id, None)
    assert Account.objects.get(customers=survivor).name == "Acme"
    assert profile(merged) == ("", "business", merged_account, survivor.pk)
    event.refresh_from_db()
    assert event.action == MergeAction.MERGE
    assert (event.survivor_id, event.merged_id) == (survivor.pk, merged.pk)
    assert (event.actor, event.actor_label) == (agent, "agent")
    assert event.reason == "Same person, confirmed by phone"
    assert before <= event.created_at <= after
    assert sorted(event.moved_identity_ids) == merged_identities
    assert sorted(event.moved_interaction_ids) == merged_interactions
    assert event.proposal is None
    assert event.undone_by is None
    assert event.merged_snapshot == {
        "merged": {
            "display_name": "",
            "kind": "business",
            "account_id": merged_account,
            "team_id": None,
            "birth_date": None,
            "address": "",
            "postcode": "",
            "city": "",
        },
        "survivor": {
            "display_name": "Ann",
            "kind": "unknown",
            "account_id": survivor.account_id,
            "team_id": None,
            "birth_date": None,
            "address": "",
            "postcode": "",
            "city": "",
        },
    }


def test_a_merge_without_a_user_is_recorded_as_cxm(ann_twice: tuple[Customer, Customer]) -> None:
    survivor, merged = ann_twice

    event = services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Script")

    assert (event.actor, event.actor_label) == (None, "CXM")


def test_after_a_merge_both_customers_identifiers_find_the_survivor(
    source: Source, ann_twice: tuple[Customer, Customer]
) -> None:
    survivor, merged = ann_twice
    services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Same")

    ingest(source, ("n1", {"phone": "+44 20 7946 0958", "email": "ann@example.org"}))

    assert Interaction.objects.get(external_id="n1").customer_id == survivor.pk
    assert MergeProposal.objects.count() == 0


# ---- un-merge ------------------------------------------------------------


def test_unmerge_restores_every_interaction_identity_and_profile_exactly(
    ann_twice: tuple[Customer, Customer], agent: User
) -> None:
    survivor, merged = ann_twice
    interactions_before = interaction_owners()
    identities_before = identity_owners()
    profiles_before = (profile(survivor), profile(merged))
    event = services.customer_merge(survivor=survivor, merged=merged, actor=agent, reason="Same")

    undo = services.customer_unmerge(event=event, actor=agent, reason="Different people")

    assert interaction_owners() == interactions_before
    assert identity_owners() == identities_before
    assert (profile(survivor), profile(merged)) == profiles_before
    event.refresh_from_db()
    assert event.undone_by == undo
    assert undo.action == MergeAction.UNMERGE
    assert (undo.survivor_id, undo.merged_id) == (survivor.pk, merged.pk)
    assert (undo.actor, undo.actor_label, undo.reason) == (agent, "agent", "Different people")
    assert undo.moved_identity_ids == event.moved_identity_ids
    assert undo.moved_interaction_ids == event.moved_interaction_ids
    assert list(MergeEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "merge",
        "unmerge",
    ]


def test_unmerge_returns_interactions_that_arrived_through_the_merged_identities(
    source: Source, ann_twice: tuple[Customer, Customer]
) -> None:
    survivor, merged = ann_twice
    event = services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Same")
    ingest(
        source,
        ("late-phone", {"phone": "+44 20 7946 0958"}),
        ("late-twitter", {"twitter": "https://twitter.com/annlee"}),
        ("late-email", {"email": "ann@example.org"}),
    )
    assert {
        key: owner for key, owner in interaction_owners().items() if key.startswith("late")
    } == {"late-phone": survivor.pk, "late-twitter": survivor.pk, "late-email": survivor.pk}

    services.customer_unmerge(event=event, actor=None, reason="Different people")

    assert interaction_owners() == {
        "e1": survivor.pk,
        "e2": survivor.pk,
        "p1": merged.pk,
        "p2": merged.pk,
        "p3": merged.pk,
        "late-phone": merged.pk,
        "late-twitter": merged.pk,
        "late-email": survivor.pk,
    }


def test_an_unmerged_pair_is_never_proposed_again(
    source: Source, ann_twice: tuple[Customer, Customer]
) -> None:
    survivor, merged = ann_twice
    event = services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Same")
    services.customer_unmerge(event=event, actor=None, reason="Twins")

    ingest(source, ("n1", {"email": "ann@example.org", "phone": "020 7946 0958"}))

    proposal = MergeProposal.objects.get()
    assert (proposal.customer_low_id, proposal.customer_high_id) == tuple(
        sorted((survivor.pk, merged.pk))
    )
    assert (proposal.status, proposal.reason, proposal.decision_note) == (
        MergeProposalStatus.REJECTED,
        "Merged by hand, then un-merged",
        "Un-merged: Twins",
    )


# ---- proposals -----------------------------------------------------------


def test_record_orders_the_pair_and_records_it_once(
    ann_twice: tuple[Customer, Customer],
) -> None:
    first, second = ann_twice
    evidence = [{"kind": "email", "value": "ann@example.org"}, {"kind": "phone", "value": PHONE}]

    proposal = services.merge_proposal_record(
        customer_a=max(first.pk, second.pk),
        customer_b=min(first.pk, second.pk),
        evidence=evidence,
        interaction_id=None,
    )
    again = services.merge_proposal_record(
        customer_a=first.pk, customer_b=second.pk, evidence=evidence, interaction_id=None
    )
    itself = services.merge_proposal_record(
        customer_a=first.pk, customer_b=first.pk, evidence=evidence, interaction_id=None
    )

    assert proposal is not None
    assert (proposal.customer_low_id, proposal.customer_high_id) == (
        min(first.pk, second.pk),
        max(first.pk, second.pk),
    )
    assert proposal.reason == (
        f"One interaction carried identifiers of both customers: email ann@example.org, "
        f"phone {PHONE}"
    )
    assert (again, itself) == (None, None)
    assert MergeProposal.objects.count() == 1


def _propose(first: Customer, second: Customer) -> MergeProposal:
    proposal = services.merge_proposal_record(
        customer_a=first.pk,
        customer_b=second.pk,
        evidence=[{"kind": "email", "value": "x@example.org"}],
        interaction_id=None,
    )
    assert proposal is not None
    return proposal


def test_accepting_a_proposal_merges_into_the_older_customer(
    ann_twice: tuple[Customer, Customer], agent: User
) -> None:
    first, second = ann_twice
    proposal = _propose(first, second)
    older, newer = sorted((first, second), key=lambda c: c.pk)

    event = services.merge_proposal_accept(proposal=proposal, actor=agent, note=" Checked ")

    proposal.refresh_from_db()
    assert (event.survivor_id, event.merged_id) == (older.pk, newer.pk)
    assert (event.proposal, event.reason, event.actor) == (proposal, "Checked", agent)
    assert proposal.status == MergeProposalStatus.ACCEPTED
    assert (proposal.decided_by, proposal.decision_note) == (agent, "Checked")
    assert proposal.decided_at is not None
    assert profile(newer)[3] == older.pk


def test_accepting_without_a_note_gives_the_proposal_reason(
    ann_twice: tuple[Customer, Customer],
) -> None:
    proposal = _propose(*ann_twice)

    event = services.merge_proposal_accept(proposal=proposal, actor=None)

    assert (
        event.reason == "One interaction carried identifiers of both customers: email x@example.org"
    )


def test_unmerging_an_accepted_proposal_rejects_it(
    source: Source, ann_twice: tuple[Customer, Customer], agent: User
) -> None:
    proposal = _propose(*ann_twice)
    event = services.merge_proposal_accept(proposal=proposal, actor=agent)

    services.customer_unmerge(event=event, actor=agent, reason="Not the same")
    ingest(source, ("n1", {"email": "ann@example.org", "phone": "020 7946 0958"}))

    proposal.refresh_from_db()
    assert MergeProposal.objects.get() == proposal
    assert (proposal.status, proposal.decision_note) == (
        MergeProposalStatus.REJECTED,
        "Un-merged: Not the same",
    )


def test_rejecting_a_proposal_records_who_and_why(
    ann_twice: tuple[Customer, Customer], agent: User
) -> None:
    proposal = _propose(*ann_twice)

    services.merge_proposal_reject(proposal=proposal, actor=agent, note=" Twins ")

    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_note) == (
        MergeProposalStatus.REJECTED,
        agent,
        "Twins",
    )
    assert proposal.decided_at is not None
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_accepting_a_proposal_already_settled_by_another_merge_closes_it(
    source: Source, ann_twice: tuple[Customer, Customer]
) -> None:
    first, second = ann_twice
    ingest(source, ("t1", {"email": "third@example.org"}))
    third = customer_with("email", "third@example.org")
    services.merge_proposal_accept(proposal=_propose(first, second), actor=None)
    services.merge_proposal_accept(proposal=_propose(second, third), actor=None)
    last = _propose(first, third)

    with pytest.raises(Conflict) as caught:
        services.merge_proposal_accept(proposal=last, actor=None)

    last.refresh_from_db()
    assert (caught.value.code, caught.value.message) == (
        "already_merged",
        "These customers were already merged",
    )
    assert (last.status, last.decision_note) == (
        MergeProposalStatus.ACCEPTED,
        "Already merged through another proposal",
    )
    assert MergeEvent.objects.count() == 2


# ---- errors --------------------------------------------------------------


def _raises(call: Any, **kwargs: Any) -> tuple[type[CXMError], str, str]:
    with pytest.raises(CXMError) as caught:
        call(**kwargs)
    return type(caught.value), caught.value.code, caught.value.message


def test_a_customer_cannot_be_merged_into_itself(ann_twice: tuple[Customer, Customer]) -> None:
    customer = ann_twice[0]

    assert _raises(
        services.customer_merge, survivor=customer, merged=customer, actor=None, reason="Same"
    ) == (Conflict, "merge_self", "A customer cannot be merged into itself")


def test_a_merge_needs_a_reason(ann_twice: tuple[Customer, Customer]) -> None:
    survivor, merged = ann_twice

    assert _raises(
        services.customer_merge, survivor=survivor, merged=merged, actor=None, reason="  "
    ) == (ValidationFailed, "reason_required", "Say why these customers are the same person")
    assert profile(merged)[3] is None


def test_an_already_merged_customer_cannot_be_merged_again(
    source: Source, ann_twice: tuple[Customer, Customer]
) -> None:
    survivor, merged = ann_twice
    ingest(source, ("t1", {"email": "third@example.org"}))
    third = customer_with("email", "third@example.org")
    services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Same")
    message = f"Customer {merged.pk} was already merged into customer {survivor.pk}"

    assert _raises(
        services.customer_merge, survivor=third, merged=merged, actor=None, reason="Same"
    ) == (Conflict, "already_merged", message)
    assert _raises(
        services.customer_merge, survivor=merged, merged=third, actor=None, reason="Same"
    ) == (Conflict, "already_merged", message)


def test_a_merge_cannot_be_undone_twice(ann_twice: tuple[Customer, Customer]) -> None:
    survivor, merged = ann_twice
    event = services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Same")
    undo = services.customer_unmerge(event=event, actor=None, reason="Different")
    owners = interaction_owners()

    assert _raises(services.customer_unmerge, event=event, actor=None, reason="Again") == (
        Conflict,
        "already_unmerged",
        "This merge was already undone",
    )
    assert _raises(services.customer_unmerge, event=undo, actor=None, reason="Again") == (
        Conflict,
        "not_a_merge",
        "Only a merge can be undone",
    )
    assert interaction_owners() == owners
    assert MergeEvent.objects.count() == 2


def test_an_unmerge_needs_a_reason(ann_twice: tuple[Customer, Customer]) -> None:
    survivor, merged = ann_twice
    event = services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="Same")

    assert _raises(services.customer_unmerge, event=event, actor=None, reason="") == (
        ValidationFailed,
        "reason_required",
        "Say why these customers are different people",
    )


def test_an_unmerge_waits_for_the_survivors_own_merge_to_be_undone(
    source: Source, ann_twice: tuple[Customer, Customer]
) -> None:
    survivor, merged = ann_twice
    ingest(source, ("t1", {"email": "third@example.org"}))
    third = customer_with("email", "third@example.org")
    first = services.customer_merge(survivor=survivor, merged=merged, actor=None, reason="A")
    second = services.customer_merge(survivor=third, merged=survivor, actor=None, reason="B")

    assert _raises(services.customer_unmerge, event=first, actor=None, reason="Undo") == (
        Conflict,
        "survivor_merged",
        f"Customer {survivor.pk} was itself merged into customer {third.pk}; undo that merge first",
    )

    services.customer_unmerge(event=second, actor=None, reason="Undo B")
    services.customer_unmerge(event=first, actor=None, reason="Undo A")
    assert interaction_owners() == {
        "e1": survivor.pk,
        "e2": survivor.pk,
        "p1": merged.pk,
        "p2": merged.pk,
        "p3": merged.pk,
        "t1": third.pk,
    }


def test_a_decided_proposal_cannot_be_decided_again(
    ann_twice: tuple[Customer, Customer],
) -> None:
    proposal = _propose(*ann_twice)
    services.merge_proposal_reject(proposal=proposal, actor=None)

    assert _raises(services.merge_proposal_accept, proposal=proposal, actor=None) == (
        Conflict,
        "proposal_decided",
        "This proposal is already rejected",
    )
    assert _raises(services.merge_proposal_reject, proposal=proposal, actor=None) == (
        Conflict,
        "proposal_decided",
        "This proposal is already rejected",
    )


def test_unmerge_takes_back_only_the_gaps_the_merge_filled_and_keeps_later_edits(
    source: Source, agent: User
) -> None:
    ingest(
        source,
        ("s1", {"email": "pat@example.org"}),
        ("m1", {"phone": "020 7946 0958", "name": "Pat Quinn", "kind": "business"}),
    )
    survivor = customer_with("email", "pat@example.org")
    merged = customer_with("phone", PHONE)
    assert profile(survivor)[:2] == ("", "unknown")

    event = services.customer_merge(
        survivor=survivor, merged=merged, actor=agent, reason="Same person"
    )
    assert profile(survivor)[:2] == ("Pat Quinn", "business")
    # An agent corrects the kind while the two are merged.
    Customer.objects.filter(pk=survivor.pk).update(kind="residential")

    services.customer_unmerge(event=event, actor=agent, reason="Different people after all")

    assert profile(survivor) == ("", "residential", None, None)
    assert profile(merged) == ("Pat Quinn", "business", None, None)


@pytest.mark.django_db
def test_details_fill_gaps_and_a_merge_and_un_merge_keep_them_exact(source: Any) -> None:
    from datetime import date

    def send(external_id: str, customer: dict[str, Any]) -> int:
        return ingest_customer_line(source, external_id, customer)

    ann_id = send("1", {"email": "ann@example.org", "city": "Leeds"})
    # A later line fills the gaps, never overwrites the city already known.
    send("2", {"email": "ann@example.org", "city": "York", "birth_date": "1971-06-24"})
    other_id = send("3", {"crm_id": "C-9", "postcode": "LS1 4AP", "birth_date": "1980-01-01"})
    ann, other = Customer.objects.get(pk=ann_id), Customer.objects.get(pk=other_id)
    assert (ann.city, ann.birth_date, ann.postcode) == ("Leeds", date(1971, 6, 24), "")

    event = services.customer_merge(survivor=ann, merged=other, actor=None, reason="test")
    ann.refresh_from_db()
    assert (ann.birth_date, ann.postcode) == (date(1971, 6, 24), "LS1 4AP")

    services.customer_unmerge(event=event, actor=None, reason="different people")
    ann.refresh_from_db()
    other.refresh_from_db()
    assert (ann.city, ann.birth_date, ann.postcode) == ("Leeds", date(1971, 6, 24), "")
    assert (other.birth_date, other.postcode) == (date(1980, 1, 1), "LS1 4AP")
