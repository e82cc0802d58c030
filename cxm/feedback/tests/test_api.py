"""The feedback API: surveys, invitations, the summary and the closed loop."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.customers.models import Customer
from cxm.feedback import services
from cxm.feedback.enums import SurveyKind
from cxm.feedback.models import FollowUp, Survey


def call(client: Client, method: str, url: str, body: Any = None, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "get":
        return client.get(url, body or {}, headers=headers)
    return client.post(
        url, data=json.dumps(body or {}), content_type="application/json", headers=headers
    )


@pytest.fixture
def survey(db: None) -> Survey:
    return services.survey_create(
        name="Relationship", kind=SurveyKind.NPS, question="How likely?", comment_question="Why?"
    )


def test_an_admin_token_creates_a_survey_and_bad_settings_get_422(
    client: Client, admin_token: str, read_token: str
) -> None:
    body = {
        "name": "After support",
        "kind": "csat",
        "question": "How satisfied were you?",
        "triggers": ["case_resolved"],
        "daily_cap": 200,
    }
    created = call(client, "post", "/api/v1/surveys", body, admin_token)
    assert created.status_code == 201
    assert created.json()["triggers"] == ["case_resolved"]
    assert call(client, "post", "/api/v1/surveys", body, read_token).status_code == 403
    bad = call(client, "post", "/api/v1/surveys", {**body, "kind": "stars"}, admin_token)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.payload.kind"
    listed = call(client, "get", "/api/v1/surveys", token=read_token)
    assert [s["name"] for s in listed.json()["items"]] == ["After support"]


def test_invitations_report_each_customer_invited_or_held_back(
    client: Client, admin_token: str, survey: Survey
) -> None:
    ada, bob = (Customer.objects.create(display_name=n) for n in ("Ada", "Bob"))
    first = call(
        client,
        "post",
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"customer_ids": [ada.pk], "segments": {str(ada.pk): {"plan": "Fibre 900"}}},
        admin_token,
    )
    assert first.status_code == 200
    [invited] = first.json()["invited"]
    assert invited["customer_id"] == ada.pk
    assert invited["link"].startswith("http://testserver/s/")
    assert client.get(invited["link"].removeprefix("http://testserver")).status_code == 200

    second = call(
        client,
        "post",
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"customer_ids": [ada.pk, bob.pk, 0]},
        admin_token,
    )
    body = second.json()
    assert [i["customer_id"] for i in body["invited"]] == [bob.pk]
    assert [h["customer_id"] for h in body["held_back"]] == [ada.pk, 0]
    assert body["held_back"][1]["reason"] == "no such customer"

    missing = call(
        client, "post", "/api/v1/surveys/999/invitations", {"customer_ids": [1]}, admin_token
    )
    assert missing.status_code == 404
    empty = call(
        client,
        "post",
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"customer_ids": []},
        admin_token,
    )
    assert empty.status_code == 422


def _answers(survey: Survey, scores: list[int], **fields: str) -> None:
    customers = [Customer.objects.create(display_name="x", **fields) for _ in scores]
    invited = services.invitations_send(survey=survey, customer_ids=[c.pk for c in customers])
    for invitation, score in zip(invited.invited, scores, strict=True):
        services.response_record(invitation=invitation, score=score)


def test_the_summary_gives_every_figure_with_its_n_and_interval(
    client: Client, read_token: str, survey: Survey
) -> None:
    rng = random.Random(5)
    _answers(survey, [rng.choice((9, 10, 10, 8)) for _ in range(120)], kind="residential")
    _answers(survey, [rng.choice((0, 3, 6, 7, 9)) for _ in range(60)], kind="business")
    page = call(client, "get", f"/api/v1/surveys/{survey.pk}/summary", token=read_token)
    assert page.status_code == 200
    body = page.json()
    assert body["n"] == 180
    headline = body["headline"]
    assert set(headline) >= {"value", "adjusted", "low", "high", "n"}
    assert headline["low"] < headline["value"] < headline["high"]
    assert len(body["distribution"]) == 11
    flagged = [(s["segment"], s["value"]) for s in body["segments"] if s["below"]]
    assert flagged == [("kind", "business")]
    assert body["funnel"]["invited"] == 180

    only = call(
        client,
        "get",
        f"/api/v1/surveys/{survey.pk}/summary",
        {"segment": "kind=business"},
        read_token,
    ).json()
    assert only["n"] == 60

    for params, message in (
        ({"segment": "kind"}, "is not dimension=value"),
        ({"segment": "shoe=42"}, "is not dimension=value"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "'since' is after 'until'"),
    ):
        refused = call(client, "get", f"/api/v1/surveys/{survey.pk}/summary", params, read_token)
        assert refused.status_code == 422
        assert message in refused.json()["message"]
    assert (
        call(
            client,
            "get",
            f"/api/v1/surveys/{survey.pk}/summary",
            {"since": "yesterday"},
            read_token,
        ).status_code
        == 422
    )


def test_a_summary_with_no_answers_says_so_with_nulls_not_nan(
    client: Client, read_token: str, survey: Survey
) -> None:
    body = call(client, "get", f"/api/v1/surveys/{survey.pk}/summary", token=read_token).json()
    assert body["n"] == 0
    assert body["headline"]["value"] is None
    assert body["weighting"] is None


def test_follow_ups_are_listed_for_the_team_and_closed_with_what_was_done(
    client: Client, survey: Survey
) -> None:
    north = access_services.team_get_or_create(name="North")
    south = access_services.team_get_or_create(name="South")
    agent = User.objects.create_user("north-agent")
    access_services.membership_set(user=agent, role=Role.AGENT, teams=[north])
    _answers(survey, [2], team=north)  # type: ignore[arg-type]
    _answers(survey, [1], team=south)  # type: ignore[arg-type]
    mine, theirs = FollowUp.objects.order_by("pk")
    client.force_login(agent)
    listed = client.get("/api/v1/follow-ups").json()["items"]
    assert [f["id"] for f in listed] == [mine.pk]
    assert listed[0]["reason"] == "NPS 2: a detractor"

    assert (
        call(
            client, "post", f"/api/v1/follow-ups/{theirs.pk}/close", {"outcome": "Called"}
        ).status_code
        == 404
    )
    assert (
        call(client, "post", f"/api/v1/follow-ups/{mine.pk}/close", {"outcome": ""}).status_code
        == 422
    )
    closed = call(
        client,
        "post",
        f"/api/v1/follow-ups/{mine.pk}/close",
        {"outcome": "Called back, credit applied"},
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "done"
    assert client.get("/api/v1/follow-ups").json()["items"] == []
    assert [
        f["id"] for f in client.get("/api/v1/follow-ups", {"status": "all"}).json()["items"]
    ] == [mine.pk]


def test_a_supervisor_reads_the_summary_of_their_teams_customers_only(
    client: Client, survey: Survey
) -> None:
    north = access_services.team_get_or_create(name="North")
    south = access_services.team_get_or_create(name="South")
    boss = User.objects.create_user("north-boss")
    access_services.membership_set(user=boss, role=Role.SUPERVISOR, teams=[north])
    _answers(survey, [10] * 5, team=north)  # type: ignore[arg-type]
    _answers(survey, [0] * 7, team=south)  # type: ignore[arg-type]
    client.force_login(boss)
    body = client.get(f"/api/v1/surveys/{survey.pk}/summary").json()
    assert (body["n"], body["headline"]["value"], body["funnel"]["invited"]) == (5, 100.0, 5)
    analyst = User.objects.create_user("analyst")
    access_services.membership_set(user=analyst, role=Role.ANALYST)
    client.force_login(analyst)
    assert client.get(f"/api/v1/surveys/{survey.pk}/summary").json()["n"] == 12
