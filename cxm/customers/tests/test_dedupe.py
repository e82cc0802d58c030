"""cxm dedupe: the match model over the customer base, merges and proposals."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from cxm.connectors.models import Source
from cxm.customers import services
from cxm.customers.dedupe import customers_dedupe
from cxm.customers.enums import MatchMethod, MergeProposalStatus
from cxm.customers.models import Customer, MergeEvent, MergeProposal
from cxm.interactions.services import SourcePolicy, interactions_ingest

PEOPLE = [
    # The same person twice: a typo in the first name, a new email, same birth date and postcode.
    (
        "1",
        {
            "email": "jon.smithers@a.example",
            "name": "Jon Smithers",
            "birth_date": "1971-06-24",
            "postcode": "LS1 4AP",
            "city": "Leeds",
        },
    ),
    (
        "2",
        {
            "crm_id": "C-2",
            "name": "John Smithers",
            "birth_date": "1971-06-24",
            "postcode": "LS1 4AP",
            "city": "Leeds",
        },
    ),
    # Same name, nothing else in common: a namesake, not the same person.
    (
        "3",
        {
            "crm_id": "C-3",
            "name": "John Smithers",
            "birth_date": "1988-02-11",
            "postcode": "YO1 7HH",
            "city": "York",
        },
    ),
]


def _filler(n: int) -> tuple[str, dict[str, str]]:
    first = ["Amy", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal", "Ida", "Jude"][n % 10]
    last = ["Ng", "Okafor", "Price", "Quinn", "Rossi", "Shah", "Tran", "Usher"][n % 8]
    return (
        f"f{n}",
        {
            "crm_id": f"F-{n}",
            "name": f"{first} {last}{n}",
            "birth_date": f"19{50 + n % 40}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "postcode": f"LS{n % 30} {n % 9}AB",
            "city": ["Leeds", "York", "Hull"][n % 3],
        },
    )


def _load(source: Source, people: list[tuple[str, dict[str, str]]]) -> dict[str, int]:
    result = interactions_ingest(
        records=[
            (
                n,
                {
                    "external_id": external_id,
                    "channel": "email",
                    "direction": "inbound",
                    "occurred_at": "2026-11-02T09:15:00+00:00",
                    "customer": customer,
                },
            )
            for n, (external_id, customer) in enumerate(people, start=1)
        ],
        policy=SourcePolicy(default=source, bound=True),
        keep_outcomes=True,
    )
    assert not result.rejected, result.rejected
    return {people[o.line - 1][0]: o.customer_id for o in result.outcomes}


@pytest.fixture
def people(source: Source) -> dict[str, int]:
    return _load(source, PEOPLE + [_filler(n) for n in range(300)])


def test_the_same_person_is_merged_and_the_namesake_is_not(people: dict[str, int]) -> None:
    report = customers_dedupe(auto_threshold=0.99, review_threshold=0.8)

    merged_pairs = {(low, high) for low, high, _ in report.merged}
    assert (people["1"], people["2"]) in merged_pairs
    assert Customer.objects.get(pk=people["2"]).merged_into_id == people["1"]
    assert Customer.objects.get(pk=people["3"]).merged_into_id is None
    assert not any(people["3"] in pair[:2] for pair in report.merged + report.proposed)
    # The filler customers are all different people.
    assert len(report.merged) == 1
    event = MergeEvent.objects.get()
    assert event.actor_label == "CXM"
    assert event.reason.startswith("Automatic merge. Match probability ")


def test_an_automatic_merge_can_be_undone_and_is_never_redone(people: dict[str, int]) -> None:
    customers_dedupe(auto_threshold=0.99, review_threshold=0.8)
    event = MergeEvent.objects.get()

    services.customer_unmerge(event=event, actor=None, reason="Father and son")
    report = customers_dedupe(auto_threshold=0.99, review_threshold=0.8)

    assert report.merged == [] and report.kept_apart == 1
    assert Customer.objects.get(pk=people["2"]).merged_into_id is None


def test_likely_pairs_between_the_thresholds_are_proposed_with_their_evidence(
    people: dict[str, int],
) -> None:
    report = customers_dedupe(auto_threshold=1.01, review_threshold=0.8)

    assert [(low, high) for low, high, _ in report.proposed] == [(people["1"], people["2"])]
    proposal = MergeProposal.objects.get()
    assert proposal.method == MatchMethod.PROBABILISTIC
    assert proposal.status == MergeProposalStatus.PENDING
    assert proposal.score is not None and proposal.score >= 0.8
    by_comparison = {e["comparison"]: e for e in proposal.evidence}
    assert by_comparison["date of birth"]["level"] == "exact"
    assert by_comparison["first name"]["level"] == "nickname"  # Jon is a short form of John
    assert by_comparison["date of birth"]["weight"] > 0
    # Run again: the pending proposal is not made twice.
    assert customers_dedupe(auto_threshold=1.01, review_threshold=0.8).proposed == []
    assert MergeProposal.objects.count() == 1


def test_dedupe_command_dry_run_changes_nothing(people: dict[str, Any]) -> None:
    out = io.StringIO()

    call_command("dedupe", "--dry-run", "--no-progress", stdout=out)

    assert "would merge 1, proposed 0 for review" in out.getvalue()
    assert not MergeEvent.objects.exists() and not MergeProposal.objects.exists()


def test_dedupe_of_a_base_with_nothing_in_common_changes_nothing(source: Source) -> None:
    _load(source, [("a", {"crm_id": "A-1", "name": "Amy Ng"}), ("b", {"crm_id": "B-1"})])

    report = customers_dedupe()

    assert (report.customers, report.pairs_scored, report.merged, report.proposed) == (2, 0, [], [])


@pytest.mark.django_db
def test_dedupe_of_an_empty_base() -> None:
    assert customers_dedupe().customers == 0
