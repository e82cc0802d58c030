"""The journeys API: a customer's journey and health, sales and milestones, reports, settings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import Source, TokenScope
from cxm.journeys import services
from cxm.journeys.models import Purchase


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.generic(method, url, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def agent_client(db: None) -> Client:
    user = User.objects.create_user("agnes", password="a-long-test-passphrase")
    access_services.membership_set(user=user, role=Role.AGENT)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def field(db: None) -> Source:
    return connector_services.source_get_or_create(name="field-service")


@pytest.fixture
def fibre(admin_client: Client) -> None:
    for key, name, days, value in (
        ("installed", "Installed", 7, False),
        ("first_value", "First value", 21, True),
    ):
        response = send(
            admin_client,
            "PUT",
            f"/api/v1/milestones/fibre-500/{key}",
            {
                "name": name,
                "target_days": days,
                "marks_value": value,
                "evidence_rule": {"source": "field-service", "attributes": {"job": key}},
            },
        )
        assert response.status_code == 200, response.content


def test_a_sale_its_onboarding_and_the_customers_journey(
    agent_client: Client, field: Source, fibre: None
) -> None:
    now = timezone.now()
    ann = ingest_customer_line(
        field,
        "hello",
        {"email": "ann@example.org", "name": "Ann"},
        occurred_at=(now - timedelta(days=30)).isoformat(),
    )

    sold = send(
        agent_client,
        "POST",
        f"/api/v1/customers/{ann}/purchases",
        {"product": "fibre-500", "sold_at": (now - timedelta(days=20)).isoformat()},
    )
    ingest_customer_line(
        field,
        "job",
        {"email": "ann@example.org"},
        occurred_at=(now - timedelta(days=15)).isoformat(),
        attributes={"job": "installed"},
    )
    journey = agent_client.get(f"/api/v1/customers/{ann}/journey").json()

    assert sold.status_code == 201, sold.content
    # Sold 20 days ago and not installed yet (target 7 days) when recorded.
    assert sold.json()["state"] == "behind"
    assert journey["stage"] == "onboarding"
    assert [s["stage"] for s in journey["stages"]] == ["prospect", "sale", "onboarding"]
    [onboarding] = journey["onboarding"]
    assert [(m["key"], m["state"]) for m in onboarding["milestones"]] == [
        ("installed", "reached"),
        ("first_value", "to come"),
    ]
    health = agent_client.get(f"/api/v1/customers/{ann}/health").json()
    assert health["tier"] in ("healthy", "watch", "at_risk")
    assert {c["component"] for c in health["components"]} == {
        "promises",
        "time_to_value",
        "sentiment",
        "contact",
        "cases",
        "surveys",
    }
    time_to_value = next(c for c in health["components"] if c["component"] == "time_to_value")
    assert (time_to_value["score"], time_to_value["why"]) == (1.0, "onboarding on track")
    assert sum(c["points"] for c in health["components"]) == pytest.approx(health["score"], abs=0.2)


def test_milestones_by_hand_and_bad_requests(
    agent_client: Client, field: Source, fibre: None
) -> None:
    ann = ingest_customer_line(field, "hello", {"email": "ann@example.org"})
    purchase = services.purchase_record(
        actor=None, purchase=services.PurchaseIn(product="fibre-500", customer_id=ann)
    )

    reached = send(
        agent_client,
        "POST",
        f"/api/v1/purchases/{purchase.pk}/milestones/installed",
        {"note": "Ann rang: the engineer came"},
    )
    twice = send(
        agent_client,
        "POST",
        f"/api/v1/purchases/{purchase.pk}/milestones/installed",
        {"note": "again"},
    )
    unknown = send(
        agent_client, "POST", f"/api/v1/purchases/{purchase.pk}/milestones/moon", {"note": "x"}
    )
    no_note = send(agent_client, "POST", f"/api/v1/purchases/{purchase.pk}/milestones/installed")

    assert reached.status_code == 201 and reached.json()["key"] == "installed"
    assert twice.status_code == 409
    assert unknown.status_code == 404
    assert no_note.status_code == 422 and no_note.json()["message"] == "note is required"
    bad_stage = send(
        agent_client, "POST", f"/api/v1/customers/{ann}/stage", {"stage": "nirvana", "note": "x"}
    )
    assert bad_stage.status_code == 422
    assert send(agent_client, "POST", "/api/v1/customers/999999/stage", {}).status_code == 404
    ended = send(agent_client, "POST", f"/api/v1/purchases/{purchase.pk}/end")
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None


def test_sales_come_from_an_order_system(client: Client, field: Source) -> None:
    ann = ingest_customer_line(field, "hello", {"email": "ann@example.org"})
    shop = connector_services.source_get_or_create(name="shop")
    token = connector_services.token_create(source=shop, scope=TokenScope.INGEST).secret
    body = (
        json.dumps(
            {
                "external_id": "SO-1",
                "customer": {"email": "ann@example.org"},
                "product": "fibre-500",
            }
        )
        + "\n"
        + json.dumps({"external_id": "SO-2"})
    )

    report = client.post(
        "/api/v1/purchases/bulk",
        data=body.encode(),
        content_type="application/x-ndjson",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()

    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert report["errors"][0]["line"] == 2
    assert Purchase.objects.get().customer_id == ann


def test_only_administrators_change_stage_rules_and_weights(
    agent_client: Client, admin_client: Client
) -> None:
    created = send(
        admin_client,
        "POST",
        "/api/v1/stage-rules",
        {
            "name": "Complained about renewal price",
            "trigger": "interaction",
            "to_stage": "renewal",
            "match": {"phrases": ["renewal price"]},
            "from_stages": ["steady"],
        },
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    changed = send(
        admin_client, "PUT", f"/api/v1/stage-rules/{rule['id']}", {**rule, "enabled": False}
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert send(agent_client, "POST", "/api/v1/stage-rules", rule).status_code == 403
    assert send(admin_client, "DELETE", f"/api/v1/stage-rules/{rule['id']}").status_code == 204
    assert send(admin_client, "DELETE", f"/api/v1/stage-rules/{rule['id']}").status_code == 404
    weight = send(admin_client, "PUT", "/api/v1/health-weights/surveys", {"weight": 0.5})
    assert weight.json() == {"component": "surveys", "name": "Survey answers", "weight": 0.5}
    weights = {
        w["component"]: w["weight"]
        for w in agent_client.get("/api/v1/health-weights").json()["items"]
    }
    assert weights["surveys"] == 0.5 and weights["promises"] == 0.25
    assert (
        send(admin_client, "PUT", "/api/v1/health-weights/mood", {"weight": 1}).status_code == 404
    )
    assert send(admin_client, "PUT", "/api/v1/health-weights/surveys", {}).status_code == 422


def test_reports_answer_for_an_empty_company(admin_client: Client) -> None:
    journey = admin_client.get("/api/v1/journey").json()
    value = admin_client.get("/api/v1/time-to-value?by=product").json()
    gaps = admin_client.get("/api/v1/gaps").json()

    assert [s["stage"] for s in journey["stages"]] == [
        "prospect",
        "sale",
        "onboarding",
        "adoption",
        "steady",
        "renewal",
        "churned",
        "won_back",
    ]
    assert journey["stages"][0]["sentiment"] == {"value": None, "low": None, "high": None, "n": 0}
    assert journey["outcomes"] == []
    assert value == {"items": []}
    assert gaps == {"at_risk": [], "broken": [], "onboardings": [], "alerts": []}
    assert (
        admin_client.get(
            "/api/v1/journey?since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z"
        ).status_code
        == 422
    )


def test_what_no_database_can_store_is_refused_before_it_is_asked(admin_client: Client) -> None:
    naive = admin_client.get("/api/v1/time-to-value?until=2026-11-01T00:00:00")
    ancient = admin_client.get("/api/v1/journey?until=0001-01-02T00:00:00Z")
    nul_delete = send(admin_client, "DELETE", "/api/v1/milestones/fibre%00/installed")
    too_far = send(
        admin_client,
        "POST",
        "/api/v1/promises",
        {"customer_id": 1, "kind": "price", "title": "x", "due_at": "9999-12-31T23:59:00Z"},
    )

    assert naive.status_code == 422 and "needs a time zone" in naive.json()["message"]
    assert ancient.status_code == 422 and ancient.json()["message"] == "until is out of range"
    assert nul_delete.status_code == 404
    assert too_far.status_code == 422
    assert too_far.json()["message"] == "due_at is more than 20 years after the promise was made"
    assert admin_client.get("/api/v1/promises?made_by=a%00b").status_code == 422
