"""The console pages, through Django's test client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.console.tests.conftest import ANN_TIMELINE, LIKELY_EVIDENCE, Ingest
from cxm.customers import matching, resolution
from cxm.customers import services as customer_services
from cxm.customers.enums import MergeAction, MergeProposalStatus
from cxm.customers.models import Customer, MergeEvent, MergeProposal
from cxm.interactions.models import Interaction

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"


def timeline_ids(response: Any) -> list[str]:
    """The external ids of the timeline, in the order the page shows them."""
    html = response.content.decode()
    timeline = html[html.index('id="timeline"') :]
    return re.findall(r'data-external-id="([^"]+)"', timeline)


def text_of(response: Any) -> str:
    """The page's text without tags, whitespace squashed, as a reader sees it."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", text)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def customer_of(external_id: str) -> Customer:
    return Interaction.objects.select_related("customer").get(external_id=external_id).customer


# --------------------------------------------------------------------------
# Sign-in and permissions
# --------------------------------------------------------------------------

GET_PAGES = [
    "/",
    "/customers/",
    "/customers/?q=lee",
    "/customers/1/",
    "/merge-proposals/",
    "/merge-proposals/1/",
]
POST_ACTIONS = ["/merge-proposals/1/accept/", "/merge-proposals/1/reject/", "/merges/1/undo/"]


@pytest.mark.parametrize("url", GET_PAGES + POST_ACTIONS)
def test_anonymous_visitor_is_sent_to_the_login_page(client: Client, url: str) -> None:
    response = client.post(url) if url in POST_ACTIONS else client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_signs_in_and_returns_to_the_page_asked_for(
    client: Client, agent: User, ann: Customer
) -> None:
    target = f"/customers/{ann.pk}/"
    page = client.get(f"/login/?next={target}")
    assert page.status_code == 200
    assert b"Sign in to CXM" in page.content

    response = client.post("/login/", {"username": "agent", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response["Location"] == target
    assert client.get(target).status_code == 200


def test_login_page_says_when_the_password_is_wrong(client: Client, agent: User) -> None:
    response = client.post("/login/", {"username": "agent", "password": "not it"})

    assert response.status_code == 200
    assert b"That username and password do not match" in response.content
    assert client.get("/customers/").status_code == 302


def test_signed_in_home_goes_to_customer_search(agent_client: Client) -> None:
    response = agent_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/customers/"


@pytest.mark.parametrize("url", ["/customers/", "/customers/?q=lee", "/merge-proposals/"])
def test_user_without_view_permission_gets_403(stranger_client: Client, url: str) -> None:
    response = stranger_client.get(url)

    assert response.status_code == 403
    assert b"Your account has no role in CXM yet" in response.content


def test_user_without_view_permission_gets_403_on_a_customer(
    stranger_client: Client, ann: Customer
) -> None:
    response = stranger_client.get(f"/customers/{ann.pk}/")

    assert response.status_code == 403
    assert b"Ann Lee" not in response.content


def test_viewer_may_not_decide_proposals(viewer_client: Client, proposal: MergeProposal) -> None:
    page = viewer_client.get("/merge-proposals/")
    assert page.status_code == 200
    assert b"Your role can see this proposal but not decide it" in page.content
    assert b"Keep apart" not in page.content

    for action in ("accept", "reject"):
        response = viewer_client.post(f"/merge-proposals/{proposal.pk}/{action}/")
        assert response.status_code == 403

    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.PENDING
    assert MergeEvent.objects.count() == 0


def test_viewer_may_not_unmerge(
    agent_client: Client, viewer_client: Client, proposal: MergeProposal
) -> None:
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", follow=True)
    event = MergeEvent.objects.get()

    page = viewer_client.get(f"/customers/{event.survivor_id}/")
    assert b"Un-merge" not in page.content
    response = viewer_client.post(f"/merges/{event.pk}/undo/", {"reason": "different people"})

    assert response.status_code == 403
    event.refresh_from_db()
    assert event.undone_by_id is None


@pytest.mark.parametrize("url", POST_ACTIONS)
def test_get_on_an_action_is_405(agent_client: Client, url: str) -> None:
    assert agent_client.get(url).status_code == 405


@pytest.mark.parametrize(
    "url", ["/customers/", "/customers/1/", "/merge-proposals/", "/merge-proposals/1/"]
)
def test_post_on_a_page_is_405(agent_client: Client, url: str) -> None:
    assert agent_client.post(url).status_code == 405


@pytest.mark.parametrize(
    ("method", "url", "message"),
    [
        ("get", "/customers/999999/", b"There is no customer 999999"),
        ("get", f"/customers/{2**70}/", b"There is no customer"),
        ("get", "/merge-proposals/999999/", b"There is no merge proposal 999999"),
        ("get", f"/merge-proposals/{2**70}/", b"There is no merge proposal"),
        ("post", "/merge-proposals/999999/accept/", b"There is no merge proposal 999999"),
        ("post", "/merge-proposals/999999/reject/", b"There is no merge proposal 999999"),
        ("post", "/merges/999999/undo/", b"There is no merge 999999"),
    ],
)
def test_unknown_ids_are_404(agent_client: Client, method: str, url: str, message: bytes) -> None:
    response = getattr(agent_client, method)(url)

    assert response.status_code == 404
    assert message in response.content


def test_unknown_address_is_a_plain_404(agent_client: Client) -> None:
    response = agent_client.get("/no-such-page/")

    assert response.status_code == 404
    assert b"There is nothing at this address." in response.content


# --------------------------------------------------------------------------
# Customer search
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "ann.lee@example.org",
        "  ANN.Lee@Example.ORG ",
        "020 7946 0958",
        "+44 20 7946 0958",
        "+442079460958",
        "0044 20 7946 0958",
        "C-1042",
        "@annlee",
        "AnnLee",
        "https://twitter.com/annlee",
        "v-889",
        "Ann Lee",
        "lee",
        "ann",
    ],
)
def test_search_finds_the_customer_by_any_identifier_or_part_of_the_name(
    agent_client: Client, ann: Customer, proposal: MergeProposal, query: str
) -> None:
    response = agent_client.get("/customers/", {"q": query})

    assert response.status_code == 200
    assert [c.pk for c in response.context["customers"]] == [ann.pk]
    assert f'href="/customers/{ann.pk}/"'.encode() in response.content


def test_search_by_name_lists_namesakes_with_their_identifiers(
    agent_client: Client, ann: Customer, proposal: MergeProposal
) -> None:
    response = agent_client.get("/customers/", {"q": "stone"})

    assert [c.display_name for c in response.context["customers"]] == [
        "Bob Stone",
        "Robert Stone",
    ]
    html = response.content.decode()
    assert "2 customers matching “stone”" in html
    assert "bob@example.com" in html
    assert "+447911123456" in html


def test_search_without_a_match_says_how_to_search(agent_client: Client, ann: Customer) -> None:
    response = agent_client.get("/customers/", {"q": "nobody@example.org"})

    assert response.status_code == 200
    assert list(response.context["customers"]) == []
    assert b"No customer matches" in response.content


def test_search_without_a_query_lists_recent_customers_and_pending_proposals(
    agent_client: Client, ann: Customer, proposal: MergeProposal
) -> None:
    response = agent_client.get("/customers/")

    names = {c.display_name for c in response.context["customers"]}
    assert names == {"Ann Lee", "Bob Stone", "Robert Stone"}
    assert b"Recently updated customers" in response.content
    assert b"1 merge proposal</a> waiting for review" in response.content


def test_search_escapes_the_query(agent_client: Client, ann: Customer) -> None:
    response = agent_client.get("/customers/", {"q": "<script>alert(1)</script>"})

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_search_query_count_does_not_grow_with_results(
    agent_client: Client,
    ingest: Ingest,
    ann: Customer,
    django_assert_num_queries: Any,
) -> None:
    # session, user, user and group permissions, pending proposals, identities
    # matching the query, customers by identifier, customers by name, and the
    # identities of every result.
    with django_assert_num_queries(9):
        by_phone = agent_client.get("/customers/", {"q": "020 7946 0958"})
    assert len(by_phone.context["customers"]) == 1
    # No identity matches "lee", so there are no customers to fetch by identifier.
    with django_assert_num_queries(8):
        few = agent_client.get("/customers/", {"q": "lee"})
    assert len(few.context["customers"]) == 1

    ingest(
        *[
            {
                "external_id": f"lee-{n}",
                "customer": {
                    "email": f"lee{n}@example.org",
                    "phone": f"+4420794610{n:02d}",
                    "name": f"Lee {n}",
                },
            }
            for n in range(20)
        ]
    )
    with django_assert_num_queries(8):
        many = agent_client.get("/customers/", {"q": "lee"})
    assert len(many.context["customers"]) == 21
    assert all(len(c.identities.all()) >= 2 for c in many.context["customers"])


# --------------------------------------------------------------------------
# Customer 360
# --------------------------------------------------------------------------


def test_customer_page_shows_identities_with_their_sources(
    agent_client: Client, ann: Customer
) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/")

    assert response.status_code == 200
    assert [
        (i.kind, i.value_normalized, i.value_raw, i.source.name)
        for i in response.context["identities"]
    ] == [
        ("chat_visitor", "v-889", "v-889", "webchat"),
        ("crm_id", "C-1042", "C-1042", "crm"),
        ("email", "ann.lee@example.org", "ann.lee@example.org", "crm"),
        ("phone", "+442079460958", "+44 20 7946 0958", "crm"),
        ("twitter", "annlee", "@annlee", "crm"),
    ]
    html = response.content.decode()
    assert '<td class="nowrap">Chat visitor</td><td><code>v-889</code></td><td>webchat</td>' in html
    assert (
        '<td class="nowrap">Phone</td><td><code>+442079460958</code> '
        '<span class="raw">as “+44 20 7946 0958”</span></td><td>crm</td>'
    ) in html


def test_customer_page_shows_every_channel_in_one_timeline_newest_first(
    agent_client: Client, ann: Customer
) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/")

    items = response.context["page"].items
    assert [i.external_id for i in items] == ANN_TIMELINE
    assert [i.channel for i in items] == [
        "chat",
        "email",
        "social",
        "phone",
        "sms",
        "email",
        "other",
    ]
    assert timeline_ids(response) == ANN_TIMELINE
    assert response.context["page"].next_cursor is None
    html = response.content.decode()
    assert "7 interactions · first contact 2026-10-01 · last contact 2026-11-05 14:00" in html
    assert "Newest first · times in UTC" in html


def test_each_interaction_shows_the_identity_it_came_through(
    agent_client: Client, ann: Customer
) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/")

    came_through = {
        i.external_id: (i.identity.kind, i.identity.value_normalized)
        for i in response.context["page"].items
    }
    assert came_through == {
        "chat-311": ("email", "ann.lee@example.org"),
        "48214": ("email", "ann.lee@example.org"),
        "tw-9001": ("twitter", "annlee"),
        "CALL-77": ("phone", "+442079460958"),
        "SM-5501": ("phone", "+442079460958"),
        "48213": ("email", "ann.lee@example.org"),
        "C-1042": ("crm_id", "C-1042"),
    }
    html = response.content.decode()
    sms = html[html.index('data-external-id="SM-5501"') :]
    sms = sms[: sms.index("</li>")]
    assert "From customer" in sms
    assert "Phone <code>+442079460958</code>" in sms
    assert "via twilio" in sms
    assert "Still dropping tonight, any news?" in sms
    call = html[html.index('data-external-id="CALL-77"') :]
    assert "To customer" in call[: call.index("</li>")]


def test_channel_summary_counts_each_channel(agent_client: Client, ann: Customer) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/")

    contact = response.context["contact"]
    assert contact.total == 7
    assert [(c.value, c.label, c.count) for c in contact.channels] == [
        ("phone", "Phone", 1),
        ("sms", "SMS", 1),
        ("email", "Email", 2),
        ("chat", "Chat", 1),
        ("social", "Social", 1),
        ("other", "Other", 1),
    ]
    assert b'<a href="?channel=sms" class="">SMS <span class="count">1</span></a>' in (
        response.content
    )


def test_channel_filter_shows_one_channel(agent_client: Client, ann: Customer) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/", {"channel": "email"})

    assert timeline_ids(response) == ["48214", "48213"]
    assert (
        b'<a href="?channel=email" class="active" aria-current="page">Email '
        b'<span class="count">2</span></a>'
    ) in response.content
    assert b'<a href="?" class="">All channels' in response.content


def test_channel_filter_on_an_unused_channel_says_so(agent_client: Client, ann: Customer) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/", {"channel": "web"})

    assert timeline_ids(response) == []
    assert b"No interactions on this channel." in response.content
    assert b'class="active" aria-current="page">Web <span class="count">0</span>' in (
        response.content
    )


def test_unknown_channel_returns_to_the_whole_timeline_with_a_message(
    agent_client: Client, ann: Customer
) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/", {"channel": "fax"}, follow=True)

    assert response.redirect_chain == [(f"/customers/{ann.pk}/", 302)]
    assert messages_of(response)[0].startswith("unknown channel 'fax'; expected one of phone,")
    assert timeline_ids(response) == ANN_TIMELINE


def long_history(ingest: Ingest, *, emails: int, sms: int) -> Customer:
    """One customer with ``emails`` emails and ``sms`` text messages, a minute apart."""
    lines = [
        {
            "external_id": f"e-{n:03d}",
            "channel": "email",
            "occurred_at": f"2026-09-01T{n // 60:02d}:{n % 60:02d}:00+00:00",
            "customer": {"email": "many@example.org", "phone": "+44 20 7946 0001"},
        }
        for n in range(emails)
    ] + [
        {
            "source": "twilio",
            "external_id": f"s-{n:03d}",
            "channel": "sms",
            "occurred_at": f"2026-09-02T00:{n:02d}:00+00:00",
            "customer": {"phone": "+44 20 7946 0001"},
        }
        for n in range(sms)
    ]
    ingest(*lines)
    return Customer.objects.get(identities__value_normalized="many@example.org")


def test_older_interactions_page_on_with_the_cursor(agent_client: Client, ingest: Ingest) -> None:
    customer = long_history(ingest, emails=52, sms=3)
    url = f"/customers/{customer.pk}/"

    first = agent_client.get(url)
    newest = ["s-002", "s-001", "s-000"] + [f"e-{n:03d}" for n in range(51, -1, -1)]
    assert timeline_ids(first) == newest[:50]
    cursor = first.context["page"].next_cursor
    assert cursor
    assert f'href="?cursor={cursor}" rel="next">Older interactions</a>'.encode() in first.content
    assert b"Newest interactions" not in first.content

    second = agent_client.get(url, {"cursor": cursor})
    assert timeline_ids(second) == newest[50:]
    assert second.context["page"].next_cursor is None
    assert b"Older interactions" not in second.content
    assert b'<a href="?">Newest interactions</a>' in second.content


def test_paging_keeps_the_channel_filter(agent_client: Client, ingest: Ingest) -> None:
    customer = long_history(ingest, emails=53, sms=3)
    url = f"/customers/{customer.pk}/"

    first = agent_client.get(url, {"channel": "email"})
    assert timeline_ids(first) == [f"e-{n:03d}" for n in range(52, 2, -1)]
    cursor = first.context["page"].next_cursor
    assert f'href="?channel=email&amp;cursor={cursor}"'.encode() in first.content

    second = agent_client.get(url, {"channel": "email", "cursor": cursor})
    assert timeline_ids(second) == ["e-002", "e-001", "e-000"]
    assert b'<a href="?channel=email">Newest interactions</a>' in second.content


def test_a_cursor_cxm_did_not_give_out_returns_to_the_start(
    agent_client: Client, ann: Customer
) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/", {"cursor": "not-a-cursor"}, follow=True)

    assert response.redirect_chain == [(f"/customers/{ann.pk}/", 302)]
    assert messages_of(response) == ["This cursor is not one CXM gave out; start again without it"]
    assert timeline_ids(response) == ANN_TIMELINE


def test_long_messages_fold_and_attributes_show(agent_client: Client, ingest: Ingest) -> None:
    body = "The router restarts. " * 40
    ingest(
        {
            "external_id": "long-1",
            "body": body,
            "attributes": {"plan": "fibre-500", "items": ["router", "filter"], "empty": ""},
        }
    )
    customer = customer_of("long-1")

    html = agent_client.get(f"/customers/{customer.pk}/").content.decode()

    assert f"Show the whole message ({len(body)} characters)" in html
    assert body.strip() in html
    assert "<dt>items</dt><dd>[&quot;router&quot;, &quot;filter&quot;]</dd>" in html
    assert "<dt>plan</dt><dd>fibre-500</dd>" in html
    assert "<dt>empty</dt>" not in html


def test_customer_page_escapes_what_customers_write(agent_client: Client, ingest: Ingest) -> None:
    ingest(
        {
            "external_id": "xss-1",
            "subject": "<img src=x onerror=alert(1)>",
            "body": "<script>alert(2)</script>",
            "customer": {"email": "mallory@example.org", "name": "<b>Mallory</b>"},
        }
    )
    customer = customer_of("xss-1")

    html = agent_client.get(f"/customers/{customer.pk}/").content.decode()

    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html
    assert "<b>Mallory</b>" not in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html


def test_customer_page_query_count_does_not_grow_with_the_timeline(
    agent_client: Client,
    ingest: Ingest,
    ann: Customer,
    django_assert_num_queries: Any,
) -> None:
    # session, user, role, the agent's teams, customer, timeline page, channel
    # counts, the audit row of the read, identities, the profile's customers
    # (itself, then those merged into it), their merges, their proposals, the
    # customer's cases and their standing; then promises, journey and health: the
    # profile's customers again (2), stage visits and purchases (2), the health
    # facts (promises, purchases, sentiment, contacts, open cases, their breached
    # clocks, survey answers, weights: 8), the customer's promises and pending
    # suggestions (2).
    with django_assert_num_queries(29):
        small = agent_client.get(f"/customers/{ann.pk}/")
    assert len(small.context["page"].items) == 7

    customer = long_history(ingest, emails=60, sms=5)
    with django_assert_num_queries(29):
        large = agent_client.get(f"/customers/{customer.pk}/")
    assert len(large.context["page"].items) == 50


def test_merge_proposals_query_count_does_not_grow_with_proposals(
    agent_client: Client,
    ingest: Ingest,
    proposal: MergeProposal,
    django_assert_num_queries: Any,
) -> None:
    # session, user, user and group permissions, proposals with both customers.
    with django_assert_num_queries(5):
        agent_client.get("/merge-proposals/")

    for n in range(5):
        ingest(
            {"external_id": f"p{n}-a", "customer": {"email": f"p{n}@example.org"}},
            {"external_id": f"p{n}-b", "customer": {"crm_id": f"P-{n}"}},
        )
        ingest(
            {
                "external_id": f"p{n}-c",
                "customer": {"email": f"p{n}@example.org", "crm_id": f"P-{n}"},
            },
        )
    with django_assert_num_queries(5):
        response = agent_client.get("/merge-proposals/")
    assert len(response.context["proposals"]) == 6


# --------------------------------------------------------------------------
# Merge proposals, merge and un-merge
# --------------------------------------------------------------------------


def test_proposal_page_shows_the_pair_and_why(
    agent_client: Client, proposal: MergeProposal
) -> None:
    response = agent_client.get("/merge-proposals/")

    assert [p.pk for p in response.context["proposals"]] == [proposal.pk]
    html = response.content.decode()
    assert f'<a href="/customers/{proposal.customer_low_id}/">Bob Stone</a>' in html
    assert f'<a href="/customers/{proposal.customer_high_id}/">Robert Stone</a>' in html
    assert (
        "One interaction carried identifiers of both customers: "
        "email bob@example.com, phone +447911123456"
    ) in html
    assert "Seen in a chat interaction on 2026-10-07 10:00: “Refund and invoice”." in html
    assert ">Merge</button>" in html
    assert ">Keep apart</button>" in html


def test_accepting_a_proposal_merges_the_pair(
    agent_client: Client, proposal: MergeProposal
) -> None:
    bob, robert = proposal.customer_low, proposal.customer_high

    response = agent_client.post(
        f"/merge-proposals/{proposal.pk}/accept/", {"note": "Same address"}, follow=True
    )

    assert response.redirect_chain == [("/merge-proposals/", 302)]
    assert messages_of(response) == [f"Merged customer {robert.pk} into customer {bob.pk}."]
    assert list(response.context["proposals"]) == []
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.ACCEPTED
    assert proposal.decision_note == "Same address"
    event = MergeEvent.objects.get()
    assert (event.action, event.survivor_id, event.merged_id, event.actor_label) == (
        MergeAction.MERGE,
        bob.pk,
        robert.pk,
        "agent",
    )

    page = agent_client.get(f"/customers/{bob.pk}/")
    assert timeline_ids(page) == ["B-3", "B-2", "B-1"]
    assert [c.value for c in page.context["contact"].channels] == ["sms", "email", "chat"]
    text = text_of(page)
    assert f"agent merged Robert Stone #{robert.pk} into Bob Stone #{bob.pk} Same address" in text
    assert f'action="/merges/{event.pk}/undo/"' in page.content.decode()


def test_accepted_proposals_are_listed_with_the_decision(
    agent_client: Client, proposal: MergeProposal
) -> None:
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", {"note": "Same address"})

    response = agent_client.get("/merge-proposals/", {"status": "accepted"})

    html = response.content.decode()
    assert [p.pk for p in response.context["proposals"]] == [proposal.pk]
    assert " by agent: Same address" in html
    assert ">Merge</button>" not in html


def test_a_merged_customer_address_leads_to_the_survivor(
    agent_client: Client, proposal: MergeProposal
) -> None:
    bob, robert = proposal.customer_low, proposal.customer_high
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", follow=True)

    response = agent_client.get(f"/customers/{robert.pk}/", follow=True)

    assert response.redirect_chain == [(f"/customers/{bob.pk}/", 302)]
    assert messages_of(response) == [
        f"Robert Stone (#{robert.pk}) was merged into Bob Stone (#{bob.pk}); "
        "showing the merged profile."
    ]
    assert response.context["customer"] == bob


def test_accepting_twice_says_it_is_already_decided(
    agent_client: Client, proposal: MergeProposal
) -> None:
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", follow=True)

    response = agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", follow=True)

    assert messages_of(response) == ["This proposal is already merged"]
    assert MergeEvent.objects.count() == 1


def test_rejecting_a_proposal_keeps_the_pair_apart(
    agent_client: Client, proposal: MergeProposal
) -> None:
    bob, robert = proposal.customer_low, proposal.customer_high

    response = agent_client.post(
        f"/merge-proposals/{proposal.pk}/reject/", {"note": "Father and son"}, follow=True
    )

    assert response.redirect_chain == [("/merge-proposals/", 302)]
    assert messages_of(response) == ["Kept apart; this pair will not be proposed again."]
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.REJECTED
    assert proposal.decision_note == "Father and son"
    assert MergeEvent.objects.count() == 0
    assert timeline_ids(agent_client.get(f"/customers/{bob.pk}/")) == ["B-3", "B-1"]
    assert timeline_ids(agent_client.get(f"/customers/{robert.pk}/")) == ["B-2"]
    rejected = agent_client.get("/merge-proposals/", {"status": "rejected"})
    assert b"by agent: Father and son" in rejected.content


def test_a_decision_returns_to_the_page_it_came_from_but_never_off_site(
    agent_client: Client, ingest: Ingest, proposal: MergeProposal
) -> None:
    response = agent_client.post(
        f"/merge-proposals/{proposal.pk}/reject/", {"next": "/customers/?q=stone"}
    )
    assert response["Location"] == "/customers/?q=stone"

    ingest(
        {"external_id": "n-1", "customer": {"email": "n@example.org"}},
        {"external_id": "n-2", "customer": {"crm_id": "N-1"}},
    )
    ingest({"external_id": "n-3", "customer": {"email": "n@example.org", "crm_id": "N-1"}})
    other = MergeProposal.objects.get(status=MergeProposalStatus.PENDING)
    for off_site in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = agent_client.post(f"/merge-proposals/{other.pk}/reject/", {"next": off_site})
        assert response["Location"] == "/merge-proposals/"


def test_decisions_need_the_csrf_token(agent: User, proposal: MergeProposal) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)

    forged = browser.post(f"/merge-proposals/{proposal.pk}/accept/")
    assert forged.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.PENDING

    page = browser.get("/merge-proposals/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = browser.post(
        f"/merge-proposals/{proposal.pk}/accept/", {"csrfmiddlewaretoken": token.group(1)}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.ACCEPTED


def test_unmerge_from_the_customer_page(agent_client: Client, proposal: MergeProposal) -> None:
    bob, robert = proposal.customer_low, proposal.customer_high
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", follow=True)
    event = MergeEvent.objects.get()

    response = agent_client.post(
        f"/merges/{event.pk}/undo/", {"reason": "Father and son"}, follow=True
    )

    assert response.redirect_chain == [(f"/customers/{bob.pk}/", 302)]
    assert messages_of(response) == [f"Un-merged: customer {robert.pk} has its own profile again."]
    assert timeline_ids(response) == ["B-3", "B-1"]
    text = text_of(response)
    assert f"agent un-merged Robert Stone #{robert.pk} from Bob Stone #{bob.pk} Father and son" in (
        text
    )
    assert f"agent merged Robert Stone #{robert.pk} into Bob Stone #{bob.pk}" in text
    assert "Undone." in text
    assert "/undo/" not in response.content.decode()
    robert.refresh_from_db()
    assert robert.merged_into_id is None
    assert timeline_ids(agent_client.get(f"/customers/{robert.pk}/")) == ["B-2"]
    proposal.refresh_from_db()
    assert proposal.status == MergeProposalStatus.REJECTED


def test_unmerge_without_a_reason_changes_nothing(
    agent_client: Client, proposal: MergeProposal
) -> None:
    bob = proposal.customer_low
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", follow=True)
    event = MergeEvent.objects.get()

    response = agent_client.post(f"/merges/{event.pk}/undo/", {"reason": "  "}, follow=True)

    assert messages_of(response) == ["Say why these customers are different people"]
    assert timeline_ids(response) == ["B-3", "B-2", "B-1"]
    event.refresh_from_db()
    assert event.undone_by_id is None
    assert response.context["customer"] == bob


def test_a_probabilistic_proposal_shows_each_comparison_and_its_weight(
    agent_client: Client, ann: Customer, ingest: Ingest
) -> None:
    other = Customer.objects.exclude(pk=ann.pk).first() or Customer.objects.create(
        display_name="Anne Lee"
    )
    low, high = sorted((ann.pk, other.pk))
    MergeProposal.objects.create(
        customer_low_id=low,
        customer_high_id=high,
        method="probabilistic",
        score=0.934,
        reason="Match probability 0.934: first name, date of birth agree; a person should decide.",
        evidence=[
            {"comparison": "first name", "level": "Jaro-Winkler ≥ 0.92", "weight": 4.1},
            {"comparison": "date of birth", "level": "exact", "weight": 7.5},
            {"comparison": "city", "level": "different", "weight": -1.2},
        ],
    )

    page = agent_client.get("/merge-proposals/")

    text = page.content.decode()
    assert "<td>date of birth</td><td>exact</td><td>7.50</td>" in text
    assert "<td>city</td><td>different</td><td>-1.20</td>" in text
    assert "Match probability 0.934." in text


# --------------------------------------------------------------------------
# Reviewing one proposal side by side
# --------------------------------------------------------------------------


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def block_text(html: str, element_id: str) -> str:
    """The text of the element with this id (one that does not nest its own tag)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"', html)
    assert found is not None, element_id
    end = html.index(f"</{found.group(1)}>", found.start())
    return _squash(html[found.start() : end])


def table_rows(response: Any, table_id: str) -> list[list[str]]:
    """The text of each cell of each row below a table's head, as a reader sees it."""
    html = response.content.decode()
    start = html.index(f'id="{table_id}"')
    table = html[start : html.index("</table>", start)]
    if "</thead>" in table:
        table = table[table.index("</thead>") :]
    return [
        [_squash(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    ]


def weight_bar(response: Any, comparison: str) -> tuple[str, str]:
    """Which way a comparison's bar points and its width class."""
    html = response.content.decode()
    found = re.search(
        rf'data-comparison="{comparison}".*?class="wbar (\w+)".*?class="fill (b-\d+)"',
        html,
        flags=re.S,
    )
    assert found is not None, comparison
    return found.group(1), found.group(2)


def form_action(response: Any, button: str) -> str:
    """The action of the form whose submit button says ``button``."""
    html = response.content.decode()
    for form in re.findall(r"<form\b.*?</form>", html, flags=re.S):
        if f">{button}</button>" in form:
            found = re.search(r'action="([^"]+)"', form)
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no form with a {button!r} button")


def test_review_page_shows_both_customers_side_by_side(
    agent_client: Client, likely_pair: MergeProposal
) -> None:
    john, jon = likely_pair.customer_low, likely_pair.customer_high

    response = agent_client.get(f"/merge-proposals/{likely_pair.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'A · <a href="/customers/{john.pk}/">John Smith</a>' in html
    assert f'B · <a href="/customers/{jon.pk}/">Jon Smyth</a>' in html
    assert table_rows(response, "sides") == [
        ["Name", "John Smith", "Jon Smyth"],
        ["Kind", "Unknown", "Unknown"],
        ["Account", "Smith Joinery", "—"],
        ["Team", "—", "—"],
        ["Date of birth", "1980-03-14", "1980-03-14"],
        ["Address", "12 Park Row", "—"],
        ["Postcode", "LS1 4AP", "LS1 4AP"],
        ["City", "Leeds", "York"],
        ["Email", "john.smith@example.com via zendesk", "—"],
        ["Phone", "—", "+447911123457 via twilio"],
        ["Interactions", "2 Email 2", "1 SMS 1"],
        ["First contact", "2026-09-01 08:30", "2026-10-12 17:45"],
        ["Last contact", "2026-09-03 08:30", "2026-10-12 17:45"],
    ]
    assert text_of(response).count("Match probability 0.910: first name, surname") == 1
    assert "Probabilistic match · proposed" in text_of(response)


def test_review_page_shows_what_each_comparison_contributed(
    agent_client: Client, likely_pair: MergeProposal
) -> None:
    response = agent_client.get(f"/merge-proposals/{likely_pair.pk}/")

    rows = table_rows(response, "comparisons")
    assert rows[:8] == [
        ["first name", "john", "jon", "Jaro-Winkler ≥ 0.92", "Partly agreed", "+3.20", ""],
        ["surname", "smith", "smyth", "Jaro-Winkler ≥ 0.92", "Partly agreed", "+2.90", ""],
        ["date of birth", "1980-03-14", "1980-03-14", "exact", "Agreed", "+8.40", ""],
        ["postcode", "ls14ap", "ls14ap", "exact", "Agreed", "+9.10", ""],
        ["city", "leeds", "york", "different", "Disagreed", "-3.40", ""],
        ["company", "smith joinery", "—", "no data", "No data", "0.00", ""],
        ["email local part", "john.smith", "—", "no data", "No data", "0.00", ""],
        ["phone digits", "—", "447911123457", "no data", "No data", "0.00", ""],
    ]
    # The prior's log2 odds plus the weights (20.20) are the score's: log2(0.91 / 0.09).
    assert rows[8:] == [
        [
            "Prior: how likely two customers picked at random are one person "
            "(as the score implies)",
            "-16.86",
            "8.39e-06",
        ],
        ["All comparisons together", "+20.20", ""],
        ["Match probability", "+3.34", "0.910"],
    ]
    # The largest weight fills its half of the bar; the others are to scale.
    assert weight_bar(response, "postcode") == ("for", "b-20")
    assert weight_bar(response, "date of birth") == ("for", "b-18")
    assert weight_bar(response, "first name") == ("for", "b-7")
    assert weight_bar(response, "city") == ("against", "b-7")
    assert weight_bar(response, "company") == ("for", "b-0")


def test_review_page_reads_older_evidence_and_a_score_too_close_to_one(
    agent_client: Client, likely_customers: tuple[Customer, Customer]
) -> None:
    john, jon = likely_customers
    proposal = MergeProposal.objects.create(
        customer_low=john,
        customer_high=jon,
        method="probabilistic",
        score=1.0,
        reason="Match probability 1.000",
        evidence=[
            {"comparison": "date of birth", "level": "one typo", "weight": 5.0},
            {"comparison": "nickname", "level": "exact", "weight": 2.5},
            {"comparison": "city", "level": "no data", "weight": 0},
        ],
    )

    response = agent_client.get(f"/merge-proposals/{proposal.pk}/")

    assert table_rows(response, "comparisons") == [
        ["date of birth", "not recorded", "not recorded", "one typo", "Partly agreed", "+5.00", ""],
        ["nickname", "not recorded", "not recorded", "exact", "Agreed", "+2.50", ""],
        ["city", "not recorded", "not recorded", "no data", "No data", "0.00", ""],
        ["Prior: how likely two customers picked at random are one person", "—", "—"],
        ["All comparisons together", "+7.50", ""],
        ["Match probability", "—", "1.000"],
    ]


def test_review_page_of_an_identifier_proposal_highlights_the_shared_identifiers(
    agent_client: Client, proposal: MergeProposal
) -> None:
    response = agent_client.get(f"/merge-proposals/{proposal.pk}/")

    html = response.content.decode()
    rows = table_rows(response, "sides")
    assert ["Email", "bob@example.com via zendesk", "—"] in rows
    assert ["Phone", "—", "+447911123456 via twilio"] in rows
    assert ["Interactions", "2 Chat 1 Email 1", "1 SMS 1"] in rows
    marked = re.findall(r"<mark [^>]*><code>([^<]+)</code></mark>", html)
    assert marked == ["bob@example.com", "+447911123456"]
    shared = block_text(html, "shared-identifiers")
    assert "Email bob@example.com Phone +447911123456" in shared
    assert "Seen in a chat interaction on 2026-10-07 10:00: “Refund and invoice”." in shared
    assert 'id="comparisons"' not in html


def test_the_queue_links_each_proposal_to_its_review_page(
    agent_client: Client, viewer_client: Client, proposal: MergeProposal
) -> None:
    link = f'href="/merge-proposals/{proposal.pk}/">Review side by side</a>'

    assert link in agent_client.get("/merge-proposals/").content.decode()
    # The review page is for those who decide.
    assert link not in viewer_client.get("/merge-proposals/").content.decode()


def test_an_analyst_may_not_open_the_review_page(
    viewer_client: Client, likely_pair: MergeProposal
) -> None:
    response = viewer_client.get(f"/merge-proposals/{likely_pair.pk}/")

    assert response.status_code == 403
    assert b"John Smith" not in response.content


def test_another_teams_proposal_is_not_found(
    agent: User, agent_client: Client, likely_pair: MergeProposal
) -> None:
    north = access_services.team_get_or_create(name="North")
    south = access_services.team_get_or_create(name="South")
    access_services.membership_set(user=agent, role=Role.AGENT, teams=[north])
    url = f"/merge-proposals/{likely_pair.pk}/"
    Customer.objects.filter(pk=likely_pair.customer_low_id).update(team=north)
    assert agent_client.get(url).status_code == 200

    # One side in another team is enough to hide the whole pair.
    Customer.objects.filter(pk=likely_pair.customer_high_id).update(team=south)
    response = agent_client.get(url)

    assert response.status_code == 404
    assert f"There is no merge proposal {likely_pair.pk}".encode() in response.content
    assert b"Jon Smyth" not in response.content


def test_accepting_from_the_review_page_merges_and_returns_to_the_queue(
    agent_client: Client, likely_pair: MergeProposal
) -> None:
    john, jon = likely_pair.customer_low, likely_pair.customer_high
    page = agent_client.get(f"/merge-proposals/{likely_pair.pk}/")
    action = form_action(page, "Merge these customers")
    assert action == f"/merge-proposals/{likely_pair.pk}/accept/"

    response = agent_client.post(action, {"note": "Moved from York to Leeds"}, follow=True)

    assert response.redirect_chain == [("/merge-proposals/", 302)]
    assert messages_of(response) == [f"Merged customer {jon.pk} into customer {john.pk}."]
    likely_pair.refresh_from_db()
    assert likely_pair.status == MergeProposalStatus.ACCEPTED
    assert likely_pair.decision_note == "Moved from York to Leeds"
    event = MergeEvent.objects.get()
    assert (event.survivor_id, event.merged_id, event.reason, event.proposal_id) == (
        john.pk,
        jon.pk,
        "Moved from York to Leeds",
        likely_pair.pk,
    )

    decided = agent_client.get(f"/merge-proposals/{likely_pair.pk}/")
    text = text_of(decided)
    assert f"agent merged Jon Smyth #{jon.pk} into John Smith #{john.pk} Moved from York" in text
    assert f"Merged into John Smith #{john.pk}: its identities and interactions are there." in text
    assert "Merge these customers" not in text
    assert "Keep apart" not in text


def test_rejecting_from_the_review_page_keeps_the_pair_apart(
    agent_client: Client, likely_pair: MergeProposal
) -> None:
    page = agent_client.get(f"/merge-proposals/{likely_pair.pk}/")
    action = form_action(page, "Keep apart")
    assert action == f"/merge-proposals/{likely_pair.pk}/reject/"

    response = agent_client.post(action, {"note": "Cousins, says John"}, follow=True)

    assert response.redirect_chain == [("/merge-proposals/", 302)]
    assert messages_of(response) == ["Kept apart; this pair will not be proposed again."]
    likely_pair.refresh_from_db()
    assert (likely_pair.status, likely_pair.decision_note) == (
        MergeProposalStatus.REJECTED,
        "Cousins, says John",
    )
    assert MergeEvent.objects.count() == 0
    decided = agent_client.get(f"/merge-proposals/{likely_pair.pk}/")
    assert re.search(
        r"Rejected \d{4}-\d\d-\d\d \d\d:\d\d by agent: Cousins, says John", text_of(decided)
    )


# --------------------------------------------------------------------------
# A customer's merges, un-merges and decisions
# --------------------------------------------------------------------------


def test_customer_page_shows_an_automatic_merge_with_its_evidence_and_undo(
    agent_client: Client, likely_customers: tuple[Customer, Customer]
) -> None:
    john, jon = likely_customers
    score = matching.Score(
        weight=10.0,
        probability=0.9991,
        contributions=(
            matching.Contribution("date of birth", "exact", 2**8.4),
            matching.Contribution("postcode", "exact", 2**9.1),
            matching.Contribution("city", "different", 2**-3.4),
        ),
    )
    decisions = resolution.pairs_decide(
        [(john.pk, jon.pk, score, LIKELY_EVIDENCE)], decided={}, auto=0.99, review=0.8
    )
    assert decisions.merged == [(john.pk, jon.pk, 0.9991)]
    event = MergeEvent.objects.get()

    page = agent_client.get(f"/customers/{john.pk}/")

    html = page.content.decode()
    history = block_text(html, "merge-history")
    assert (
        f"CXM merged Jon Smyth #{jon.pk} into John Smith #{john.pk} "
        "Automatic merge. Match probability 0.999: date of birth, postcode agree."
    ) in history
    assert f'href="/merge-proposals/{event.proposal_id}/">Evidence for this merge</a>' in html
    assert f'action="/merges/{event.pk}/undo/"' in html
    evidence = agent_client.get(f"/merge-proposals/{event.proposal_id}/")
    assert ["Match probability", "+10.12", "0.999"] in table_rows(evidence, "comparisons")


def test_customer_page_lists_pending_proposals_and_the_pairs_kept_apart(
    agent_client: Client, proposal: MergeProposal
) -> None:
    bob, robert = proposal.customer_low, proposal.customer_high

    pending = agent_client.get(f"/customers/{bob.pk}/")
    html = pending.content.decode()
    waiting = block_text(html, "pending-proposals")
    assert (
        f"proposed as the same person as Robert Stone #{robert.pk} One interaction carried"
        in waiting
    )
    assert f'href="/merge-proposals/{proposal.pk}/">Review side by side</a>' in html
    assert 'id="proposal-decisions"' not in html

    agent_client.post(f"/merge-proposals/{proposal.pk}/reject/", {"note": "Father and son"})

    for customer, other in ((bob, robert), (robert, bob)):
        html = agent_client.get(f"/customers/{customer.pk}/").content.decode()
        assert 'id="pending-proposals"' not in html
        decisions = block_text(html, "proposal-decisions")
        assert re.fullmatch(
            rf"\d{{4}}-\d\d-\d\d \d\d:\d\d · Kept apart from {other} #{other.pk} by agent "
            r"Father and son Evidence",
            decisions,
        ), decisions


def test_customer_page_says_who_un_merged_a_pair(
    agent_client: Client, proposal: MergeProposal
) -> None:
    bob, robert = proposal.customer_low, proposal.customer_high
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", {"note": "Same invoice"})
    event = MergeEvent.objects.get()
    supervisor = User.objects.create_user("sup", password=PASSWORD)
    access_services.membership_set(user=supervisor, role=Role.SUPERVISOR)
    other_client = Client()
    other_client.force_login(supervisor)
    other_client.post(f"/merges/{event.pk}/undo/", {"reason": "Father and son"})

    for customer, other in ((bob, robert), (robert, bob)):
        html = agent_client.get(f"/customers/{customer.pk}/").content.decode()
        text = block_text(html, "merges")
        assert (
            f"sup un-merged Robert Stone #{robert.pk} from Bob Stone #{bob.pk} Father and son"
        ) in text
        assert f"agent merged Robert Stone #{robert.pk} into Bob Stone #{bob.pk}" in text
        assert "Same invoice Evidence for this merge Undone." in text
        # The proposal still names the agent who accepted it; the un-merge says who parted them.
        assert (
            f"Kept apart from {other} #{other.pk} by sup, who un-merged them "
            "Un-merged: Father and son"
        ) in text


def test_customer_page_shows_merges_inside_a_merged_profile(
    agent: User, agent_client: Client, ingest: Ingest
) -> None:
    ingest(
        {"external_id": "m-1", "customer": {"email": "a@example.org", "name": "Amy"}},
        {"external_id": "m-2", "customer": {"crm_id": "M-2", "name": "Amy B"}},
        {"external_id": "m-3", "customer": {"phone": "+44 20 7946 0111", "name": "Amy Brown"}},
    )
    amy, amy_b, amy_brown = (customer_of(e) for e in ("m-1", "m-2", "m-3"))
    first = customer_services.customer_merge(
        survivor=amy_b, merged=amy, actor=agent, reason="Same CRM record"
    )
    second = customer_services.customer_merge(
        survivor=amy_brown, merged=amy_b, actor=agent, reason="Same phone"
    )

    html = agent_client.get(f"/customers/{amy_brown.pk}/").content.decode()

    history = block_text(html, "merge-history")
    assert (
        f"agent merged Amy B #{amy_b.pk} into Amy Brown #{amy_brown.pk} Same phone Un-merge"
    ) in history
    assert (
        f"agent merged Amy #{amy.pk} into Amy B #{amy_b.pk} Same CRM record "
        f"To undo it, first un-merge Amy B #{amy_b.pk}."
    ) in history
    assert f'action="/merges/{second.pk}/undo/"' in html
    assert f'action="/merges/{first.pk}/undo/"' not in html


def test_an_analyst_reads_the_merge_history_without_links_to_act(
    agent_client: Client, viewer_client: Client, proposal: MergeProposal
) -> None:
    agent_client.post(f"/merge-proposals/{proposal.pk}/accept/", {"note": "Same invoice"})

    html = viewer_client.get(f"/customers/{proposal.customer_low_id}/").content.decode()

    assert "agent merged Robert Stone" in _squash(html)
    assert "/merge-proposals/" not in html.split("<main>", 1)[1]
    assert "/undo/" not in html


def test_customer_page_query_count_does_not_grow_with_merges_and_proposals(
    agent_client: Client, ingest: Ingest, proposal: MergeProposal, django_assert_num_queries: Any
) -> None:
    bob = proposal.customer_low
    for n in range(4):
        ingest({"external_id": f"q{n}-a", "customer": {"crm_id": f"Q-{n}", "name": f"Q {n}"}})
        ingest(
            {
                "external_id": f"q{n}-b",
                "customer": {"email": "bob@example.com", "crm_id": f"Q-{n}"},
            }
        )
    proposals = list(MergeProposal.objects.filter(status=MergeProposalStatus.PENDING))
    assert len(proposals) == 5
    agent_client.post(f"/merge-proposals/{proposals[0].pk}/accept/")
    # The profile's customers are read one level of merges at a time: one
    # customer merged straight into Bob costs one query more than none (twice: once
    # for the merge history, once for promises, journey and health).
    with django_assert_num_queries(31):
        response = agent_client.get(f"/customers/{bob.pk}/")
    merges = response.context["merges"]
    assert (len(merges.events), len(merges.pending), len(merges.decided)) == (1, 4, 0)

    agent_client.post(f"/merge-proposals/{proposals[1].pk}/accept/")
    agent_client.post(f"/merge-proposals/{proposals[2].pk}/reject/")
    agent_client.post(f"/merges/{merges.events[0].pk}/undo/", {"reason": "Twins"})

    with django_assert_num_queries(31):
        response = agent_client.get(f"/customers/{bob.pk}/")
    merges = response.context["merges"]
    assert (len(merges.events), len(merges.pending), len(merges.decided)) == (3, 2, 2)


def test_a_record_a_system_sent_is_shown_as_such(agent_client: Client, ann: Customer) -> None:
    Interaction.objects.filter(external_id="C-1042").update(automated=True)

    html = agent_client.get(f"/customers/{ann.pk}/").content.decode()

    record = html[html.index('data-external-id="C-1042"') :]
    record = record[: record.index("</li>")]
    assert "System record" in record and "From customer" not in record
    sms = html[html.index('data-external-id="SM-5501"') :]
    assert "System record" not in sms[: sms.index("</li>")]
