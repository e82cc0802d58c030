"""The voice of the customer in a real Chromium, as a supervisor reads it and acts on it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.console.tests.voice_data import VoiceData, build_voice_data
from cxm.feedback.enums import FollowUpStatus
from cxm.feedback.models import FollowUp

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-passphrase"
# Left behind for a person to look at: /tmp/cxm-voice.png on Linux.
SCREENSHOT = Path(tempfile.gettempdir()) / "cxm-voice.png"


@pytest.fixture
def supervisor(db: None) -> User:
    user = User.objects.create_user("sue", password=PASSWORD)
    access_services.membership_set(user=user, role=Role.SUPERVISOR)
    return user


def test_a_supervisor_reads_the_honest_summary_then_closes_a_follow_up(
    live_server: LiveServer, page: Page, supervisor: User
) -> None:
    data: VoiceData = build_voice_data()
    base = live_server.url
    page.goto(base + "/voice/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Username").fill("sue")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/voice/")

    # The headline never stands alone: interval and n beside it.
    headline = page.locator("#headline")
    expect(headline.locator(".value")).to_have_text("NPS +7")
    expect(headline.locator(".interval")).to_have_text("95% CI -12 to +25, n=86")

    # Every score of the scale has its bar, coloured by the stylesheet, tall as its count.
    bars = page.locator("#distribution rect.bar")
    expect(bars).to_have_count(11)
    fills = bars.evaluate_all("rects => rects.map(r => getComputedStyle(r).fill)")
    assert fills[:7] == ["rgb(217, 45, 32)"] * 7  # detractors
    assert fills[9:] == ["rgb(7, 148, 85)"] * 2  # promoters
    heights = bars.evaluate_all("rects => rects.map(r => r.getBoundingClientRect().height)")
    assert heights[0] == 0 and heights[9] == max(heights)  # no 0s; 23 answered 9

    # The good average hides the businesses.
    business = page.locator('#segment-table tr[data-segment="kind=business"]')
    expect(business).to_have_class("below")
    expect(business.locator(".finding")).to_have_text(
        "significantly below the rest (adjusted p<0.001)"
    )
    background = business.locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(254, 243, 242)"

    # Dismissals are shown apart from the funnel, never as answers.
    expect(page.locator("#funnel svg text.count")).to_have_text(["100", "95", "86"])
    expect(page.locator("#dismissed")).to_contain_text("Dismissed: 6")
    expect(page.locator("#dismissed")).to_contain_text("never counted as an answer")

    # The months are points in bands, nothing joins them.
    expect(page.locator("#trend circle.point")).to_have_count(3)
    expect(page.locator("#trend svg polyline, #trend svg path")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Narrowed to the businesses with the form, no script involved.
    page.locator("#voice-filters").get_by_label("Segment").select_option("kind=business")
    page.locator("#voice-filters").get_by_role("button", name="Show").click()
    expect(headline.locator(".interval")).to_have_text("95% CI -82 to -41, n=36")

    # Then on to the closed loop.
    page.get_by_role("navigation").get_by_role("link", name="Follow-ups").click()
    expect(page).to_have_url(base + "/follow-ups/")
    first = data.follow_ups[0]
    row = page.locator(f"#follow-up-{first.pk}")
    expect(row).to_contain_text("overdue")
    expect(row).to_contain_text(str(first.customer))
    expect(page.locator("#follow-ups tbody tr")).to_have_count(32)
    row.get_by_label("What was done").fill("Called back; the invoice is corrected")
    row.get_by_role("button", name="Close").click()

    expect(page.locator(".messages")).to_have_text(f"Closed the follow-up of {first.customer}.")
    expect(page.locator(f"#follow-up-{first.pk}")).to_have_count(0)
    expect(page.locator("#follow-ups tbody tr")).to_have_count(31)
    closed = FollowUp.objects.get(pk=first.pk)
    assert closed.status == FollowUpStatus.DONE
    assert closed.outcome == "Called back; the invoice is corrected"
    assert closed.closed_by_label == "sue"
