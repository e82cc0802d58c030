"""The identity resolution API: merge proposals, their decisions, un-merges, and
why a customer's rows were linked (/api/v1/merge-proposals, /merges,
/customers/{id}/links)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from cxm.access import services as access_services
from cxm.access.enums import AuditAction, Role
from cxm.access.models import AuditEvent
from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import Source
from cxm.customers import selectors
from cxm.customers import services as customer_services
from cxm.customers.dedupe import customers_dedupe
from cxm.customers.enums import MergeProposalStatus
from cxm.customers.models import Customer, MergeEvent, MergeProposal
from cxm.customers.tests.test_dedupe import PEOPLE, _filler, _load

ANN = {"email": "ann.lee@example.org", "name": "Ann Lee"}
BEA = {"phone": "+44 20 7946 0001", "name": "Bea Lee"}
CAL = {"crm_id": "C-77", "name": "Cal Lee"}


def at(value: Any) -> Any:
    return DjangoJSONEncoder().default(value)


def get(client: Client, url: str, token: str | None = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, params, headers=headers)


def post(client: Client, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = "" if body is None else body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


@dataclass
class Pair:
    ann: Customer
    bea: Customer
    proposal: MergeProposal


def _pair(source: Source, prefix: str, ann: dict[str, str], bea: dict[str, str]) -> Pair:
    """Two customers, then one message carrying identifiers of both: a proposal."""
    first = ingest_customer_line(source, f"{prefix}-1", ann)
    second = ingest_customer_line(source, f"{prefix}-2", bea)
    both = {k: v for k, v in {**ann, **bea}.items() if k != "name"}
    ingest_customer_line(source, f"{prefix}-3", both)
    proposal = MergeProposal.objects.get(customer_low_id=first, customer_high_id=second)
    return Pair(Customer.objects.get(pk=first), Customer.objects.get(pk=second), proposal)


@pytest.fixture
def pair(source: Source) -> Pair:
    return _pair(source, "p", ANN, BEA)


def linked(customer: Customer, merged_into: int | None = None) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "display_name": customer.display_name,
        "kind": "unknown",
        "account": None,
        "merged_into": merged_into,
    }


def pending_json(pair: Pair) -> dict[str, Any]:
    return {
        "id": pair.proposal.pk,
        "status": "pending",
        "method": "identifier",
        "score": None,
        "reason": "One interaction carried identifiers of both customers: "
        "email ann.lee@example.org, phone +442079460001",
        "evidence": [
            {"kind": kind, "value": value, **dict.fromkeys(PROBABILISTIC_KEYS)}
            for kind, value in [("email", "ann.lee@example.org"), ("phone", "+442079460001")]
        ],
        "customer_low": linked(pair.ann),
        "customer_high": linked(pair.bea),
        "interaction_id": pair.proposal.interaction_id,
        "created_at": at(pair.proposal.created_at),
        "decided_at": None,
        "decided_by": None,
        "decision_note": "",
    }


PROBABILISTIC_KEYS = ("comparison", "left", "right", "level", "weight")


# ---- listing and reading proposals -----------------------------------------


def test_pending_proposals_are_listed_with_both_customers_and_the_evidence(
    client: Client, read_token: str, pair: Pair
) -> None:
    response = get(client, "/api/v1/merge-proposals", read_token)

    assert response.status_code == 200
    assert response.json() == {"items": [pending_json(pair)], "count": 1, "next_cursor": None}
    assert pair.proposal.interaction_id is not None


def test_one_proposal_reads_as_in_the_list(client: Client, read_token: str, pair: Pair) -> None:
    response = get(client, f"/api/v1/merge-proposals/{pair.proposal.pk}", read_token)

    assert response.status_code == 200
    assert response.json() == pending_json(pair)


def test_a_signed_in_agent_lists_proposals_of_customers_no_team_owns(
    agent_client: Client, pair: Pair
) -> None:
    response = agent_client.get("/api/v1/merge-proposals")

    assert [p["id"] for p in response.json()["items"]] == [pair.proposal.pk]


@pytest.mark.parametrize("proposal_id", ["0", "999999999", str(2**63), str(2**70)])
def test_an_unknown_proposal_is_404(
    client: Client, read_token: str, pair: Pair, proposal_id: str
) -> None:
    response = get(client, f"/api/v1/merge-proposals/{proposal_id}", read_token)

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": f"There is no merge proposal {proposal_id}",
    }


def test_the_status_filter_lists_decided_proposals(
    client: Client, read_token: str, agent_client: Client, pair: Pair
) -> None:
    post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/reject", {"note": "Twins"})

    pending = get(client, "/api/v1/merge-proposals", read_token)
    rejected = get(client, "/api/v1/merge-proposals", read_token, status="rejected")
    accepted = get(client, "/api/v1/merge-proposals", read_token, status="accepted")

    assert pending.json()["items"] == []
    assert [
        (p["id"], p["status"], p["decided_by"], p["decision_note"])
        for p in rejected.json()["items"]
    ] == [(pair.proposal.pk, "rejected", "agent", "Twins")]
    assert accepted.json()["items"] == []


@pytest.fixture
def five(source: Source) -> list[int]:
    """Five pending proposals, newest first."""
    pairs = [
        _pair(source, f"x{n}", {"email": f"x{n}@example.org"}, {"crm_id": f"X-{n}"})
        for n in range(5)
    ]
    return [p.proposal.pk for p in reversed(pairs)]


def walk(client: Client, token: str, **params: Any) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = get(client, "/api/v1/merge-proposals", token, **query).json()
        pages.append([p["id"] for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_pages_walk_every_proposal_once_newest_first(
    client: Client, read_token: str, five: list[int]
) -> None:
    assert walk(client, read_token, limit=2) == [five[:2], five[2:4], five[4:]]
    assert walk(client, read_token, limit=5) == [five]


def test_deciding_the_page_just_read_skips_nothing_on_the_next(
    client: Client, read_token: str, agent_client: Client, five: list[int]
) -> None:
    first = get(client, "/api/v1/merge-proposals", read_token, limit=2).json()
    for proposal in first["items"]:
        post(agent_client, f"/api/v1/merge-proposals/{proposal['id']}/reject")

    second = get(
        client, "/api/v1/merge-proposals", read_token, limit=2, cursor=first["next_cursor"]
    )

    assert [p["id"] for p in second.json()["items"]] == five[2:4]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        _b64(b"2026-11-02T10:00:00|3"),  # a naive time
        _b64(b"0001-01-01T00:00:00+05:00|3"),  # before year 1 in UTC
        _b64(b"2026-11-02T10:00:00+00:00|three"),
        _b64(b"\xff\xfe"),
    ],
    ids=["garbage", "naive", "overflow", "not an id", "not utf-8"],
)
def test_a_bad_cursor_is_422(client: Client, read_token: str, pair: Pair, cursor: str) -> None:
    response = get(client, "/api/v1/merge-proposals", read_token, cursor=cursor)

    assert response.status_code == 422
    assert response.json() == {
        "code": "bad_cursor",
        "message": "This cursor is not one CXM gave out; start again without it",
    }


def test_a_cursor_with_an_id_past_the_64_bit_range_still_answers(
    client: Client, read_token: str, pair: Pair
) -> None:
    cursor = _b64(b"2999-01-01T00:00:00+00:00|" + b"9" * 30)

    response = get(client, "/api/v1/merge-proposals", read_token, cursor=cursor)

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [pair.proposal.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "maybe"}, "status"), ({"limit": 0}, "limit"), ({"limit": 201}, "limit")],
)
def test_a_bad_status_or_limit_is_422(
    client: Client, read_token: str, db: None, params: dict[str, Any], field: str
) -> None:
    response = get(client, "/api/v1/merge-proposals", read_token, **params)

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_page_of_proposals_costs_one_query(
    source: Source, five: list[int], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        page = selectors.merge_proposal_page(actor=None, limit=3)
        summaries = [
            (p.customer_low.account, p.customer_high.account, p.decided_by) for p in page.items
        ]

    assert len(summaries) == 3


@pytest.mark.parametrize("token_scope", ["ingest", None])
def test_reading_proposals_needs_a_read_token(
    client: Client, source: Source, pair: Pair, token_scope: str | None
) -> None:
    token = (
        connector_services.token_create(source=source, scope=token_scope).secret
        if token_scope
        else None
    )

    listing = get(client, "/api/v1/merge-proposals", token)
    one = get(client, f"/api/v1/merge-proposals/{pair.proposal.pk}", token)

    assert (listing.status_code, one.status_code) == ((403, 403) if token else (401, 401))


# ---- accepting and rejecting ------------------------------------------------


def test_accepting_merges_the_customers_and_returns_the_merge(
    agent_client: Client, agent: User, pair: Pair
) -> None:
    response = post(
        agent_client,
        f"/api/v1/merge-proposals/{pair.proposal.pk}/accept",
        {"note": "  Same person, confirmed on the phone "},
    )

    event = MergeEvent.objects.get()
    pair.proposal.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "id": event.pk,
        "action": "merge",
        "survivor_id": pair.ann.pk,
        "merged_id": pair.bea.pk,
        "actor": "agent",
        "reason": "Same person, confirmed on the phone",
        "created_at": at(event.created_at),
        "undone": False,
        "undone_by": None,
        "undoes": None,
        "proposal": {
            "id": pair.proposal.pk,
            "status": "accepted",
            "method": "identifier",
            "score": None,
            "reason": pending_json(pair)["reason"],
            "evidence": pending_json(pair)["evidence"],
        },
    }
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id == pair.ann.pk
    assert (pair.proposal.status, pair.proposal.decided_by) == ("accepted", agent)
    assert event.actor == agent


def test_accepting_without_a_body_gives_the_merge_the_proposals_reason(
    agent_client: Client, pair: Pair
) -> None:
    response = post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept")

    assert response.status_code == 200
    assert response.json()["reason"] == pair.proposal.reason
    assert MergeEvent.objects.get().reason == pair.proposal.reason


def test_rejecting_keeps_the_customers_apart_and_returns_the_proposal(
    agent_client: Client, agent: User, pair: Pair
) -> None:
    response = post(
        agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/reject", {"note": "Sisters"}
    )

    pair.proposal.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        **pending_json(pair),
        "status": "rejected",
        "decided_at": at(pair.proposal.decided_at),
        "decided_by": "agent",
        "decision_note": "Sisters",
    }
    assert pair.proposal.decided_by == agent
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id is None
    assert not MergeEvent.objects.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.MERGE_REJECTED, object_id=str(pair.proposal.pk), actor=agent
    ).exists()


@pytest.mark.parametrize("first", ["accept", "reject"])
@pytest.mark.parametrize("second", ["accept", "reject"])
def test_a_second_decision_is_409(
    agent_client: Client, pair: Pair, first: str, second: str
) -> None:
    url = f"/api/v1/merge-proposals/{pair.proposal.pk}"
    assert post(agent_client, f"{url}/{first}").status_code == 200

    response = post(agent_client, f"{url}/{second}", {"note": "again"})

    word = {"accept": "merged", "reject": "rejected"}[first]
    assert response.status_code == 409
    assert response.json() == {
        "code": "proposal_decided",
        "message": f"This proposal is already {word}",
    }
    assert MergeEvent.objects.count() == (1 if first == "accept" else 0)
    pair.proposal.refresh_from_db()
    assert pair.proposal.decision_note != "again"


def test_accepting_a_pair_already_merged_another_way_is_409(
    source: Source, agent_client: Client, pair: Pair
) -> None:
    """Ann and Bea, then Cal tied to both: once two merges made them one, the
    third proposal has nothing left to merge."""
    cal = ingest_customer_line(source, "c-1", CAL)
    ingest_customer_line(source, "c-2", {"email": ANN["email"], "crm_id": CAL["crm_id"]})
    ingest_customer_line(source, "c-3", {"phone": BEA["phone"], "crm_id": CAL["crm_id"]})
    ann_cal = MergeProposal.objects.get(customer_low=pair.ann, customer_high_id=cal)
    bea_cal = MergeProposal.objects.get(customer_low=pair.bea, customer_high_id=cal)
    for proposal in (pair.proposal, ann_cal):
        assert (
            post(agent_client, f"/api/v1/merge-proposals/{proposal.pk}/accept").status_code == 200
        )

    response = post(agent_client, f"/api/v1/merge-proposals/{bea_cal.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {
        "code": "already_merged",
        "message": "These customers were already merged",
    }
    bea_cal.refresh_from_db()
    assert bea_cal.status == MergeProposalStatus.ACCEPTED


@pytest.mark.parametrize("proposal_id", ["0", "999999999", str(2**63)])
@pytest.mark.parametrize("decision", ["accept", "reject"])
def test_deciding_an_unknown_proposal_is_404(
    agent_client: Client, pair: Pair, proposal_id: str, decision: str
) -> None:
    response = post(agent_client, f"/api/v1/merge-proposals/{proposal_id}/{decision}")

    assert response.status_code == 404
    assert response.json()["message"] == f"There is no merge proposal {proposal_id}"


@pytest.mark.parametrize("scope", ["read", "ingest"])
@pytest.mark.parametrize("decision", ["accept", "reject"])
def test_a_read_or_ingest_token_cannot_decide(
    client: Client, source: Source, pair: Pair, scope: str, decision: str
) -> None:
    token = connector_services.token_create(source=source, scope=scope).secret

    response = post(client, f"/api/v1/merge-proposals/{pair.proposal.pk}/{decision}", token=token)

    assert response.status_code == 403
    assert response.json() == {
        "code": "forbidden",
        "message": f"This token's scope '{scope}' does not allow this operation; "
        "it needs one of: admin",
    }
    pair.proposal.refresh_from_db()
    assert pair.proposal.status == MergeProposalStatus.PENDING


def test_an_admin_token_decides_and_the_history_names_the_token(
    client: Client, admin_token: str, pair: Pair
) -> None:
    response = post(
        client,
        f"/api/v1/merge-proposals/{pair.proposal.pk}/reject",
        {"note": "Checked in billing"},
        token=admin_token,
    )

    assert response.status_code == 200
    decided_by = response.json()["decided_by"]
    assert decided_by.startswith("token ") and "admin" in decided_by
    pair.proposal.refresh_from_db()
    assert pair.proposal.status == MergeProposalStatus.REJECTED
    assert pair.proposal.decided_by is None and pair.proposal.decided_by_label == decided_by


def test_a_console_user_who_may_only_read_cannot_decide(db: None, pair: Pair) -> None:
    analyst = User.objects.create_user("analyst")
    access_services.membership_set(user=analyst, role=Role.ANALYST)
    client = Client()
    client.force_login(analyst)

    response = post(client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept")

    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "message": "Your role does not allow this"}
    assert get(client, f"/api/v1/merge-proposals/{pair.proposal.pk}").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"note": "x" * 2001}, "body.payload.note"),
        ({"note": 5}, "body.payload.note"),
        ("{not json", "(body)"),
    ],
    ids=["note too long", "note not text", "not json"],
)
@pytest.mark.parametrize("decision", ["accept", "reject"])
def test_a_bad_body_is_422_and_decides_nothing(
    agent_client: Client, pair: Pair, body: Any, field: str, decision: str
) -> None:
    response = post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/{decision}", body)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    pair.proposal.refresh_from_db()
    assert pair.proposal.status == MergeProposalStatus.PENDING


def test_a_note_of_the_longest_length_is_kept(agent_client: Client, pair: Pair) -> None:
    note = "x" * 2000

    response = post(
        agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/reject", {"note": note}
    )

    assert response.status_code == 200
    assert response.json()["decision_note"] == note


# ---- another team's customers ----------------------------------------------


@pytest.fixture
def north_agent(db: None) -> Client:
    north = access_services.team_get_or_create(name="North")
    user = User.objects.create_user("nadia")
    access_services.membership_set(user=user, role=Role.AGENT, teams=[north])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def south_pair(pair: Pair) -> Pair:
    south = access_services.team_get_or_create(name="South")
    Customer.objects.filter(pk__in=[pair.ann.pk, pair.bea.pk]).update(team=south)
    return pair


def test_another_teams_proposal_is_not_found_and_not_listed(
    north_agent: Client, south_pair: Pair
) -> None:
    url = f"/api/v1/merge-proposals/{south_pair.proposal.pk}"

    listing = north_agent.get("/api/v1/merge-proposals")
    one = north_agent.get(url)
    decisions = [post(north_agent, f"{url}/{d}", {"note": "mine"}) for d in ("accept", "reject")]
    empty = post(north_agent, f"{url}/accept")

    assert listing.json() == {"items": [], "count": 0, "next_cursor": None}
    assert one.status_code == 404
    assert [r.status_code for r in [*decisions, empty]] == [404, 404, 404]
    assert decisions[0].json() == {
        "code": "not_found",
        "message": f"There is no merge proposal {south_pair.proposal.pk}",
    }
    south_pair.proposal.refresh_from_db()
    assert south_pair.proposal.status == MergeProposalStatus.PENDING


def test_a_proposal_with_one_customer_of_another_team_is_hidden(
    north_agent: Client, pair: Pair
) -> None:
    """Ann is north's, Bea is south's: the proposal would show Bea's identifiers."""
    north = access_services.team_get_or_create(name="North")
    south = access_services.team_get_or_create(name="South")
    Customer.objects.filter(pk=pair.ann.pk).update(team=north)
    Customer.objects.filter(pk=pair.bea.pk).update(team=south)

    assert north_agent.get(f"/api/v1/merge-proposals/{pair.proposal.pk}").status_code == 404
    links = north_agent.get(f"/api/v1/customers/{pair.ann.pk}/links").json()
    assert links["proposals"] == []


def test_another_teams_customer_has_no_links_to_read(north_agent: Client, south_pair: Pair) -> None:
    response = north_agent.get(f"/api/v1/customers/{south_pair.ann.pk}/links")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": f"There is no customer {south_pair.ann.pk}",
    }
    assert not AuditEvent.objects.filter(action=AuditAction.CUSTOMER_VIEWED).exists()


def test_another_teams_merge_cannot_be_undone(
    north_agent: Client, agent_client: Client, pair: Pair
) -> None:
    merge = post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept").json()
    south = access_services.team_get_or_create(name="South")
    Customer.objects.filter(pk__in=[pair.ann.pk, pair.bea.pk]).update(team=south)

    response = post(north_agent, f"/api/v1/merges/{merge['id']}/undo", {"reason": "mine"})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": f"There is no merge {merge['id']}"}
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id == pair.ann.pk


# ---- links -----------------------------------------------------------------


def test_a_customer_never_linked_has_no_links(
    client: Client, read_token: str, source: Source
) -> None:
    cal = Customer.objects.get(pk=ingest_customer_line(source, "c-1", CAL))

    response = get(client, f"/api/v1/customers/{cal.pk}/links", read_token)

    assert response.status_code == 200
    assert response.json() == {
        "customer_id": cal.pk,
        "survivor_id": cal.pk,
        "customers": [linked(cal)],
        "merges": [],
        "proposals": [],
    }


def test_links_show_a_pending_proposal_and_record_the_read(
    client: Client, read_token: str, pair: Pair
) -> None:
    response = get(client, f"/api/v1/customers/{pair.bea.pk}/links", read_token)

    assert response.status_code == 200
    assert response.json() == {
        "customer_id": pair.bea.pk,
        "survivor_id": pair.bea.pk,
        "customers": [linked(pair.bea)],
        "merges": [],
        "proposals": [pending_json(pair)],
    }
    read = AuditEvent.objects.get(action=AuditAction.CUSTOMER_VIEWED)
    assert (read.object_type, read.object_id, read.detail) == (
        "customer",
        str(pair.bea.pk),
        {"via": "api links"},
    )
    assert read.actor_label.startswith("token ") and read.actor_label.endswith("(zendesk, read)")


@pytest.mark.parametrize("customer_id", ["0", "999999999", str(2**63), str(2**70)])
def test_links_of_an_unknown_customer_are_404(
    client: Client, read_token: str, db: None, customer_id: str
) -> None:
    response = get(client, f"/api/v1/customers/{customer_id}/links", read_token)

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": f"There is no customer {customer_id}",
    }


def test_links_need_a_read_token(client: Client, ingest_token: str, pair: Pair) -> None:
    assert get(client, f"/api/v1/customers/{pair.ann.pk}/links", ingest_token).status_code == 403
    assert get(client, f"/api/v1/customers/{pair.ann.pk}/links").status_code == 401


def test_links_of_a_group_show_every_merge_and_the_proposals_of_any_member(
    source: Source, client: Client, read_token: str, agent_client: Client, pair: Pair
) -> None:
    """Ann, Bea merged into her, and Cal, once tied to Bea: asking about Bea
    answers for Ann's group, with the proposal still pending between Bea and Cal."""
    cal = Customer.objects.get(pk=ingest_customer_line(source, "c-1", CAL))
    ingest_customer_line(source, "c-2", {"phone": BEA["phone"], "crm_id": CAL["crm_id"]})
    bea_cal = MergeProposal.objects.get(customer_low=pair.bea, customer_high=cal)
    merge = post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept").json()

    response = get(client, f"/api/v1/customers/{pair.bea.pk}/links", read_token)

    body = response.json()
    assert response.status_code == 200
    assert (body["customer_id"], body["survivor_id"]) == (pair.bea.pk, pair.ann.pk)
    assert body["customers"] == [linked(pair.ann), linked(pair.bea, merged_into=pair.ann.pk)]
    assert body["merges"] == [merge]
    assert [(p["id"], p["status"]) for p in body["proposals"]] == [(bea_cal.pk, "pending")]
    assert body["proposals"][0]["customer_high"] == linked(cal)
    assert get(client, f"/api/v1/customers/{pair.ann.pk}/links", read_token).json() == {
        **body,
        "customer_id": pair.ann.pk,
    }


def test_links_after_an_un_merge_show_the_undone_merge_and_the_pair_kept_apart(
    client: Client, read_token: str, agent_client: Client, pair: Pair
) -> None:
    merge = post(
        agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept", {"note": "Same"}
    ).json()
    undo = post(agent_client, f"/api/v1/merges/{merge['id']}/undo", {"reason": "Mother, daughter"})

    response = get(client, f"/api/v1/customers/{pair.ann.pk}/links", read_token)

    unmerge = MergeEvent.objects.get(action="unmerge")
    pair.proposal.refresh_from_db()
    basis = {**merge["proposal"], "status": "rejected"}
    assert undo.status_code == 200
    assert undo.json() == {
        "id": unmerge.pk,
        "action": "unmerge",
        "survivor_id": pair.ann.pk,
        "merged_id": pair.bea.pk,
        "actor": "agent",
        "reason": "Mother, daughter",
        "created_at": at(unmerge.created_at),
        "undone": False,
        "undone_by": None,
        "undoes": merge["id"],
        "proposal": basis,
    }
    assert response.json() == {
        "customer_id": pair.ann.pk,
        "survivor_id": pair.ann.pk,
        "customers": [linked(pair.ann)],
        "merges": [
            undo.json(),
            {**merge, "undone": True, "undone_by": unmerge.pk, "proposal": basis},
        ],
        "proposals": [
            {
                **pending_json(pair),
                "status": "rejected",
                "decided_at": at(pair.proposal.decided_at),
                "decided_by": "agent",
                "decision_note": "Un-merged: Mother, daughter",
            }
        ],
    }
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id is None


def test_links_after_an_automatic_merge_show_the_models_evidence(
    client: Client, read_token: str, source: Source
) -> None:
    people = _load(source, PEOPLE + [_filler(n) for n in range(300)])
    customers_dedupe(auto_threshold=0.99, review_threshold=0.8)
    event = MergeEvent.objects.get()
    proposal = event.proposal
    assert proposal is not None

    response = get(client, f"/api/v1/customers/{people['2']}/links", read_token)

    body = response.json()
    assert response.status_code == 200
    assert (body["customer_id"], body["survivor_id"]) == (people["2"], people["1"])
    assert [(c["id"], c["merged_into"]) for c in body["customers"]] == [
        (people["1"], None),
        (people["2"], people["1"]),
    ]
    [merge] = body["merges"]
    assert (merge["id"], merge["action"], merge["actor"], merge["undone"]) == (
        event.pk,
        "merge",
        "CXM",
        False,
    )
    assert merge["reason"] == event.reason
    assert merge["reason"].startswith("Automatic merge. Match probability ")
    basis = merge["proposal"]
    assert (basis["method"], basis["status"]) == ("probabilistic", "accepted")
    assert basis["score"] == proposal.score and basis["score"] >= 0.99
    by_comparison = {e["comparison"]: e for e in basis["evidence"]}
    stored = {e["comparison"]: e for e in proposal.evidence}
    # The level's name is the match model's to choose; the values compared are the point.
    assert by_comparison["first name"] == {
        "kind": None,
        "value": None,
        "comparison": "first name",
        "left": "jon",
        "right": "john",
        "level": stored["first name"]["level"],
        "weight": stored["first name"]["weight"],
    }
    assert by_comparison["first name"]["weight"] > 0
    assert len(basis["evidence"]) == len(proposal.evidence)
    assert by_comparison["date of birth"]["left"] == by_comparison["date of birth"]["right"]
    assert by_comparison["date of birth"]["level"] == stored["date of birth"]["level"]
    assert body["proposals"] == []


def test_older_probabilistic_evidence_without_values_reads_as_nulls(
    client: Client, read_token: str, pair: Pair
) -> None:
    MergeProposal.objects.filter(pk=pair.proposal.pk).update(
        method="probabilistic",
        score=0.93,
        evidence=[
            {"comparison": "surname", "level": "exact", "weight": 3.2},
            {"comparison": "city", "level": "no data", "weight": 0},
            {"comparison": "odd", "level": 2, "weight": "3.2", "left": True},
            "not an object",
        ],
    )

    response = get(client, f"/api/v1/merge-proposals/{pair.proposal.pk}", read_token)

    assert response.status_code == 200
    assert (response.json()["method"], response.json()["score"]) == ("probabilistic", 0.93)
    assert response.json()["evidence"] == [
        {
            "kind": None,
            "value": None,
            "comparison": "surname",
            "left": None,
            "right": None,
            "level": "exact",
            "weight": 3.2,
        },
        {
            "kind": None,
            "value": None,
            "comparison": "city",
            "left": None,
            "right": None,
            "level": "no data",
            "weight": 0.0,
        },
        {
            "kind": None,
            "value": None,
            "comparison": "odd",
            "left": "True",
            "right": None,
            "level": "2",
            "weight": None,
        },
    ]


# ---- undoing a merge ---------------------------------------------------------


@pytest.fixture
def merged(agent_client: Client, pair: Pair) -> int:
    response = post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept")
    assert response.status_code == 200
    return int(response.json()["id"])


@pytest.mark.parametrize("body", [None, {}, {"reason": "   "}], ids=["no body", "{}", "blank"])
def test_an_undo_without_a_reason_is_422(
    agent_client: Client, pair: Pair, merged: int, body: Any
) -> None:
    response = post(agent_client, f"/api/v1/merges/{merged}/undo", body)

    assert response.status_code == 422
    assert response.json() == {
        "code": "reason_required",
        "message": "Say why these customers are different people",
    }
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id == pair.ann.pk


def test_an_undo_reason_too_long_is_422(agent_client: Client, pair: Pair, merged: int) -> None:
    response = post(agent_client, f"/api/v1/merges/{merged}/undo", {"reason": "x" * 2001})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["body.payload.reason"]
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id == pair.ann.pk


def test_a_second_undo_is_409(agent_client: Client, merged: int) -> None:
    assert post(agent_client, f"/api/v1/merges/{merged}/undo", {"reason": "No"}).status_code == 200

    again = post(agent_client, f"/api/v1/merges/{merged}/undo", {"reason": "No"})
    unmerge_id = MergeEvent.objects.get(action="unmerge").pk
    of_unmerge = post(agent_client, f"/api/v1/merges/{unmerge_id}/undo", {"reason": "No"})

    assert (again.status_code, again.json()["code"]) == (409, "already_unmerged")
    assert again.json()["message"] == "This merge was already undone"
    assert (of_unmerge.status_code, of_unmerge.json()["code"]) == (409, "not_a_merge")


@pytest.mark.parametrize("event_id", ["0", "999999999", str(2**63)])
def test_undoing_an_unknown_merge_is_404(agent_client: Client, db: None, event_id: str) -> None:
    response = post(agent_client, f"/api/v1/merges/{event_id}/undo", {"reason": "No"})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": f"There is no merge {event_id}"}


def test_a_read_token_cannot_undo_and_an_admin_token_can(
    client: Client, read_token: str, admin_token: str, pair: Pair, merged: int
) -> None:
    url = f"/api/v1/merges/{merged}/undo"

    by_reader = post(client, url, {"reason": "No"}, token=read_token)
    assert (by_reader.status_code, by_reader.json()["code"]) == (403, "forbidden")
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id == pair.ann.pk

    by_admin = post(client, url, {"reason": "Different people"}, token=admin_token)
    assert by_admin.status_code == 200
    assert Customer.objects.get(pk=pair.bea.pk).merged_into_id is None
    undo = MergeEvent.objects.get(action="unmerge")
    assert undo.actor is None and undo.actor_label.startswith("token ")


def test_a_merge_with_another_teams_customer_is_left_out_of_the_links(
    north_agent: Client, agent_client: Client, client: Client, read_token: str, pair: Pair
) -> None:
    """Bea (south) was merged into Ann (north): north sees Ann's group without Bea's
    row and without the merge, whose evidence shows Bea's identifiers."""
    post(agent_client, f"/api/v1/merge-proposals/{pair.proposal.pk}/accept")
    Customer.objects.filter(pk=pair.ann.pk).update(
        team=access_services.team_get_or_create(name="North")
    )
    Customer.objects.filter(pk=pair.bea.pk).update(
        team=access_services.team_get_or_create(name="South")
    )

    response = north_agent.get(f"/api/v1/customers/{pair.ann.pk}/links")

    assert response.status_code == 200
    assert response.json() == {
        "customer_id": pair.ann.pk,
        "survivor_id": pair.ann.pk,
        "customers": [linked(pair.ann)],
        "merges": [],
        "proposals": [],
    }
    everything = get(client, f"/api/v1/customers/{pair.ann.pk}/links", read_token).json()
    assert (len(everything["customers"]), len(everything["merges"])) == (2, 1)


def test_links_of_a_merge_made_by_hand_put_its_survivor_first(
    client: Client, read_token: str, pair: Pair
) -> None:
    """Bea kept, Ann merged into her, without the proposal: no evidence to show,
    and the proposal still waits for a person."""
    event = customer_services.customer_merge(
        survivor=pair.bea, merged=pair.ann, actor=None, reason="The CRM says so"
    )

    response = get(client, f"/api/v1/customers/{pair.ann.pk}/links", read_token)

    assert response.json() == {
        "customer_id": pair.ann.pk,
        "survivor_id": pair.bea.pk,
        "customers": [linked(pair.bea), linked(pair.ann, merged_into=pair.bea.pk)],
        "merges": [
            {
                "id": event.pk,
                "action": "merge",
                "survivor_id": pair.bea.pk,
                "merged_id": pair.ann.pk,
                "actor": "CXM",
                "reason": "The CRM says so",
                "created_at": at(event.created_at),
                "undone": False,
                "undone_by": None,
                "undoes": None,
                "proposal": None,
            }
        ],
        "proposals": [
            {**pending_json(pair), "customer_low": linked(pair.ann, merged_into=pair.bea.pk)}
        ],
    }
