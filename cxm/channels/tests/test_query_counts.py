"""The charter and the scorecards read in a fixed number of queries, however many
channels and cases there are (the counts are pinned here, authentication included
for the API)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cxm.cases import services as case_services
from cxm.cases.models import Case
from cxm.channels import selectors, services
from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import Source, TokenScope
from cxm.feedback import services as feedback_services

CHANNELS = ("email", "chat", "sms", "web", "social", "phone")
ALWAYS = {
    "timezone": "UTC",
    "weekly": {d: [["00:00", "00:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}
# The entries, the cases of the last 30 days, the first responses past their target.
CHARTER = 3
# Cases, recontacts, inbound messages with their sentiment, then CSAT and CES.
SCORECARDS = 5
TOKEN = 1


def _channels(source: Source, channels: int, per_channel: int) -> None:
    """A charter entry for each channel, and ``per_channel`` customers writing on
    it (ingest routes a small batch into cases at once), every other one answered
    and one of them rating the answer in a CSAT survey."""
    start = timezone.now() - timedelta(days=2)
    survey = feedback_services.survey_create(name="After a case", kind="csat", question="Happy?")
    for index, channel in enumerate(CHANNELS[:channels]):
        services.charter_set(
            actor=None,
            channel=channel,
            entry=services.CharterIn(
                name=channel.capitalize(),
                how_to_reach=f"by {channel}",
                hours=ALWAYS,
                handles="Anything",
                target_first_response_minutes=30,
                position=index,
            ),
        )
        case_services.sla_policy_set(
            actor=None, policy=case_services.PolicyIn(channel, 3, 30, 60, 480)
        )
        for k in range(per_channel):
            customer = {"email": f"{channel}{k}@example.org", "name": f"{channel} {k}"}
            at = start + timedelta(minutes=k)
            ingest_customer_line(
                source, f"{channel}-in-{k}", customer, channel=channel,
                occurred_at=at.isoformat(), body="Still no signal at home.",
            )  # fmt: skip
            if k % 2:
                ingest_customer_line(
                    source, f"{channel}-out-{k}", customer, channel=channel,
                    direction="outbound", occurred_at=(at + timedelta(minutes=20)).isoformat(),
                    body="An engineer is on the way.",
                )  # fmt: skip
        rated = Case.objects.filter(channel=channel).order_by("pk").first()
        assert rated is not None
        [invitation] = feedback_services.invitations_send(
            survey=survey,
            customer_ids=[rated.customer_id],
            segments={rated.customer_id: {"channel": channel}},
        ).invited
        feedback_services.response_record(invitation=invitation, score=4)
    assert Case.objects.count() == channels * per_channel


@pytest.mark.parametrize(("channels", "per_channel"), [(2, 2), (6, 5)])
def test_the_charter_is_three_queries(
    db: None, source: Source, channels: int, per_channel: int, django_assert_num_queries: Any
) -> None:
    _channels(source, channels, per_channel)

    with django_assert_num_queries(CHARTER):
        lines = selectors.charter()

    assert [line.entry.channel for line in lines] == list(CHANNELS[:channels])
    assert {line.measured.answered for line in lines} == {per_channel // 2}


@pytest.mark.parametrize(("channels", "per_channel"), [(2, 2), (6, 5)])
def test_the_scorecards_are_five_queries(
    db: None, source: Source, channels: int, per_channel: int, django_assert_num_queries: Any
) -> None:
    _channels(source, channels, per_channel)
    token = connector_services.token_create(source=source, scope=TokenScope.READ).token

    with django_assert_num_queries(SCORECARDS):
        cards = selectors.scorecards(actor=token, days=30)

    assert [card.channel for card in cards.cards] == sorted(
        CHANNELS[:channels], key=["phone", "sms", "email", "chat", "social", "web"].index
    )
    assert {(card.cases, card.satisfaction_n) for card in cards.cards} == {(per_channel, 1)}


@pytest.mark.parametrize(("channels", "per_channel"), [(2, 2), (6, 5)])
def test_the_charter_and_scorecards_api(
    db: None, source: Source, channels: int, per_channel: int, django_assert_num_queries: Any
) -> None:
    _channels(source, channels, per_channel)
    secret = connector_services.token_create(source=source, scope=TokenScope.READ).secret
    client = Client()
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    # Public: no authentication to read.
    with django_assert_num_queries(CHARTER):
        charter = client.get("/api/v1/charter")
    # The first request with a token also writes when it was used.
    with django_assert_num_queries(TOKEN + 1 + SCORECARDS):
        first = client.get("/api/v1/scorecards", **auth)
    with django_assert_num_queries(TOKEN + SCORECARDS):
        again = client.get("/api/v1/scorecards?days=7", **auth)

    assert charter.status_code == first.status_code == again.status_code == 200
    assert len(charter.json()["channels"]) == len(first.json()["channels"]) == channels
