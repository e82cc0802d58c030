"""The gaps page in a real Chromium: an agent sees what slips, acknowledges an alert,
and records a delivery that keeps the promise."""

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

from cxm.customers.models import Customer
from cxm.journeys import services as journey_services
from cxm.promises import services
from cxm.promises.enums import PromiseStatus
from cxm.promises.models import Promise, PromiseAlert

pytestmark = pytest.mark.browser

# Left behind for a person to look at: /tmp/cxm-gaps.png on Linux.
SCREENSHOT = Path(tempfile.gettempdir()) / "cxm-gaps.png"


def test_an_agent_closes_a_gap_before_the_customer_calls(
    live_server: LiveServer, page: Page, agent: User, ann: Customer
) -> None:
    now = timezone.now()
    for title, made, due in (
        ("Router delivered today", -3, 0.1),
        ("Engineer visit on Monday", -8, -1),
    ):
        services.promise_create(
            actor=agent,
            promise=services.PromiseIn(
                customer_id=ann.pk,
                kind="delivery",
                title=title,
                made_at=now + timedelta(days=made),
                due_at=now + timedelta(days=due),
            ),
        )
    services.promises_sweep()
    journey_services.milestone_set(
        actor=None,
        product="fibre-500",
        key="installed",
        milestone=journey_services.MilestoneIn(name="Installed", target_days=7),
    )
    journey_services.purchase_record(
        actor=None,
        purchase=journey_services.PurchaseIn(
            product="fibre-500", customer_id=ann.pk, sold_at=now - timedelta(days=40)
        ),
    )
    base = live_server.url

    page.goto(base + "/gaps/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("a-long-test-passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/gaps/")

    expect(page.locator("#at-risk tbody tr")).to_have_count(1)
    expect(page.locator("#at-risk tbody tr")).to_contain_text("Router delivered today")
    expect(page.locator("#broken tbody tr")).to_have_count(1)
    expect(page.locator("#broken tbody tr")).to_contain_text("Engineer visit on Monday")
    expect(page.locator("#broken tbody tr")).to_contain_text("case")
    # Sold 40 days ago, not installed in the 7 promised, nothing since: stuck.
    expect(page.locator("#stalled tbody tr")).to_contain_text("Installed")
    expect(page.locator("#stalled tbody tr")).to_have_attribute("data-state", "stuck")
    alerts = page.locator("#alerts li")
    expect(alerts).to_have_count(3)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    broken_alert = PromiseAlert.objects.get(kind="broken")
    page.locator(f"#alert-{broken_alert.pk}").get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text("acknowledged")
    expect(alerts).to_have_count(2)

    page.locator("#at-risk").get_by_role("link", name="Router delivered today").click()
    expect(page.locator("#promise-status")).to_have_text("At risk")
    page.get_by_label("How you know").fill("Courier's proof of delivery, signed by Ann")
    page.get_by_role("button", name="Record the delivery").click()
    expect(page.locator("#promise-status")).to_have_text("Kept")
    expect(page.locator("#promise-timeline")).to_contain_text("Courier's proof of delivery")

    page.goto(base + "/gaps/")
    expect(page.locator("#at-risk")).to_contain_text("Nothing at risk.")
    assert Promise.objects.get(title="Router delivered today").status == PromiseStatus.KEPT
