"""The promises API end to end: an agent records, the worker watches, a system imports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cxm.connectors import services as connector_services
from cxm.connectors.models import Source, TokenScope
from cxm.promises import services
from cxm.promises.models import Promise, PromiseSuggestion
from cxm.promises.tests.conftest import interaction, utc

pytestmark = pytest.mark.usefixtures("office")


@pytest.fixture
def dan_client(dan: User) -> Client:
    client = Client()
    client.force_login(dan)
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_an_agent_records_a_promise_and_sees_it_break(ann: int, dan_client: Client) -> None:
    made = post(
        dan_client,
        "/api/v1/promises",
        {
            "customer_id": ann,
            "kind": "installation",
            "title": "Fibre installed by Monday",
            "made_at": "2026-11-04T10:00:00Z",
            "due_at": "2026-11-09T10:00:00Z",
            "evidence": "The engineer's job closed as done",
        },
    )

    assert made.status_code == 201, made.content
    promise = made.json()
    assert (promise["status"], promise["made_by"], promise["owner"], promise["team"]) == (
        "open",
        "dan",
        "dan",
        "Sales",
    )
    assert promise["at_risk_at"] == "2026-11-06T10:00:00Z"
    services.promises_sweep(now=utc(2026, 11, 9, 11))
    detail = dan_client.get(f"/api/v1/promises/{promise['id']}").json()
    assert detail["status"] == "broken"
    assert [e["kind"] for e in detail["timeline"]] == [
        "created",
        "at_risk",
        "alert",
        "broken",
        "alert",
        "case_opened",
    ]
    assert detail["case_id"] is not None
    alerts = dan_client.get("/api/v1/promise-alerts").json()["items"]
    assert [(a["kind"], a["owner"]) for a in alerts] == [("broken", "dan"), ("at_risk", "dan")]
    acknowledged = post(dan_client, f"/api/v1/promise-alerts/{alerts[0]['id']}/acknowledge")
    assert acknowledged.status_code == 200
    again = post(dan_client, f"/api/v1/promise-alerts/{alerts[0]['id']}/acknowledge")
    assert again.status_code == 409
    listed = dan_client.get("/api/v1/promises?status=broken").json()
    assert [p["id"] for p in listed["items"]] == [promise["id"]]


def test_bad_requests_get_reasons_and_change_nothing(ann: int, dan_client: Client) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {
                "customer_id": ann,
                "kind": "moonshot",
                "title": "x",
                "due_at": "2030-11-09T10:00:00Z",
            },
            "kind must be one of",
        ),
        (
            {"customer_id": ann, "kind": "price", "title": "", "due_at": "2030-11-09T10:00:00Z"},
            "title is required",
        ),
        ({"customer_id": ann, "kind": "price", "title": "£5 off"}, "due_at must be an ISO 8601"),
        (
            {"customer_id": ann, "kind": "price", "title": "x", "due_at": "2030-11-09T10:00:00"},
            "needs a time zone",
        ),
        (
            {
                "customer": {"email": "nobody@example.org"},
                "kind": "price",
                "title": "x",
                "due_at": "2030-11-09T10:00:00Z",
            },
            "no customer has email nobody@example.org",
        ),
        (
            {
                "customer_id": ann,
                "kind": "price",
                "title": "x",
                "due_at": "2030-11-09T10:00:00Z",
                "evidence_rule": {"channel": "pigeon"},
            },
            "evidence_rule: channel: 'pigeon' is not one",
        ),
    ]
    for body, reason in cases:
        response = post(dan_client, "/api/v1/promises", body)
        assert response.status_code in (404, 422), (body, response.content)
        assert reason in response.json()["message"], (reason, response.json())
    assert post(dan_client, "/api/v1/promises/999999/deliver", {"note": "x"}).status_code == 404
    assert dan_client.get("/api/v1/promises?limit=0").status_code == 422
    assert dan_client.get("/api/v1/promises/0").status_code == 404
    assert not Promise.objects.exists()


def test_renegotiation_and_delivery_through_the_api(ann: int, dan_client: Client) -> None:
    first = post(
        dan_client,
        "/api/v1/promises",
        {
            "customer_id": ann,
            "kind": "delivery",
            "title": "Router by Friday",
            "due_at": "2030-01-04T17:00:00Z",
        },
    ).json()

    renegotiated = post(
        dan_client,
        f"/api/v1/promises/{first['id']}/renegotiate",
        {"due_at": "2030-01-11T17:00:00Z", "note": "Out of stock; Ann agreed to a week later"},
    )
    assert renegotiated.status_code == 201
    second = renegotiated.json()
    assert second["replaces"] == first["id"] and second["due_at"] == "2030-01-11T17:00:00Z"
    delivered = post(
        dan_client, f"/api/v1/promises/{second['id']}/deliver", {"note": "Courier's proof"}
    )
    assert delivered.status_code == 200 and delivered.json()["status"] == "kept"
    assert (
        post(dan_client, f"/api/v1/promises/{first['id']}/break", {"reason": "x"}).json()["message"]
        == "this promise is already renegotiated"
    )


def test_an_order_system_imports_promises_with_its_token(ann: int, client: Client) -> None:
    shop = connector_services.source_get_or_create(name="shop")
    token = connector_services.token_create(source=shop, scope=TokenScope.INGEST).secret
    line = {
        "external_id": "SO-7/install",
        "customer": {"email": "ann@example.org"},
        "kind": "installation",
        "title": "Installation on 20 November",
        "made_at": "2026-11-04T10:00:00Z",
        "due_at": "2026-11-20T13:00:00Z",
        "made_by": "Shop checkout",
    }
    body = "\n".join(
        [json.dumps(line), "not json", json.dumps({**line, "external_id": "x", "kind": ""})]
    )

    def send() -> Any:
        return client.post(
            "/api/v1/promises/bulk",
            data=body.encode(),
            content_type="application/x-ndjson",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    first, second = send().json(), send().json()

    assert (first["accepted"], first["duplicates"], first["rejected"]) == (1, 0, 2)
    assert first["errors"] == [
        {"line": 2, "field": "(line)", "message": "is not valid JSON"},
        {"line": 3, "field": "kind", "message": "kind is required"},
    ]
    assert (second["accepted"], second["duplicates"], second["rejected"]) == (0, 1, 2)
    assert Promise.objects.get().source == shop
    read = connector_services.token_create(source=shop, scope=TokenScope.READ).secret
    refused = client.post(
        "/api/v1/promises/bulk",
        data=body.encode(),
        content_type="application/x-ndjson",
        HTTP_AUTHORIZATION=f"Bearer {read}",
    )
    assert refused.status_code == 403


def test_a_suggestion_is_confirmed_with_a_due_date_given(
    ann: int, dan_client: Client, helpdesk: Source
) -> None:
    interaction(
        helpdesk,
        "reply",
        utc(2026, 11, 5, 14),
        direction="outbound",
        body="I'll make sure the £15 credit is on your next bill.",
    )
    [suggestion] = dan_client.get(f"/api/v1/promise-suggestions?customer_id={ann}").json()["items"]
    assert (suggestion["kind"], suggestion["due_at"]) == ("price", None)

    refused = post(dan_client, f"/api/v1/promise-suggestions/{suggestion['id']}/confirm")
    confirmed = post(
        dan_client,
        f"/api/v1/promise-suggestions/{suggestion['id']}/confirm",
        {"title": "£15 credit on the December bill", "due_at": "2026-12-01T09:00:00Z"},
    )

    assert refused.status_code == 422
    assert "names no date" in refused.json()["message"]
    assert confirmed.status_code == 201
    assert confirmed.json()["title"] == "£15 credit on the December bill"
    assert PromiseSuggestion.objects.get().status == "confirmed"


def test_keeping_rates_and_lead_times_over_the_api(
    ann: int, dan_client: Client, admin_client: Any
) -> None:
    from cxm.promises.tests.conftest import promise

    promise(None, ann, made_by="Alice")
    services.promises_sweep(now=utc(2026, 11, 10))

    report = admin_client.get(
        "/api/v1/promise-keeping?since=2026-11-01T00:00:00Z&until=2026-12-01T00:00:00Z&by=person"
    ).json()
    assert [(g["name"], g["broken"], g["rate"]["value"]) for g in report["groups"]] == [
        ("Alice", 1, 0.0)
    ]
    assert "kept as made" in report["rule"]
    # Agents do not read reports; administrators set lead times.
    assert dan_client.get("/api/v1/promise-keeping").status_code == 403
    assert admin_client.put(
        "/api/v1/promise-lead-times/call_back",
        data=json.dumps({"minutes": 30}),
        content_type="application/json",
    ).json() == {"kind": "call_back", "label": "Call-back", "minutes": 30, "default": False}
    assert (
        admin_client.put(
            "/api/v1/promise-lead-times/moonshot",
            data=json.dumps({"minutes": 30}),
            content_type="application/json",
        ).status_code
        == 404
    )
