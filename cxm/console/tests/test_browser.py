"""The console in a real Chromium, against a live server, as a support agent uses it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from cxm.console.tests.conftest import ANN_TIMELINE
from cxm.customers.models import Customer, MergeProposal

pytestmark = pytest.mark.browser

# Left behind for a person to look at: /tmp/cxm-360.png on Linux.
SCREENSHOT = Path(tempfile.gettempdir()) / "cxm-360.png"


def sign_in(page: Page, base_url: str, next_path: str) -> None:
    page.goto(base_url + next_path)
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    expect(page.get_by_role("heading", name="Sign in to CXM")).to_be_visible()
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("a-long-test-passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base_url + next_path)


def timeline_channels(page: Page) -> list[str | None]:
    items = page.locator("#timeline li.item")
    return [items.nth(n).get_attribute("data-channel") for n in range(items.count())]


def test_agent_finds_a_customer_and_reads_every_channel_in_one_timeline(
    live_server: LiveServer, page: Page, agent: User, ann: Customer
) -> None:
    base = live_server.url
    sign_in(page, base, "/customers/")

    # The phone number as the customer says it on the phone, not as CXM stores it.
    page.get_by_role("searchbox", name="Search customers").fill("020 7946 0958")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("ann.lee@example.org")
    results.first.get_by_role("link", name="Ann Lee").click()

    expect(page).to_have_url(f"{base}/customers/{ann.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann Lee")
    expect(page.locator("#identities tbody tr")).to_have_count(5)
    items = page.locator("#timeline li.item")
    expect(items).to_have_count(len(ANN_TIMELINE))
    assert [
        items.nth(n).get_attribute("data-external-id") for n in range(items.count())
    ] == ANN_TIMELINE
    assert timeline_channels(page) == ["chat", "email", "social", "phone", "sms", "email", "other"]
    sms = page.locator('#timeline li[data-external-id="SM-5501"]')
    expect(sms).to_contain_text("From customer")
    expect(sms).to_contain_text("Phone +442079460958")
    expect(sms).to_contain_text("via twilio")
    # The stylesheet is served and applied (the top bar is dark).
    background = page.locator("header.top").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(16, 24, 40)"
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    channel_filter = page.get_by_role("navigation", name="Channel filter")
    channel_filter.get_by_role("link", name="SMS").click()
    expect(page).to_have_url(f"{base}/customers/{ann.pk}/?channel=sms")
    expect(items).to_have_count(1)
    assert timeline_channels(page) == ["sms"]
    expect(channel_filter.locator("a.active")).to_have_text("SMS 1")

    channel_filter.get_by_role("link", name="Email").click()
    expect(items).to_have_count(2)
    assert timeline_channels(page) == ["email", "email"]

    channel_filter.get_by_role("link", name="All channels").click()
    expect(items).to_have_count(len(ANN_TIMELINE))


def test_agent_reviews_a_merge_proposal_then_undoes_it(
    live_server: LiveServer, page: Page, agent: User, proposal: MergeProposal
) -> None:
    base = live_server.url
    bob, robert = proposal.customer_low, proposal.customer_high
    sign_in(page, base, "/merge-proposals/")

    card = page.locator(f"#proposal-{proposal.pk}")
    expect(card).to_contain_text("Bob Stone")
    expect(card).to_contain_text("Robert Stone")
    expect(card).to_contain_text("email bob@example.com, phone +447911123456")
    card.get_by_label("Note on your decision").fill("Same person, confirmed on the phone")
    card.get_by_role("button", name="Merge").click()

    expect(page.locator(".messages")).to_have_text(
        f"Merged customer {robert.pk} into customer {bob.pk}."
    )
    expect(page.locator("article.proposal")).to_have_count(0)

    page.goto(f"{base}/customers/{robert.pk}/")
    expect(page).to_have_url(f"{base}/customers/{bob.pk}/")
    expect(page.locator(".messages")).to_contain_text("Robert Stone (#")
    assert timeline_channels(page) == ["chat", "sms", "email"]
    history = page.locator("#merge-history")
    expect(history).to_contain_text("Same person, confirmed on the phone")

    history.get_by_label("Reason for un-merge").fill("Father and son")
    history.get_by_role("button", name="Un-merge").click()
    expect(page.locator(".messages")).to_have_text(
        f"Un-merged: customer {robert.pk} has its own profile again."
    )
    assert timeline_channels(page) == ["chat", "email"]
    expect(history).to_contain_text("Undone.")


def test_agent_reviews_a_likely_pair_side_by_side_merges_then_undoes_it(
    live_server: LiveServer, page: Page, agent: User, likely_pair: MergeProposal
) -> None:
    base = live_server.url
    john, jon = likely_pair.customer_low, likely_pair.customer_high
    sign_in(page, base, "/merge-proposals/")
    page.locator(f"#proposal-{likely_pair.pk}").get_by_role(
        "link", name="Review side by side"
    ).click()

    expect(page).to_have_url(f"{base}/merge-proposals/{likely_pair.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Same person? John Smith and Jon Smyth"
    )
    sides = page.locator("#sides")
    expect(sides.locator("thead")).to_contain_text("John Smith")
    expect(sides.locator("thead")).to_contain_text("Jon Smyth")
    city = sides.locator("tbody tr", has=page.get_by_role("rowheader", name="City"))
    expect(city.locator("td")).to_have_text(["Leeds", "York"])
    comparisons = page.locator("#comparisons")
    postcode = comparisons.locator('tr[data-comparison="postcode"]')
    expect(postcode.locator("td.weight")).to_have_text("+9.10")
    expect(postcode).to_contain_text("Agreed")
    town = comparisons.locator('tr[data-comparison="city"]')
    expect(town.locator("td.weight")).to_have_text("-3.40")
    expect(town).to_contain_text("Disagreed")
    expect(comparisons.locator("#total")).to_contain_text("0.910")
    # The stylesheet draws the bars: the largest weight fills the right half,
    # a weight against grows leftwards from the middle.
    bars = page.evaluate(
        """() => [...document.querySelectorAll('#comparisons .wbar')].map(bar => {
            const outer = bar.getBoundingClientRect();
            const fill = bar.querySelector('.fill').getBoundingClientRect();
            const at = x => Math.round(100 * (x - outer.left) / outer.width);
            return [bar.closest('tr').dataset.comparison, at(fill.left), at(fill.right)];
        })"""
    )
    by_comparison = {name: (left, right) for name, left, right in bars}
    assert by_comparison["postcode"] == (50, 100)
    assert by_comparison["date of birth"] == (50, 95)  # 8.4 / 9.1 of the half, to 1/20
    assert by_comparison["company"] == (50, 50)
    assert by_comparison["city"][1] == 50
    assert by_comparison["city"][0] in (32, 33)  # 3.4 / 9.1 of the half, leftwards

    page.get_by_label("Note on merging (optional)").fill("Moved from York to Leeds")
    page.get_by_role("button", name="Merge these customers").click()

    expect(page).to_have_url(f"{base}/merge-proposals/")
    expect(page.locator(".messages")).to_have_text(
        f"Merged customer {jon.pk} into customer {john.pk}."
    )
    expect(page.locator(f"#proposal-{likely_pair.pk}")).to_have_count(0)

    page.goto(f"{base}/customers/{john.pk}/")
    history = page.locator("#merge-history")
    merge = history.locator("li").first
    expect(merge).to_contain_text(f"agent merged Jon Smyth #{jon.pk} into John Smith #{john.pk}")
    expect(merge).to_contain_text("proposed at match probability 0.910")
    expect(merge.locator(".reason")).to_have_text("Moved from York to Leeds")
    expect(merge.get_by_role("link", name="Evidence for this merge")).to_have_attribute(
        "href", f"/merge-proposals/{likely_pair.pk}/"
    )
    assert timeline_channels(page) == ["sms", "email", "email"]

    history.get_by_label("Reason for un-merge").fill("Two different men, says the fitter")
    history.get_by_role("button", name="Un-merge").click()

    expect(page.locator(".messages")).to_have_text(
        f"Un-merged: customer {jon.pk} has its own profile again."
    )
    assert timeline_channels(page) == ["email", "email"]
    unmerge = history.locator("li").first
    expect(unmerge).to_contain_text(
        f"agent un-merged Jon Smyth #{jon.pk} from John Smith #{john.pk}"
    )
    expect(unmerge.locator(".reason")).to_have_text("Two different men, says the fitter")
    expect(history.locator("li").nth(1)).to_contain_text("Undone.")
    expect(page.locator("#proposal-decisions")).to_contain_text(
        f"Kept apart from Jon Smyth #{jon.pk} by agent, who un-merged them"
    )


def test_administrator_exports_then_erases_a_customer(
    live_server: LiveServer, page: Page, agent: User, ann: Customer
) -> None:
    from cxm.access.enums import Role
    from cxm.access.services import membership_set

    membership_set(user=agent, role=Role.ADMINISTRATOR)
    base = live_server.url
    sign_in(page, base, f"/customers/{ann.pk}/")

    privacy = page.locator("#privacy")
    with page.expect_download() as download_info:
        privacy.get_by_role("link", name="Export everything CXM holds (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == f"cxm-customer-{ann.pk}.json"
    exported = Path(download.path()).read_text()
    assert "ann.lee@example.org" in exported

    privacy.get_by_label("Reason").fill("Erasure request E-12")
    privacy.get_by_label("Type ERASE to confirm").fill("ERASE")
    privacy.get_by_role("button", name="Erase personal data").click()

    expect(page.locator(".messages")).to_contain_text(
        f"Erased the personal data of customer {ann.pk}"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Customer {ann.pk}")
    expect(page.locator("#identities")).to_contain_text("No identities.")
    expect(privacy).to_contain_text("Erased on")
    expect(page.locator("#timeline li.item")).to_have_count(len(ANN_TIMELINE))


def test_the_api_docs_page_runs_from_cxms_own_files_under_the_content_security_policy(
    live_server: LiveServer, page: Page
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_server.url + "/api/v1/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CXM API")
    assert requested and all(url.startswith(live_server.url) for url in requested)
