"""The public charter beside what was measured, and the channel scorecards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from cxm.cases.models import Case
from cxm.channels import selectors, services
from cxm.connectors.models import Source
from cxm.errors import ValidationFailed

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ALWAYS = {
    "timezone": "UTC",
    "weekly": {d: [["00:00", "00:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


def entry(target: int, **fields: Any) -> services.CharterIn:
    return services.CharterIn(
        name=fields.pop("name", "Email"),
        how_to_reach=fields.pop("how_to_reach", "help@example.com"),
        hours=fields.pop("hours", ALWAYS),
        handles=fields.pop("handles", "Billing, orders, anything that needs a document"),
        target_first_response_minutes=target,
        **fields,
    )


def make_case(
    source: Source, k: int, channel: str, first_response: float | None, **extra: Any
) -> Case:
    from cxm.customers.models import Customer

    customer = Customer.objects.create(display_name=f"Customer {k}")
    return Case.objects.create(
        customer=customer,
        channel=channel,
        last_channel=channel,
        opened_at=extra.pop("opened_at", NOW - timedelta(days=3)),
        last_message_at=NOW - timedelta(days=3),
        first_response_seconds=first_response,
        status=extra.pop("status", "resolved" if first_response is not None else "new"),
        **extra,
    )


def test_the_charter_shows_median_and_p90_beside_the_target(db: None, source: Source) -> None:
    services.charter_set(actor=None, channel="email", entry=entry(60))
    services.charter_set(
        actor=None,
        channel="chat",
        entry=entry(10, name="Chat", how_to_reach="the chat on example.com"),
    )
    # Email, answered in 10, 20, 30, 60 and 120 minutes: the median is 30 min;
    # p90 by linear interpolation is at rank 0.9 x 4 = 3.6 between 60 and 120:
    # 60 + 0.6 x 60 = 96 min, beyond the 60-minute target.
    for k, minutes in enumerate((10, 20, 30, 60, 120)):
        make_case(source, k, "email", minutes * 60.0)
    # Chat: 2, 4 and 6 minutes against 10: met. One more, 40 days old, is outside the window.
    for k, minutes in enumerate((2, 4, 6)):
        make_case(source, 10 + k, "chat", minutes * 60.0)
    make_case(source, 20, "chat", 3600.0, opened_at=NOW - timedelta(days=40))

    lines = {line.entry.channel: line for line in selectors.charter(now=NOW)}

    email = lines["email"]
    assert (email.measured.answered, email.measured.median_seconds) == (5, 30 * 60)
    assert email.measured.p90_seconds == pytest.approx(96 * 60)
    assert email.misses
    assert email.note == (
        "Most answers meet the target, but one in ten took longer than 1.6 h (target 1.0 h)."
    )
    chat = lines["chat"]
    assert (chat.measured.answered, chat.measured.median_seconds) == (3, 4 * 60)
    assert chat.measured.p90_seconds == pytest.approx(5.6 * 60)  # 4 + 0.8 x 2
    assert not chat.misses
    assert chat.note == "Measured answers meet the target."


def test_a_median_beyond_the_target_is_a_missed_promise(db: None, source: Source) -> None:
    services.charter_set(actor=None, channel="email", entry=entry(60))
    for k, minutes in enumerate((90, 120, 150)):
        make_case(source, k, "email", minutes * 60.0)

    (line,) = selectors.charter(now=NOW)

    assert line.misses
    assert line.note == (
        "We miss this promise: half of the answers took longer than 2.0 h, "
        "against a target of 1.0 h."
    )


def test_the_public_charter_needs_no_login_and_hides_unpublished_channels(
    db: None, source: Source
) -> None:
    services.charter_set(actor=None, channel="email", entry=entry(240))
    services.charter_set(actor=None, channel="sms", entry=entry(30, name="SMS", published=False))

    response = Client().get("/api/v1/charter")

    assert response.status_code == 200
    body = response.json()
    assert [c["channel"] for c in body["channels"]] == ["email"]
    email = body["channels"][0]
    assert email["target_first_response_minutes"] == 240
    assert email["hours"] == "24/7 UTC"
    assert email["measured"] == {
        "days": 30,
        "answered": 0,
        "median_minutes": None,
        "p90_minutes": None,
        "unanswered": 0,
        "unanswered_past_target": 0,
    }


def test_editing_the_charter_refuses_bad_entries_with_a_reason(db: None) -> None:
    with pytest.raises(ValidationFailed, match="unknown channel 'fax'"):
        services.charter_set(actor=None, channel="fax", entry=entry(60))
    with pytest.raises(ValidationFailed, match="hours: "):
        services.charter_set(
            actor=None, channel="email", entry=entry(60, hours={"timezone": "UTC", "weekly": {}})
        )
    with pytest.raises(ValidationFailed, match="how to reach is required"):
        services.charter_set(actor=None, channel="email", entry=entry(60, how_to_reach="  "))


def test_charter_api_edits_need_the_channel_permission(
    db: None, admin_token: str, read_token: str
) -> None:
    payload = {
        "name": "Email",
        "how_to_reach": "help@example.com",
        "hours": ALWAYS,
        "handles": "Billing",
        "target_first_response_minutes": 120,
    }
    client = Client()

    refused = client.put(
        "/api/v1/charter/email",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {read_token}",
    )
    done = client.put(
        "/api/v1/charter/email",
        payload,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_token}",
    )
    bad = client.put(
        "/api/v1/charter/email",
        {**payload, "hours": {"timezone": "Nowhere/X"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {admin_token}",
    )

    assert refused.status_code == 403
    assert done.status_code == 200 and done.json()["target_first_response_minutes"] == 120
    assert bad.status_code == 422 and "time zone" in bad.json()["message"]


def test_scorecards_measure_each_channel_and_name_the_weakest(
    db: None, source: Source, admin_token: str
) -> None:
    for k, minutes in enumerate((5, 10, 15)):
        make_case(
            source,
            k,
            "chat",
            minutes * 60.0,
            messages=1,
            resolution_seconds=3600.0,
            resolved_at=NOW - timedelta(days=2),
        )
    for k, minutes in enumerate((300, 600, 900)):
        make_case(
            source,
            10 + k,
            "email",
            minutes * 60.0,
            messages=3,
            handoffs=1,
            resolution_seconds=86400.0,
            resolved_at=NOW - timedelta(days=2),
        )

    result = selectors.scorecards(actor=None, days=30, now=NOW)

    cards = {c.channel: c for c in result.cards}
    assert cards["chat"].first_response.median == 600.0
    assert cards["email"].first_response.median == 36000.0
    assert cards["email"].contacts_per_case == 3.0
    assert cards["email"].handoff_rate == 1.0
    assert cards["chat"].handoff_rate == 0.0
    assert result.consistency.weakest == "Email"
    assert "Email" in result.consistency.message

    response = Client().get(
        "/api/v1/scorecards?days=30", HTTP_AUTHORIZATION=f"Bearer {admin_token}"
    )
    assert response.status_code == 200
    assert {c["channel"] for c in response.json()["channels"]} >= {"chat", "email"}


def test_a_recontact_counts_against_the_first_case_channel(db: None, source: Source) -> None:
    first = make_case(
        source, 1, "phone", 60.0, resolved_at=NOW - timedelta(days=5), resolution_seconds=600.0
    )
    make_case(source, 2, "phone", 60.0, resolved_at=NOW - timedelta(days=5))
    Case.objects.create(
        customer=first.customer,
        channel="email",
        last_channel="email",
        opened_at=NOW - timedelta(days=2),
        last_message_at=NOW - timedelta(days=2),
        recontact_of=first,
    )

    cards = {c.channel: c for c in selectors.scorecards(actor=None, days=30, now=NOW).cards}

    assert cards["phone"].recontact_rate == 0.5
