"""The demo's sales, promises and journeys, loaded through the imports and routed
with the history: salespeople who over-promise installation dates, businesses
that wait for value, and broken promises before customers leave."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from cxm.customers.resolution import model_cache_clear
from cxm.demo import generator, journey_plan, services
from cxm.interactions.models import Interaction
from cxm.journeys import selectors as journey_selectors
from cxm.journeys.enums import Stage
from cxm.journeys.models import Milestone, MilestoneReached, Purchase, StageVisit
from cxm.promises import selectors as promise_selectors
from cxm.promises.enums import PENDING_STATUSES, PromiseStatus
from cxm.promises.models import Promise

NOW = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
# Enough new customers for each over-promiser to have five sales and more.
CUSTOMERS, INTERACTIONS = 500, 5000
SINCE = NOW - timedelta(days=180)


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[services.DemoLoaded]:
    """One demo for the module, in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), override_settings(CXM_PHONE_REGION="GB"):
        model_cache_clear()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield services.demo_load(customers=CUSTOMERS, interactions=INTERACTIONS, now=NOW)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            model_cache_clear()


@pytest.fixture(scope="module")
def story() -> journey_plan.JourneyPlan:
    plan = generator.demo_plan(seed=42, customers=CUSTOMERS, interactions=INTERACTIONS)
    return journey_plan.journey_plan(plan)


@pytest.mark.django_db
def test_sales_and_promises_come_in_through_the_imports(
    loaded: services.DemoLoaded, story: journey_plan.JourneyPlan
) -> None:
    assert loaded.result.rejected == []
    assert loaded.journeys is not None
    prepared = loaded.journeys.prepared
    assert prepared.rejected == []
    assert prepared.milestones == 3 * len(journey_plan.PLANS)
    assert (prepared.sales, prepared.promises) == (
        len(story.sales),
        len(story.sales) + len(story.promises),
    )
    # Every sale by a named salesperson from the order system, each with its
    # installation date promised by the same person.
    sellers = {s.name for s in journey_plan.SELLERS}
    sales = Purchase.objects.filter(source__name="shop")
    assert set(sales.values_list("sold_by_label", flat=True)) <= sellers
    installations = Promise.objects.filter(kind="installation", source__name="shop")
    assert installations.count() == sales.count()
    assert set(installations.values_list("made_by_label", "customer_id")) == set(
        sales.values_list("sold_by_label", "customer_id")
    )
    assert set(installations.values_list("team__name", flat=True)) == set(journey_plan.SALES_TEAMS)
    # Call backs and fixes from the CRM, by the agents who took the calls.
    agents = Promise.objects.filter(source__name="crm")
    assert set(agents.values_list("kind", flat=True)) == {"call_back", "fix"}
    assert set(agents.values_list("made_by_label", flat=True)) <= set(generator.c.AGENTS)
    assert Milestone.objects.filter(marks_value=True).count() == len(journey_plan.PLANS)


@pytest.mark.django_db
def test_the_over_promisers_keep_fewest_and_are_named(loaded: services.DemoLoaded) -> None:
    report = promise_selectors.keeping_report(actor=None, since=SINCE, until=NOW, by="person")

    rates = {g.name: g for g in report.groups}
    over = [rates[s.name] for s in journey_plan.SELLERS if s.over_promises]
    careful = [rates[s.name] for s in journey_plan.SELLERS if not s.over_promises]
    assert all(g.below for g in over) and not any(g.below for g in careful)
    assert max(g.rate.value for g in over) < min(g.rate.value for g in careful)
    named = {o.person: o for o in report.over_promising}
    assert set(named) == {"Liam Doyle", "Graham Whitley"}
    for o in named.values():
        assert o.kind == "installation"
        assert o.promised_days < o.delivered_days / 2


@pytest.mark.django_db
def test_businesses_wait_far_past_the_target_for_value(loaded: services.DemoLoaded) -> None:
    groups = {
        g.name: g
        for g in journey_selectors.time_to_value_report(
            actor=None, since=SINCE, until=NOW, now=NOW, by="kind"
        )
    }

    business, home = groups["Business"], groups["Residential"]
    assert home.figures.median is not None and home.target_days is not None
    assert home.figures.median < home.target_days
    assert business.figures.median is not None and business.target_days is not None
    assert business.figures.median > 1.3 * business.target_days


@pytest.mark.django_db
def test_broken_promises_come_before_customers_leave(loaded: services.DemoLoaded) -> None:
    left = dict(
        StageVisit.objects.filter(stage=Stage.CHURNED).values_list("customer_id", "entered_at")
    )
    broken: dict[int, list[datetime]] = {}
    for customer_id, at in Promise.objects.filter(status=PromiseStatus.BROKEN).values_list(
        "customer_id", "broken_at"
    ):
        assert at is not None
        broken.setdefault(customer_id, []).append(at)
    customers = set(
        StageVisit.objects.filter(stage__in=[Stage.STEADY, Stage.SALE]).values_list(
            "customer_id", flat=True
        )
    )
    with_broken = customers & set(broken)
    without = customers - set(broken)
    share_with = len(with_broken & set(left)) / len(with_broken)
    share_without = len(without & set(left)) / len(without)
    assert share_with > 2 * share_without
    # A broken promise counted against a leaver broke before they left.
    for customer_id in with_broken & set(left):
        assert min(broken[customer_id]) < left[customer_id]


@pytest.mark.django_db
def test_each_customer_has_a_stage_and_the_leavers_are_churned(
    loaded: services.DemoLoaded,
) -> None:
    first: dict[int, tuple[str, str]] = {}
    for customer_id, stage, cause in StageVisit.objects.order_by(
        "customer_id", "entered_at", "pk"
    ).values_list("customer_id", "stage", "cause"):
        first.setdefault(customer_id, (stage, cause))
    accounts = set(
        Interaction.objects.filter(
            source__name="crm", attributes__account_status="active"
        ).values_list("customer_id", flat=True)
    )
    buyers = set(Purchase.objects.values_list("customer_id", flat=True))
    assert {first[pk] for pk in accounts - buyers} == {
        (Stage.STEADY, "An active account in the CRM")
    }
    assert {first[pk] for pk in buyers} == {(Stage.SALE, "Sale recorded")}
    closed = set(
        Interaction.objects.filter(attributes__event="cancelled").values_list(
            "customer_id", flat=True
        )
    )
    churned = StageVisit.objects.filter(stage=Stage.CHURNED, left_at__isnull=True)
    assert set(churned.values_list("customer_id", flat=True)) == closed
    assert set(churned.values_list("cause", flat=True)) == {"Account closed"}
    # The buyers who left stopped having what they bought when they left.
    for purchase in Purchase.objects.filter(customer_id__in=closed):
        assert purchase.ended_at == churned.get(customer_id=purchase.customer_id).entered_at
    # New customers went through onboarding: installed, then first use, then value.
    reached = Counter(MilestoneReached.objects.values_list("milestone__key", flat=True))
    assert reached["installed"] == len(buyers) >= reached["first_use"] >= reached["first_value"]


@pytest.mark.django_db
def test_the_sweeps_leave_the_ledger_as_of_now_for_the_gaps_page(
    loaded: services.DemoLoaded,
) -> None:
    pending = Promise.objects.filter(status__in=PENDING_STATUSES)
    # Nothing pending past its date, nothing open past its at-risk moment.
    assert not pending.filter(due_at__lte=NOW).exists()
    assert not pending.filter(status=PromiseStatus.OPEN, at_risk_at__lte=NOW).exists()
    # A promise broken in the last week opened a case for its customer; older ones none.
    broken = Promise.objects.filter(status=PromiseStatus.BROKEN)
    assert all(p.case_id is not None for p in broken.filter(due_at__gte=NOW - timedelta(days=7)))
    assert not broken.filter(due_at__lt=NOW - timedelta(days=8), case__isnull=False).exists()

    gaps = promise_selectors.promise_gaps(actor=None, now=NOW)
    assert gaps.broken
    stalled = journey_selectors.onboardings_stalled(actor=None, now=NOW)
    assert stalled and {s.customer.kind for s in stalled} == {"business"}


@pytest.mark.django_db
def test_loading_again_adds_nothing(loaded: services.DemoLoaded) -> None:
    counts = (
        Interaction.objects.count(),
        Purchase.objects.count(),
        Promise.objects.count(),
        StageVisit.objects.count(),
        MilestoneReached.objects.count(),
    )

    again = services.demo_load(customers=CUSTOMERS, interactions=INTERACTIONS, now=NOW)

    assert again.result.accepted == 0
    assert again.journeys is not None
    assert (again.journeys.prepared.sales, again.journeys.prepared.promises) == (0, 0)
    assert again.journeys.settled == services.journeys.JourneysSettled(0, 0, 0)
    assert counts == (
        Interaction.objects.count(),
        Purchase.objects.count(),
        Promise.objects.count(),
        StageVisit.objects.count(),
        MilestoneReached.objects.count(),
    )


@pytest.mark.django_db
def test_customers_asking_to_renew_enter_renewal_and_a_recorded_renewal_ends_it(
    loaded: services.DemoLoaded,
) -> None:
    renewal = StageVisit.objects.filter(stage=Stage.RENEWAL)
    entered = list(renewal.values_list("customer_id", "interaction__topics", "left_at"))
    # They wrote or called about their contract ending, tagged by the taxonomy.
    assert entered and all("contract_renewal" in topics for _, topics, _ in entered)
    # A renewal the CRM recorded took the customer from renewal back to steady
    # service, by its record, after they entered renewal.
    back = list(
        StageVisit.objects.filter(stage=Stage.STEADY, cause="Contract renewed").values_list(
            "customer_id", "entered_at", "interaction__attributes"
        )
    )
    assert back
    for customer_id, at, attributes in back:
        assert attributes == {"event": "contract_renewed"}
        assert renewal.filter(customer_id=customer_id, left_at=at).exists()
    # Those still deciding are still in renewal.
    assert any(left is None for _, _, left in entered)
