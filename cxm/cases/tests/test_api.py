"""The cases API: queue, case, reply, status, and the fairness audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from cxm.cases.models import Case
from cxm.conftest import ingest_customer_line
from cxm.connectors.models import Source
from cxm.customers.models import Customer


def _auth(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_an_agent_answers_the_top_case_of_the_queue(
    db: None, source: Source, admin_token: str
) -> None:
    ingest_customer_line(source, "m1", {"email": "ann@example.org"}, subject="No signal")
    client = Client()

    queue = client.get("/api/v1/cases/queue", **_auth(admin_token)).json()
    top = queue["items"][0]
    answered = client.post(
        f"/api/v1/cases/{top['id']}/replies",
        {"body": "An engineer is on the way."},
        content_type="application/json",
        **_auth(admin_token),
    )

    assert queue["order"].startswith("time left before breach, then priority")
    assert answered.status_code == 201
    case = answered.json()
    assert case["status"] == "open"
    assert case["interactions"][-1]["direction"] == "outbound"
    assert case["interactions"][-1]["delivery_status"] == "queued"
    assert [e["kind"] for e in case["timeline"]][-2:] == ["reply", "status"]


def test_bad_requests_get_a_reason_and_change_nothing(
    db: None, source: Source, admin_token: str, read_token: str
) -> None:
    ingest_customer_line(source, "m1", {"email": "ann@example.org"}, subject="No signal")
    case = Case.objects.get()
    client = Client()

    def post(path: str, body: dict[str, object], token: str = admin_token) -> tuple[int, str]:
        response = client.post(path, body, content_type="application/json", **_auth(token))
        return response.status_code, response.json().get("code", "")

    assert post(f"/api/v1/cases/{case.pk}/status", {"status": "done"}) == (422, "bad_status")
    assert post(f"/api/v1/cases/{case.pk}/replies", {"body": " "}) == (422, "empty_reply")
    assert post(f"/api/v1/cases/{case.pk}/merge", {"into": case.pk}) == (422, "same_case")
    assert post(f"/api/v1/cases/{case.pk}/triage", {"severity": "meh"}) == (422, "bad_severity")
    assert post("/api/v1/cases/999999/status", {"status": "open"}) == (404, "not_found")
    assert post(f"/api/v1/cases/{case.pk}/replies", {"body": "hi"}, read_token)[0] == 403
    assert client.get("/api/v1/cases/0", **_auth(admin_token)).status_code == 404
    case.refresh_from_db()
    assert (case.status, case.replies) == ("new", 0)


def test_the_fairness_audit_flags_a_high_tier_answered_faster(db: None, admin_token: str) -> None:
    now = timezone.now()
    customer = Customer.objects.create(display_name="Anyone")
    # High-influence cases answered in 1-5 minutes, everyone else in 50-140: every
    # high case is faster than every other, U = 0 for the high tier.
    for minutes, tier in [(m, "high") for m in (1, 2, 3, 4, 5)] + [
        (m, "none") for m in (50, 60, 70, 80, 90, 100, 110, 120, 130, 140)
    ]:
        Case.objects.create(
            customer=customer,
            channel="social",
            last_channel="social",
            influence_tier=tier,
            opened_at=now - timedelta(days=1),
            last_message_at=now - timedelta(days=1),
            first_response_seconds=minutes * 60.0,
        )

    response = Client().get("/api/v1/fairness-audit?days=30", **_auth(admin_token))

    assert response.status_code == 200
    first = response.json()["influence"]["first_response"]
    tiers = {t["tier"]: t for t in first["tiers"]}
    assert (tiers["high"]["n"], tiers["high"]["median_minutes"]) == (5, 3.0)
    assert (tiers["none"]["n"], tiers["none"]["median_minutes"]) == (10, 95.0)
    assert tiers["high"]["probability_faster"] == 1.0
    # With two tiers, the mirror image holds too: everyone else waits longer.
    assert sorted((a["tier"], a["kind"]) for a in first["alerts"]) == [
        ("high", "served_faster"),
        ("none", "served_slower"),
    ]
    assert first["ok"] is False
    assert response.json()["influence"]["resolution"]["alerts"] == []


def test_sla_policies_are_set_and_listed(db: None, admin_token: str, read_token: str) -> None:
    client = Client()
    body = {"first_response_minutes": 60, "next_response_minutes": 120, "resolution_minutes": 480}

    done = client.put(
        "/api/v1/sla-policies/email/3", body, content_type="application/json", **_auth(admin_token)
    )
    refused = client.put(
        "/api/v1/sla-policies/email/2", body, content_type="application/json", **_auth(read_token)
    )
    bad = client.put(
        "/api/v1/sla-policies/fax/3", body, content_type="application/json", **_auth(admin_token)
    )
    listed = client.get("/api/v1/sla-policies", **_auth(read_token)).json()

    assert done.status_code == 200
    assert refused.status_code == 403
    assert bad.status_code == 422
    assert [(p["channel"], p["priority"]) for p in listed["items"]] == [("email", 3)]


def test_business_hours_are_validated(db: None, admin_token: str) -> None:
    client = Client()
    good = {
        "definition": {
            "timezone": "Europe/Paris",
            "weekly": {"mon": [["09:00", "18:00"]]},
            "holidays": "FR",
        }
    }

    done = client.put(
        "/api/v1/business-hours", good, content_type="application/json", **_auth(admin_token)
    )
    bad = client.put(
        "/api/v1/business-hours",
        {"definition": {"timezone": "Europe/Paris", "weekly": {"mon": [["18:00", "18:00"]]}}},
        content_type="application/json",
        **_auth(admin_token),
    )

    assert done.status_code == 200 and "Europe/Paris" in done.json()["description"]
    assert bad.status_code == 422


def test_deleting_what_cannot_exist_is_a_404_not_a_server_error(db: None, admin_token: str) -> None:
    client = Client()

    huge = client.delete("/api/v1/sla-policies/email/99999999999999999999999", **_auth(admin_token))
    unknown = client.delete("/api/v1/sla-policies/fax/3", **_auth(admin_token))
    nul = client.delete("/api/v1/charter/e%00mail", **_auth(admin_token))

    assert [huge.status_code, unknown.status_code, nul.status_code] == [404, 404, 404]
