"""The queue in a real Chromium: an agent answers the case at its top."""

from __future__ import annotations

import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from cxm.cases import services as case_services
from cxm.cases.enums import DeliveryStatus
from cxm.cases.models import Case, Reply
from cxm.console.tests.conftest import Ingest

pytestmark = pytest.mark.browser

# Left behind for a person to look at: /tmp/cxm-case.png on Linux.
SCREENSHOT = Path(tempfile.gettempdir()) / "cxm-case.png"


def test_an_agent_answers_the_case_at_the_top_of_the_queue(
    live_server: LiveServer, page: Page, agent: User, ingest: Ingest
) -> None:
    for channel in ("email", "chat"):
        for priority in (1, 2, 3, 4):
            case_services.sla_policy_set(
                actor=None,
                policy=case_services.PolicyIn(
                    channel=channel,
                    priority=priority,
                    first_response_minutes=60,
                    next_response_minutes=60,
                    resolution_minutes=480,
                ),
            )
    now = timezone.now()
    ingest(
        {
            "external_id": "chat-1",
            "channel": "chat",
            "occurred_at": (now - timedelta(minutes=5)).isoformat(),
            "customer": {"email": "bob@example.org", "name": "Bob Stone"},
            "subject": "",
            "body": "Where is my refund?",
            "attributes": {},
        },
        {
            "external_id": "mail-1",
            "channel": "email",
            "occurred_at": (now - timedelta(minutes=40)).isoformat(),
            "customer": {"email": "ann@example.org", "name": "Ann Lee"},
            "subject": "Router keeps dropping",
            "body": "Since Tuesday the connection drops every evening.",
            "attributes": {},
        },
    )
    top = Case.objects.get(customer__display_name="Ann Lee")
    base = live_server.url

    page.goto(base + "/queue/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("a-long-test-passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/queue/")

    expect(page.locator("#queue-rule")).to_contain_text(
        "time left before breach, then priority, then time waited"
    )
    rows = page.locator("#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Ann Lee")
    expect(rows.first.locator("td.left")).to_have_text("20 min left")
    rows.first.get_by_role("link", name=f"Case {top.pk}").click()

    expect(page).to_have_url(f"{base}/cases/{top.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Case {top.pk}: Router keeps dropping"
    )
    first_response = page.locator('#clocks tr[data-metric="first_response"]')
    expect(first_response.locator(".clock-state")).to_have_text("running")

    page.get_by_label("Your answer").fill("Sorry about that: an engineer comes on Thursday.")
    page.get_by_role("button", name="Send answer").click()

    expect(page).to_have_url(f"{base}/cases/{top.pk}/#interactions")
    expect(page.locator(".messages")).to_have_text("Answer queued for delivery on email.")
    reply = Reply.objects.get()
    answer = page.locator(f"#interaction-{reply.interaction_id}")
    expect(answer).to_contain_text("To customer")
    expect(answer).to_contain_text("Sorry about that: an engineer comes on Thursday.")
    expect(answer.locator(".delivery")).to_have_text("Queued")
    expect(first_response.locator(".clock-state")).to_have_text("met")
    expect(page.locator("#case-status")).to_have_text("Open")
    expect(page.locator('#events li[data-kind="sla_met"]')).to_contain_text(
        "Service level met First response in"
    )
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    assert reply.case_id == top.pk and reply.delivery_status == DeliveryStatus.QUEUED
    assert reply.author_label == "agent"
