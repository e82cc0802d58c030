from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cxm.cases import services as case_services
from cxm.cases.models import Case
from cxm.conftest import interaction_line
from cxm.connectors.models import Source
from cxm.customers import services as customer_services
from cxm.customers.enums import MergeProposalStatus
from cxm.customers.models import Customer, Identity, MergeProposal
from cxm.insights import services as insight_services
from cxm.interactions.models import Interaction
from cxm.interactions.parsing import LineProblem, Record
from cxm.interactions.services import (
    IngestResult,
    LineOutcome,
    RejectedLine,
    SourcePolicy,
    interaction_ingest_one,
    interactions_ingest,
)

EMAIL = "ann.lee@example.org"
PHONE = "+442079460958"


def line_for(external_id: str, customer: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return interaction_line(external_id=external_id, customer=customer, **overrides)


def ingest(lines: list[Any], *, source: Source, bound: bool = True, **options: Any) -> IngestResult:
    records: list[Record] = list(enumerate(lines, start=1))
    return interactions_ingest(
        records=records, policy=SourcePolicy(default=source, bound=bound), **options
    )


def row_counts() -> dict[str, int]:
    return {
        "interactions": Interaction.objects.count(),
        "customers": Customer.objects.count(),
        "identities": Identity.objects.count(),
        "proposals": MergeProposal.objects.count(),
    }


def owner_of(kind: str, value: str) -> int:
    return Identity.objects.get(kind=kind, value_normalized=value).customer_id


def customer_of(external_id: str) -> int:
    return Interaction.objects.get(external_id=external_id).customer_id


# ---- storing and rejecting -----------------------------------------------


def test_a_new_interaction_creates_its_customer_and_identities(source: Source) -> None:
    result = ingest([interaction_line()], source=source, keep_outcomes=True)

    interaction = Interaction.objects.get()
    customer = Customer.objects.get()
    assert (result.accepted, result.duplicates, result.rejected, result.proposals) == (1, 0, [], 0)
    assert result.outcomes == [LineOutcome(1, "accepted", interaction.pk, customer.pk)]
    assert (customer.display_name, customer.kind, customer.account_id) == (
        "Ann Lee",
        "unknown",
        None,
    )
    assert interaction.source_id == source.pk
    assert interaction.external_id == "48213"
    assert interaction.customer_id == customer.pk
    assert (interaction.channel, interaction.direction) == ("email", "inbound")
    assert interaction.occurred_at == datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
    assert interaction.subject == "Router keeps dropping"
    assert interaction.body == "Since Tuesday the connection drops every evening."
    assert interaction.attributes == {"plan": "fibre-500"}
    occurred = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)
    assert sorted(
        Identity.objects.values_list(
            "customer_id",
            "kind",
            "value_raw",
            "value_normalized",
            "source_id",
            "first_seen",
            "last_seen",
        )
    ) == [
        (customer.pk, "crm_id", "C-1042", "C-1042", source.pk, occurred, occurred),
        (customer.pk, "email", "Ann.Lee@example.org", EMAIL, source.pk, occurred, occurred),
        (customer.pk, "phone", "+44 20 7946 0958", PHONE, source.pk, occurred, occurred),
        (customer.pk, "twitter", "@annlee", "annlee", source.pk, occurred, occurred),
    ]
    # The strongest identifier is the one the interaction came through.
    assert interaction.identity == Identity.objects.get(kind="crm_id")


def test_bad_lines_are_rejected_with_line_field_and_message_and_good_lines_kept(
    source: Source,
) -> None:
    lines = [
        line_for("1", {"email": "a@example.org"}),
        line_for("2", {"email": "not an email"}, channel="fax"),
        LineProblem("(line)", "is not valid JSON: unexpected end of data"),
        line_for("4", {"email": "b@example.org"}),
        line_for("5", {"phone": "12345"}, occurred_at="2026-11-02T09:15:00"),
    ]

    result = ingest(lines, source=source)

    assert (result.accepted, result.duplicates) == (2, 0)
    assert result.rejected == [
        RejectedLine(
            2,
            "channel",
            "unknown channel 'fax'; expected one of phone, sms, email, chat, social, web, "
            "in_person, other",
        ),
        RejectedLine(2, "customer.email", "'not an email' is not a valid email address"),
        RejectedLine(3, "(line)", "is not valid JSON: unexpected end of data"),
        RejectedLine(
            5,
            "occurred_at",
            "'2026-11-02T09:15:00' has no time zone; add an offset such as +01:00 or Z so CXM "
            "knows when it happened",
        ),
        RejectedLine(
            5,
            "customer.phone",
            "'12345' is not a valid phone number in region GB; write it with its country "
            "code (+...)",
        ),
    ]
    assert sorted(Interaction.objects.values_list("external_id", flat=True)) == ["1", "4"]
    assert row_counts() == {"interactions": 2, "customers": 2, "identities": 2, "proposals": 0}


def test_a_batch_of_only_bad_lines_stores_nothing(source: Source) -> None:
    result = ingest([{"channel": "email"}, []], source=source)

    assert (result.accepted, result.duplicates) == (0, 0)
    assert sorted({r.line for r in result.rejected}) == [1, 2]
    assert row_counts() == {"interactions": 0, "customers": 0, "identities": 0, "proposals": 0}


# ---- idempotency ---------------------------------------------------------


def test_replaying_the_same_batch_changes_nothing(source: Source) -> None:
    lines = [
        line_for("1", {"email": "a@example.org", "name": "Ann"}),
        line_for("2", {"phone": "020 7946 0958"}, channel="phone"),
        line_for("3", {"email": "a@example.org", "phone": "020 7946 0958"}),
        line_for("4", {"twitter": "https://x.com/AnnLee"}, channel="social"),
    ]
    first = ingest(lines, source=source, keep_outcomes=True)
    counts = row_counts()
    identities = sorted(
        Identity.objects.values_list("id", "customer_id", "first_seen", "last_seen")
    )
    interactions = sorted(Interaction.objects.values_list("id", "customer_id", "identity_id"))

    second = ingest(lines, source=source, keep_outcomes=True)

    assert (first.accepted, first.duplicates, first.proposals) == (4, 0, 1)
    assert (second.accepted, second.duplicates, second.rejected, second.proposals) == (
        0,
        4,
        [],
        0,
    )
    assert second.outcomes == [
        LineOutcome(o.line, "duplicate", o.interaction_id, o.customer_id) for o in first.outcomes
    ]
    assert counts == {"interactions": 4, "customers": 3, "identities": 3, "proposals": 1}
    assert row_counts() == counts
    assert (
        sorted(Identity.objects.values_list("id", "customer_id", "first_seen", "last_seen"))
        == identities
    )
    assert sorted(Interaction.objects.values_list("id", "customer_id", "identity_id")) == (
        interactions
    )


def test_a_replayed_line_keeps_what_was_first_stored(source: Source) -> None:
    ingest([line_for("1", {"email": "a@example.org"}, body="original")], source=source)

    result = ingest([line_for("1", {"email": "b@example.org"}, body="changed")], source=source)

    assert (result.accepted, result.duplicates) == (0, 1)
    assert Interaction.objects.get().body == "original"
    assert list(Identity.objects.values_list("value_normalized", flat=True)) == ["a@example.org"]


def test_duplicates_inside_one_batch_are_stored_once(source: Source) -> None:
    lines = [
        line_for("1", {"email": "a@example.org"}, body="first copy"),
        line_for("2", {"email": "b@example.org"}),
        line_for(" 1 ", {"email": "c@example.org"}, body="second copy"),
        line_for("1", {"email": "a@example.org"}, body="third copy"),
    ]

    result = ingest(lines, source=source, keep_outcomes=True)

    stored = Interaction.objects.get(external_id="1")
    assert (result.accepted, result.duplicates, result.rejected) == (2, 2, [])
    assert [(o.line, o.status) for o in result.outcomes] == [(1, "accepted"), (2, "accepted")]
    assert stored.body == "first copy"
    assert row_counts() == {"interactions": 2, "customers": 2, "identities": 2, "proposals": 0}


def test_duplicates_across_chunks_are_stored_once(source: Source) -> None:
    lines = [line_for(str(n % 3), {"email": f"c{n % 3}@example.org"}) for n in range(7)]
    chunks: list[tuple[int, int, list[int]]] = []

    def on_chunk(result: IngestResult, chunk: list[Record]) -> None:
        chunks.append((result.accepted, result.duplicates, [number for number, _ in chunk]))

    result = ingest(lines, source=source, chunk_size=2, on_chunk=on_chunk)

    assert (result.accepted, result.duplicates) == (3, 4)
    assert chunks == [(2, 0, [1, 2]), (1, 1, [3, 4]), (0, 2, [5, 6]), (0, 1, [7])]
    assert row_counts() == {"interactions": 3, "customers": 3, "identities": 3, "proposals": 0}


def test_the_same_external_id_from_two_sources_is_two_interactions(source: Source) -> None:
    lines = [
        line_for("1", {"email": "a@example.org"}, source="zendesk"),
        line_for("1", {"email": "a@example.org"}, source="genesys"),
    ]

    result = ingest(lines, source=source, bound=False)

    assert (result.accepted, result.duplicates) == (2, 0)
    assert sorted(Interaction.objects.values_list("source__name", "customer_id")) == [
        ("genesys", owner_of("email", "a@example.org")),
        ("zendesk", owner_of("email", "a@example.org")),
    ]


def test_single_interaction_ingest_reports_accepted_then_duplicate(source: Source) -> None:
    policy = SourcePolicy(default=source, bound=True)

    first = interaction_ingest_one(data=interaction_line(), policy=policy)
    second = interaction_ingest_one(data=interaction_line(), policy=policy)

    interaction = Interaction.objects.get()
    assert first.outcomes == [LineOutcome(1, "accepted", interaction.pk, interaction.customer_id)]
    assert second.outcomes == [LineOutcome(1, "duplicate", interaction.pk, interaction.customer_id)]


# ---- sources -------------------------------------------------------------


def test_a_token_bound_batch_rejects_lines_of_another_source(source: Source) -> None:
    lines = [
        line_for("1", {"email": "a@example.org"}, source="zendesk"),
        line_for("2", {"email": "a@example.org"}, source="genesys"),
        line_for("3", {"email": "a@example.org"}, source=None),
    ]

    result = ingest(lines, source=source, bound=True)

    assert result.accepted == 2
    assert result.rejected == [
        RejectedLine(2, "source", "'genesys' does not match this token's source 'zendesk'")
    ]
    assert not Source.objects.filter(name="genesys").exists()


def test_an_import_creates_the_sources_its_lines_name(db: None) -> None:
    lines = [
        line_for("1", {"email": "a@example.org"}, source="crm-export"),
        line_for("2", {"email": "a@example.org"}, source="Bad Name"),
        line_for("3", {"email": "a@example.org"}, source=None),
    ]

    result = ingest(lines, source=None, bound=False)  # type: ignore[arg-type]

    assert result.accepted == 1
    assert result.rejected == [
        RejectedLine(
            2, "source", "'Bad Name' is not a source name (lowercase letters, digits, - and _)"
        ),
        RejectedLine(3, "source", "is required (the system this interaction comes from)"),
    ]
    assert list(Source.objects.values_list("name", flat=True)) == ["crm-export"]
    assert Interaction.objects.get().source.name == "crm-export"


# ---- identity resolution -------------------------------------------------


@pytest.mark.parametrize("one_batch", [True, False], ids=["one batch", "three batches"])
def test_email_then_both_then_phone_resolve_to_one_customer(
    source: Source, one_batch: bool
) -> None:
    lines = [
        line_for("1", {"email": "Ann.Lee@example.org"}),
        line_for("2", {"email": "ann.lee@EXAMPLE.org ", "phone": "020 7946 0958"}),
        line_for("3", {"phone": "+44 20 7946 0958"}, channel="phone"),
    ]

    if one_batch:
        results = [ingest(lines, source=source)]
    else:
        results = [ingest([line], source=source) for line in lines]

    customer = Customer.objects.get()
    assert sum(r.accepted for r in results) == 3
    assert sum(r.proposals for r in results) == 0
    assert sorted(customer.identities.values_list("kind", "value_normalized")) == [
        ("email", EMAIL),
        ("phone", PHONE),
    ]
    assert list(customer.interactions.order_by("external_id").values_list("external_id")) == [
        ("1",),
        ("2",),
        ("3",),
    ]
    # Each interaction remembers the identifier it came through.
    assert dict(Interaction.objects.values_list("external_id", "identity__kind")) == {
        "1": "email",
        "2": "email",
        "3": "phone",
    }


def test_new_identifiers_are_attached_to_the_matched_customer(source: Source) -> None:
    ingest([line_for("1", {"email": "ann@example.org"})], source=source)
    other_source = Source.objects.create(name="twitter")

    result = ingest(
        [
            line_for(
                "2", {"email": " ANN@example.org", "twitter": "https://x.com/AnnLee"}, source=None
            )
        ],
        source=other_source,
    )

    customer = Customer.objects.get()
    assert (result.accepted, result.proposals) == (1, 0)
    assert sorted(
        customer.identities.values_list("kind", "value_raw", "value_normalized", "source__name")
    ) == [
        ("email", "ann@example.org", "ann@example.org", "zendesk"),
        ("twitter", "https://x.com/AnnLee", "annlee", "twitter"),
    ]


def test_identity_first_and_last_seen_widen_with_each_interaction(source: Source) -> None:
    ingest(
        [line_for("1", {"email": "a@example.org"}, occurred_at="2026-11-02T10:00:00Z")],
        source=source,
    )

    ingest(
        [
            line_for("2", {"email": "a@example.org"}, occurred_at="2026-11-05T10:00:00Z"),
            line_for("3", {"email": "a@example.org"}, occurred_at="2026-10-30T10:00:00Z"),
            line_for("4", {"email": "a@example.org"}, occurred_at="2026-11-03T10:00:00Z"),
        ],
        source=source,
    )

    identity = Identity.objects.get()
    assert (identity.first_seen, identity.last_seen) == (
        datetime(2026, 10, 30, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 5, 10, 0, tzinfo=UTC),
    )


def test_later_lines_fill_gaps_in_the_profile_but_never_overwrite(source: Source) -> None:
    ingest([line_for("1", {"email": "a@example.org"})], source=source)
    ingest(
        [
            line_for(
                "2",
                {
                    "email": "a@example.org",
                    "name": "Ann Lee",
                    "kind": "business",
                    "company": "Acme",
                },
            ),
            line_for(
                "3",
                {"email": "a@example.org", "name": "Someone Else", "kind": "residential"},
            ),
        ],
        source=source,
    )
    ingest(
        [line_for("4", {"email": "a@example.org", "name": "Third Name", "company": "Other Ltd"})],
        source=source,
    )

    customer = Customer.objects.select_related("account").get()
    assert customer.account is not None
    assert (customer.display_name, customer.kind, customer.account.name) == (
        "Ann Lee",
        "business",
        "Acme",
    )


def test_conflicting_identifiers_record_a_proposal_instead_of_merging(source: Source) -> None:
    ingest([line_for("1", {"email": "ann@example.org", "name": "Ann"})], source=source)
    ingest([line_for("2", {"phone": "020 7946 0958", "name": "A. Lee"})], source=source)
    by_email, by_phone = owner_of("email", "ann@example.org"), owner_of("phone", PHONE)

    result = ingest(
        [line_for("3", {"phone": "020 7946 0958", "email": "ann@example.org"})], source=source
    )

    proposal = MergeProposal.objects.get()
    assert (result.accepted, result.proposals) == (1, 1)
    assert by_email != by_phone
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0
    # Email is the stronger identifier: the interaction goes to its customer.
    assert customer_of("3") == by_email
    assert owner_of("phone", PHONE) == by_phone
    assert (proposal.customer_low_id, proposal.customer_high_id) == tuple(
        sorted((by_email, by_phone))
    )
    assert proposal.status == MergeProposalStatus.PENDING
    assert proposal.evidence == [
        {"kind": "email", "value": "ann@example.org"},
        {"kind": "phone", "value": PHONE},
    ]
    assert proposal.reason == (
        "One interaction carried identifiers of both customers: "
        f"email ann@example.org, phone {PHONE}"
    )
    assert proposal.interaction_id == Interaction.objects.get(external_id="3").pk


def test_the_same_pair_is_proposed_only_once(source: Source) -> None:
    ingest(
        [
            line_for("1", {"email": "ann@example.org"}),
            line_for("2", {"phone": "020 7946 0958"}),
            line_for("3", {"phone": "020 7946 0958", "email": "ann@example.org"}),
            line_for("4", {"email": "ann@example.org", "phone": "+442079460958"}),
        ],
        source=source,
    )

    result = ingest(
        [line_for("5", {"phone": "020 7946 0958", "email": "ann@example.org"})], source=source
    )

    assert result.proposals == 0
    assert MergeProposal.objects.count() == 1
    assert MergeProposal.objects.get().interaction_id == (
        Interaction.objects.get(external_id="3").pk
    )


def test_a_conflict_between_two_customers_of_the_same_batch_is_proposed(source: Source) -> None:
    result = ingest(
        [
            line_for("1", {"email": "ann@example.org"}),
            line_for("2", {"phone": "020 7946 0958"}),
            line_for("3", {"phone": "020 7946 0958", "email": "ann@example.org"}),
        ],
        source=source,
    )

    proposal = MergeProposal.objects.get()
    assert (result.accepted, result.proposals) == (3, 1)
    assert {proposal.customer_low_id, proposal.customer_high_id} == {
        customer_of("1"),
        customer_of("2"),
    }
    assert customer_of("3") == customer_of("1")


def test_the_strongest_identifier_decides_the_owner(source: Source) -> None:
    ingest([line_for("1", {"email": "ann@example.org"})], source=source)
    ingest([line_for("2", {"crm_id": "C-7"})], source=source)

    ingest([line_for("3", {"email": "ann@example.org", "crm_id": "C-7"})], source=source)

    assert customer_of("3") == customer_of("2")
    assert MergeProposal.objects.get().evidence == [
        {"kind": "crm_id", "value": "C-7"},
        {"kind": "email", "value": "ann@example.org"},
    ]


def test_a_rejected_pair_is_never_proposed_again(source: Source) -> None:
    ingest(
        [
            line_for("1", {"email": "ann@example.org"}),
            line_for("2", {"phone": "020 7946 0958"}),
            line_for("3", {"phone": "020 7946 0958", "email": "ann@example.org"}),
        ],
        source=source,
    )
    customer_services.merge_proposal_reject(
        proposal=MergeProposal.objects.get(), actor=None, note="Shared family phone"
    )

    result = ingest(
        [line_for("4", {"phone": "020 7946 0958", "email": "ann@example.org"})], source=source
    )

    proposal = MergeProposal.objects.get()
    assert (result.accepted, result.proposals) == (1, 0)
    assert (proposal.status, proposal.decision_note) == (
        MergeProposalStatus.REJECTED,
        "Shared family phone",
    )
    assert Customer.objects.count() == 2


# ---- reaching cases ------------------------------------------------------


def test_a_large_batch_reaches_its_cases_whole_its_answers_after_their_questions(
    source: Source, settings: Any
) -> None:
    """Routed at ingest, the answer would find no case (its question waits for the
    worker's enrichment) and be lost to the cases."""
    settings.CXM_ENRICH_INLINE_MAX = 0
    ingest(
        [
            line_for("q", {"email": EMAIL}, occurred_at="2026-11-02T09:00:00+00:00"),
            line_for(
                "a",
                {"email": EMAIL},
                direction="outbound",
                occurred_at="2026-11-02T09:20:00+00:00",
                body="Sorry about that: we have reset the line.",
            ),
        ],
        source=source,
    )
    assert not Interaction.objects.filter(routed_at__isnull=False).exists()

    insight_services.interactions_enrich_all()
    assert case_services.interactions_route_all() == 2

    case = Case.objects.get()
    assert (case.messages, case.replies) == (1, 1)
    assert case.first_response_at == datetime(2026, 11, 2, 9, 20, tzinfo=UTC)
    assert case.first_response_seconds == 1200.0
