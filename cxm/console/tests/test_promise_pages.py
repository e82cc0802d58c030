"""The console's promise and journey pages: the gaps, the ledger, a promise and what is
done to it, suggestions, keeping rates, the journey funnel and the customer page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.console.tests.conftest import Ingest
from cxm.customers.models import Customer
from cxm.journeys import services as journey_services
from cxm.promises import services
from cxm.promises.enums import PromiseStatus
from cxm.promises.models import Promise, PromiseAlert, PromiseSuggestion


def promise(
    actor: Any, customer: Customer, *, made_days: float, due_days: float, **extra: Any
) -> Promise:
    now = timezone.now()
    return services.promise_create(
        actor=actor,
        promise=services.PromiseIn(
            customer_id=customer.pk,
            kind=extra.pop("kind", "installation"),
            title=extra.pop("title", "Fibre installed"),
            made_at=now + timedelta(days=made_days),
            due_at=now + timedelta(days=due_days),
            **extra,
        ),
    )


@pytest.fixture
def slipping(agent: User, ann: Customer) -> dict[str, Promise]:
    """One promise at risk (due in under 8 hours, an installation's lead time, round the
    clock here), one broken yesterday, one open next month."""
    found = {
        "at_risk": promise(agent, ann, made_days=-5, due_days=0.2, title="Router by tomorrow"),
        "broken": promise(agent, ann, made_days=-6, due_days=-1, title="Engineer on Monday"),
        "open": promise(
            agent, ann, made_days=-1, due_days=30, title="Price held for a year", kind="price"
        ),
    }
    services.promises_sweep()
    for p in found.values():
        p.refresh_from_db()
    return found


def test_the_gaps_page_lists_what_slips_and_the_agents_alerts(
    agent_client: Client, slipping: dict[str, Promise]
) -> None:
    response = agent_client.get("/gaps/")

    assert response.status_code == 200
    html = response.content.decode()
    assert [p.title for p in response.context["gaps"].at_risk] == ["Router by tomorrow"]
    assert [p.title for p in response.context["gaps"].broken] == ["Engineer on Monday"]
    assert response.context["gaps"].open_count == 1
    assert {(a.kind, a.promise.title) for a in response.context["alerts"]} == {
        ("at_risk", "Router by tomorrow"),
        ("at_risk", "Engineer on Monday"),
        ("broken", "Engineer on Monday"),
    }
    assert "opened a case for the customer" in html
    alert = PromiseAlert.objects.get(promise=slipping["broken"], kind="broken")
    done = agent_client.post(f"/promise-alerts/{alert.pk}/acknowledge/")
    again = agent_client.post(f"/promise-alerts/{alert.pk}/acknowledge/", follow=True)
    assert done.status_code == 302
    assert "already acknowledged" in again.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by_label == "agent"


def test_an_onboarding_behind_is_on_the_gaps_page(agent_client: Client, ann: Customer) -> None:
    journey_services.milestone_set(
        actor=None,
        product="fibre-500",
        key="installed",
        milestone=journey_services.MilestoneIn(name="Installed", target_days=7),
    )
    journey_services.purchase_record(
        actor=None,
        purchase=journey_services.PurchaseIn(
            product="fibre-500", customer_id=ann.pk, sold_at=timezone.now() - timedelta(days=10)
        ),
    )

    stalled = agent_client.get("/gaps/").context["stalled"]

    assert [
        (s.milestone.milestone.name, s.milestone.state, round(s.late_days)) for s in stalled
    ] == [("Installed", "behind", 3)]


def test_the_ledger_filters_and_pages(agent_client: Client, slipping: dict[str, Promise]) -> None:
    everything = agent_client.get("/promises/")
    broken = agent_client.get("/promises/?status=broken")
    prices = agent_client.get("/promises/?kind=price")
    bad = agent_client.get("/promises/?status=lost", follow=True)

    assert everything.context["page"].total == 3
    assert [p.title for p in broken.context["page"].items] == ["Engineer on Monday"]
    assert [p.title for p in prices.context["page"].items] == ["Price held for a year"]
    assert "There is no status &#x27;lost&#x27;." in bad.content.decode()


def test_recording_a_promise_keeps_the_form_on_a_mistake(
    agent_client: Client, ann: Customer
) -> None:
    form = agent_client.get(f"/promises/new/?customer={ann.pk}")
    assert form.context["form"]["customer_id"] == str(ann.pk)

    missing = agent_client.post(
        "/promises/new/",
        {"customer_id": str(ann.pk), "kind": "delivery", "title": "Router", "due_at": ""},
    )
    wrong = agent_client.post(
        "/promises/new/",
        {"customer_id": "Ann", "kind": "delivery", "title": "Router", "due_at": "2030-01-04T17:00"},
    )
    made = agent_client.post(
        "/promises/new/",
        {
            "customer_id": str(ann.pk),
            "kind": "delivery",
            "title": "Router by Friday",
            "due_at": "2030-01-04T17:00",
            "evidence": "Courier's proof of delivery",
        },
    )

    assert missing.status_code == 422
    assert "The due date is required." in missing.content.decode()
    assert missing.context["form"]["title"] == "Router"
    assert wrong.status_code == 422
    assert "The customer number must be a whole number, not &#x27;Ann&#x27;." in (
        wrong.content.decode()
    )
    assert made.status_code == 302
    created = Promise.objects.get(title="Router by Friday")
    assert made["Location"] == f"/promises/{created.pk}/"
    assert (
        created.made_by_label == "agent"
        and created.due_at.isoformat() == "2030-01-04T17:00:00+00:00"
    )


def test_delivering_breaking_and_renegotiating_from_the_promise_page(
    agent_client: Client, slipping: dict[str, Promise]
) -> None:
    at_risk, open_ = slipping["at_risk"], slipping["open"]

    page = agent_client.get(f"/promises/{at_risk.pk}/")
    no_note = agent_client.post(f"/promises/{at_risk.pk}/deliver/", {"note": ""})
    kept = agent_client.post(f"/promises/{at_risk.pk}/deliver/", {"note": "Courier's proof"})
    too_late = agent_client.post(f"/promises/{at_risk.pk}/break/", {"reason": "x"})
    renegotiated = agent_client.post(
        f"/promises/{open_.pk}/renegotiate/",
        {"due_at": "2031-01-01T12:00", "note": "Ann agreed to wait", "title": ""},
    )

    assert page.status_code == 200
    assert "No rule sees it: record the delivery by hand." in page.content.decode()
    assert no_note.status_code == 422 and "Note is required." in no_note.content.decode()
    assert kept.status_code == 302
    at_risk.refresh_from_db()
    assert at_risk.status == PromiseStatus.KEPT
    assert too_late.status_code == 409
    assert "This promise is already kept." in too_late.content.decode()
    open_.refresh_from_db()
    assert renegotiated.status_code == 302 and open_.replaced_by is not None
    assert renegotiated["Location"] == f"/promises/{open_.replaced_by.pk}/"


def test_a_suggestion_is_confirmed_or_dismissed(
    agent_client: Client, ann: Customer, ingest: Ingest
) -> None:
    ingest(
        {
            "external_id": "out-1",
            "direction": "outbound",
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "body": "Thanks Ann. We will call you back tomorrow afternoon.",
            "subject": "",
        },
        {
            "external_id": "out-2",
            "direction": "outbound",
            "occurred_at": (timezone.now() - timedelta(minutes=30)).isoformat(),
            "body": "Your refund will be on your next bill.",
            "subject": "",
        },
    )
    call, refund = PromiseSuggestion.objects.order_by("created_at")

    page = agent_client.get("/promises/suggestions/")
    without_date = agent_client.post(f"/promises/suggestions/{refund.pk}/confirm/", {})
    confirmed = agent_client.post(f"/promises/suggestions/{call.pk}/confirm/", {"title": ""})
    dismissed = agent_client.post(f"/promises/suggestions/{refund.pk}/dismiss/")

    assert [s.pk for s in page.context["suggestions"]] == [refund.pk, call.pk]
    assert without_date.status_code == 422
    assert "The message names no date CXM could read" in without_date.content.decode()
    assert confirmed.status_code == 302
    assert Promise.objects.get().title == "We will call you back tomorrow afternoon."
    assert dismissed.status_code == 302
    refund.refresh_from_db()
    assert refund.status == "dismissed"


def test_reports_are_for_those_who_read_reports(
    agent_client: Client, viewer_client: Client, slipping: dict[str, Promise], ann: Customer
) -> None:
    assert agent_client.get("/promises/keeping/").status_code == 403
    assert agent_client.get("/journey/").status_code == 403
    keeping = viewer_client.get("/promises/keeping/?days=30&by=kind")
    journey = viewer_client.get("/journey/?days=365")

    assert keeping.status_code == 200
    [group] = keeping.context["report"].groups
    assert (group.name, group.tally.broken, group.tally.pending) == ("installation", 1, 0)
    assert journey.status_code == 200
    assert [row.stage for row, _ in journey.context["funnel"]] == [
        "prospect",
        "sale",
        "onboarding",
        "adoption",
        "steady",
        "renewal",
    ]
    assert journey.context["funnel"][0][0].current == 1


def test_the_customer_page_shows_health_journey_and_promises(
    agent_client: Client, ann: Customer, slipping: dict[str, Promise]
) -> None:
    response = agent_client.get(f"/customers/{ann.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    health = response.context["health"]
    promises = {p.component: p for p in health.parts}["promises"]
    assert (promises.score, promises.why) == (
        pytest.approx(0.5),
        "1 promise broken and 1 at risk now (last 180 days)",
    )
    assert 'id="health-score"' in html and 'id="journey"' in html
    assert [p.title for p in response.context["promises"]][:2] == [
        "Router by tomorrow",
        "Price held for a year",
    ]
    assert f'href="/promises/new/?customer={ann.pk}"' in html


def test_an_analyst_reads_but_does_not_act(ann: Customer, slipping: dict[str, Promise]) -> None:
    analyst = User.objects.create_user("ana", password="a-long-test-passphrase")
    access_services.membership_set(user=analyst, role=Role.ANALYST)
    client = Client()
    client.force_login(analyst)

    assert client.get("/gaps/").status_code == 200
    assert "Acknowledge" not in client.get("/gaps/").content.decode()
    assert (
        client.post(f"/promises/{slipping['open'].pk}/break/", {"reason": "x"}).status_code == 403
    )
    assert client.get("/promises/new/").status_code == 403
