"""Two teams' customers, users of every role, tokens of every scope.

Agents and supervisors work the north team; the south team's customers, their
merge proposal, their merge and their follow-up are what they must never reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.access.models import Team
from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import ApiToken, Source, TokenScope
from cxm.customers import services as customer_services
from cxm.customers.models import Customer, MergeEvent, MergeProposal
from cxm.feedback import services as feedback_services
from cxm.feedback.models import FollowUp, Survey
from cxm.insights.models import TopicSuggestion
from cxm.journeys import services as journey_services
from cxm.journeys.models import Purchase
from cxm.promises import services as promise_services
from cxm.promises.models import Promise, PromiseSuggestion

PASSWORD = "a-long-test-passphrase"


@dataclass
class World:
    north: Team
    south: Team
    nora: Customer  # north
    sam: Customer  # south
    proposal: MergeProposal  # between two south customers
    merge: MergeEvent  # of two south customers
    survey: Survey
    follow_up: FollowUp  # of Sam's detractor answer
    suggestion: TopicSuggestion  # of south texts
    promise: Promise  # made to Sam, broken (with its alert)
    promise_suggestion: PromiseSuggestion  # from an agent's message to Sam
    purchase: Purchase  # Sam's
    users: dict[str, User]
    tokens: dict[str, str]
    token_rows: dict[str, ApiToken]
    source: Source


def _ingest(source: Source, external_id: str, customer: dict[str, Any]) -> int:
    return ingest_customer_line(
        source, external_id, customer, subject="Line down", body=f"Message {external_id}"
    )


@pytest.fixture
def world(db: None) -> World:
    source = connector_services.source_get_or_create(name="helpdesk")
    north = access_services.team_get_or_create(name="North")
    south = access_services.team_get_or_create(name="South")

    nora = Customer.objects.get(
        pk=_ingest(source, "n1", {"email": "nora.north@example.org", "name": "Nora North"})
    )
    sam = Customer.objects.get(
        pk=_ingest(source, "s1", {"email": "sam.south@example.org", "name": "Sam Southgate"})
    )
    sid = Customer.objects.get(pk=_ingest(source, "s2", {"phone": "+44 20 7946 0001"}))
    # One message carrying both Sam's email and Sid's phone proposes a merge.
    _ingest(source, "s3", {"email": "sam.south@example.org", "phone": "+44 20 7946 0001"})
    proposal = MergeProposal.objects.get()
    sue = Customer.objects.get(
        pk=_ingest(source, "s4", {"email": "sue.south@example.org", "name": "Sue Southwell"})
    )
    sal = Customer.objects.get(pk=_ingest(source, "s5", {"crm_id": "S-5"}))
    Customer.objects.filter(pk=nora.pk).update(team=north)
    Customer.objects.filter(pk__in=[sam.pk, sid.pk, sue.pk, sal.pk]).update(team=south)
    merge = customer_services.customer_merge(
        survivor=sue, merged=sal, actor=None, reason="Same person, says the CRM"
    )

    users: dict[str, User] = {}
    for role in Role.values:
        user = User.objects.create_user(role, password=PASSWORD)
        access_services.membership_set(user=user, role=role, teams=[north])
        users[role] = user
    users["norole"] = User.objects.create_user("norole", password=PASSWORD)

    tokens, rows = {}, {}
    for scope in TokenScope.values:
        issued = connector_services.token_create(source=source, scope=scope)
        tokens[scope], rows[scope] = issued.secret, issued.token
    survey = feedback_services.survey_create(name="Relationship", kind="nps", question="Likely?")
    [invitation] = feedback_services.invitations_send(survey=survey, customer_ids=[sam.pk]).invited
    response = feedback_services.response_record(invitation=invitation, score=2)
    suggestion = TopicSuggestion.objects.create(
        discovered_at=response.created_at,
        terms=["line", "down"],
        phrases=["line down"],
        size=1,
        interaction_ids=[sam.interactions.values_list("pk", flat=True).first()],
        quote_ids=[],
    )

    # An agent promised Sam a call back, and the date passed without it.
    sam_line = ingest_customer_line(
        source,
        "s6",
        {"email": "sam.south@example.org"},
        direction="outbound",
        body="We will call you back tomorrow.",
    )
    promise = promise_services.promise_create(
        actor=None,
        promise=promise_services.PromiseIn(
            customer_id=sam_line,
            kind="call_back",
            title="Call Sam back",
            made_at="2026-11-02T09:15:00+00:00",
            due_at="2026-11-03T17:00:00+00:00",
        ),
    )
    promise_services.promises_sweep(now=promise.due_at)
    promise.refresh_from_db()
    purchase = journey_services.purchase_record(
        actor=None, purchase=journey_services.PurchaseIn(product="fibre-500", customer_id=sam.pk)
    )

    nora.refresh_from_db()
    sam.refresh_from_db()
    return World(
        north,
        south,
        nora,
        sam,
        proposal,
        merge,
        survey,
        response.follow_up,
        suggestion,
        promise,
        PromiseSuggestion.objects.get(customer=sam),
        purchase,
        users,
        tokens,
        rows,
        source,
    )
