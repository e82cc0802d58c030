"""Sales, milestones and stages as they happen; onboarding states; health facts as of a day."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cxm.conftest import ingest_customer_line
from cxm.connectors import services as connector_services
from cxm.connectors.models import Source, TokenScope
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.journeys import selectors, services
from cxm.journeys.enums import Stage
from cxm.journeys.models import MilestoneReached, Purchase, StageRule, StageVisit

ANN = {"email": "ann@example.org", "name": "Ann Archer"}


def utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.fixture
def sources(db: None) -> dict[str, Source]:
    return {
        name: connector_services.source_get_or_create(name=name)
        for name in ("helpdesk", "field-service", "network", "crm")
    }


@pytest.fixture
def fibre(db: None) -> None:
    """Fibre 500: installed in 7 days, first use in 10, first value in 21."""
    for position, (key, name, days, rule, value) in enumerate(
        [
            (
                "installed",
                "Installed",
                7,
                {"source": "field-service", "attributes": {"job": "installation"}},
                False,
            ),
            (
                "first_use",
                "First use",
                10,
                {"source": "network", "attributes": {"event": "first_sync"}},
                False,
            ),
            (
                "first_value",
                "First value",
                21,
                {"source": "network", "attributes": {"event": "speed_ok"}},
                True,
            ),
        ]
    ):
        services.milestone_set(
            actor=None,
            product="fibre-500",
            key=key,
            milestone=services.MilestoneIn(
                name=name,
                target_days=days,
                position=position,
                evidence_rule=rule,
                marks_value=value,
            ),
        )


def write(source: Source, external_id: str, at: datetime, **fields: Any) -> int:
    return ingest_customer_line(source, external_id, ANN, occurred_at=at.isoformat(), **fields)


def stages(customer_id: int) -> list[tuple[str, datetime, datetime | None, str]]:
    return [
        (v.stage, v.entered_at, v.left_at, v.cause)
        for v in StageVisit.objects.filter(customer_id=customer_id).order_by("entered_at", "pk")
    ]


def test_a_journey_cradle_to_grave(sources: dict[str, Source], fibre: None) -> None:
    ann = write(sources["helpdesk"], "ask", utc(2026, 1, 5), body="Can I get fibre?")
    sale = services.purchase_record(
        actor=None,
        purchase=services.PurchaseIn(product="Fibre-500", customer_id=ann, sold_at=utc(2026, 1, 6)),
        now=utc(2026, 1, 6),
    )
    write(
        sources["field-service"],
        "job",
        utc(2026, 1, 12),
        direction="outbound",
        attributes={"job": "installation"},
    )
    write(sources["network"], "sync", utc(2026, 1, 14), attributes={"event": "first_sync"})
    write(sources["network"], "speed", utc(2026, 1, 20), attributes={"event": "speed_ok"})
    moved = services.journeys_sweep(now=utc(2026, 6, 1))
    write(sources["crm"], "close", utc(2026, 7, 1), attributes={"event": "cancelled"})
    services.purchase_record(
        actor=None,
        purchase=services.PurchaseIn(product="fibre-500", customer_id=ann, sold_at=utc(2026, 9, 1)),
        now=utc(2026, 9, 1),
    )

    assert sale.product == "fibre-500"
    assert moved == 1
    assert stages(ann) == [
        ("prospect", utc(2026, 1, 5), utc(2026, 1, 6), "first contact"),
        ("sale", utc(2026, 1, 6), utc(2026, 1, 12), "Sale recorded"),
        ("onboarding", utc(2026, 1, 12), utc(2026, 1, 20), "First onboarding milestone"),
        ("adoption", utc(2026, 1, 20), utc(2026, 4, 20), "First value reached"),
        ("steady", utc(2026, 4, 20), utc(2026, 7, 1), "Settled in after 90 days"),
        ("churned", utc(2026, 7, 1), utc(2026, 9, 1), "Account closed"),
        ("won_back", utc(2026, 9, 1), None, "Sale after leaving"),
    ]
    assert list(
        MilestoneReached.objects.filter(purchase=sale)
        .order_by("reached_at")
        .values_list("milestone__key", "reached_at")
    ) == [
        ("installed", utc(2026, 1, 12)),
        ("first_use", utc(2026, 1, 14)),
        ("first_value", utc(2026, 1, 20)),
    ]


def test_the_journey_report_tells_who_left_after_a_late_onboarding(
    sources: dict[str, Source], fibre: None
) -> None:
    ann = write(sources["helpdesk"], "ask", utc(2026, 1, 5), body="Can I get fibre?")
    services.purchase_record(
        actor=None,
        purchase=services.PurchaseIn(product="fibre-500", customer_id=ann, sold_at=utc(2026, 1, 6)),
        now=utc(2026, 1, 6),
    )
    # Installed on day 10 against a target of 7; cancelled in March.
    write(
        sources["field-service"],
        "job",
        utc(2026, 1, 16),
        direction="outbound",
        attributes={"job": "installation"},
    )
    write(sources["crm"], "close", utc(2026, 3, 1), attributes={"event": "cancelled"})
    # Bob was never installed at all, and stayed; Cy reached every milestone in time.
    for name, installed in (("bob", None), ("cy", utc(2026, 1, 9))):
        who = ingest_customer_line(
            sources["helpdesk"],
            f"{name}-ask",
            {"email": f"{name}@example.org"},
            occurred_at=utc(2026, 1, 5).isoformat(),
        )
        services.purchase_record(
            actor=None,
            purchase=services.PurchaseIn(
                product="fibre-500", customer_id=who, sold_at=utc(2026, 1, 6)
            ),
            now=utc(2026, 1, 6),
        )
        if installed is not None:
            ingest_customer_line(
                sources["field-service"],
                f"{name}-job",
                {"email": f"{name}@example.org"},
                occurred_at=installed.isoformat(),
                attributes={"job": "installation"},
            )
            for event, day in (("first_sync", 12), ("speed_ok", 20)):
                ingest_customer_line(
                    sources["network"],
                    f"{name}-{event}",
                    {"email": f"{name}@example.org"},
                    occurred_at=utc(2026, 1, day).isoformat(),
                    attributes={"event": event},
                )

    report = selectors.journey_report(
        actor=None, since=utc(2026, 1, 1), until=utc(2026, 4, 1), now=utc(2026, 4, 1)
    )

    late = next(o for o in report.outcomes if o.label == "an onboarding milestone late")
    # Ann (installed late, left) and Bob (never installed) against Cy.
    assert (late.with_it.value, late.with_it.n) == (50.0, 2)
    assert (late.without_it.value, late.without_it.n) == (0.0, 1)


@pytest.mark.parametrize("automated", [False, True])
def test_an_active_crm_account_starts_in_steady_service(
    sources: dict[str, Source], automated: bool
) -> None:
    # A record the CRM sends by itself opens no case, but it is evidence all the same.
    ann = write(
        sources["crm"],
        "record",
        utc(2026, 1, 5),
        attributes={"account_status": "Active"},
        automated=automated,
    )
    write(sources["helpdesk"], "ask", utc(2026, 1, 6))

    assert stages(ann) == [("steady", utc(2026, 1, 5), None, "An active account in the CRM")]


def test_rules_can_be_changed_and_switched_off(sources: dict[str, Source]) -> None:
    vip = services.stage_rule_save(
        actor=None,
        rule=services.StageRuleIn(
            name="Asked to renew",
            trigger="interaction",
            to_stage="renewal",
            position=1,
            match={"phrases": ["renew my contract"]},
            from_stages=["prospect"],
        ),
    )
    ann = write(sources["helpdesk"], "hello", utc(2026, 1, 5))
    write(sources["helpdesk"], "renew", utc(2026, 1, 6), body="Please renew my contract")
    StageRule.objects.filter(pk=vip.pk).update(enabled=False)
    StageVisit.objects.filter(customer_id=ann).delete()
    write(sources["helpdesk"], "renew-again", utc(2026, 1, 7), body="Please renew my contract")

    assert stages(ann) == [("prospect", utc(2026, 1, 7), None, "first contact")]
    with pytest.raises(ValidationFailed, match="match: an interaction rule must say"):
        services.stage_rule_save(
            actor=None,
            rule=services.StageRuleIn(name="x", trigger="interaction", to_stage="renewal"),
        )
    with pytest.raises(ValidationFailed, match="from_stages: say which stages"):
        services.stage_rule_save(
            actor=None,
            rule=services.StageRuleIn(name="x", trigger="days_in_stage", to_stage="steady", days=3),
        )
    with pytest.raises(ValidationFailed, match="'moon' is not a stage"):
        services.stage_rule_save(
            actor=None,
            rule=services.StageRuleIn(
                name="x", trigger="sale", to_stage="sale", from_stages=["moon"]
            ),
        )
    with pytest.raises(NotFound):
        services.stage_rule_delete(actor=None, rule_id=10**9)


def test_a_stage_set_by_hand_says_who_and_why(sources: dict[str, Source]) -> None:
    from django.contrib.auth.models import User

    from cxm.access import services as access_services
    from cxm.access.enums import Role

    agent = User.objects.create_user("agnes", password="a-long-test-passphrase")
    access_services.membership_set(user=agent, role=Role.AGENT)
    ann = write(sources["helpdesk"], "hello", utc(2026, 1, 5))

    services.stage_set(
        actor=agent, customer_id=ann, stage="churned", note="Moved abroad", at=utc(2026, 2, 1)
    )

    assert stages(ann)[-1] == ("churned", utc(2026, 2, 1), None, "set by agnes: Moved abroad")
    with pytest.raises(Conflict, match="already in churned"):
        services.stage_set(actor=agent, customer_id=ann, stage="churned", note="again")
    with pytest.raises(ValidationFailed, match="a change must come after that"):
        services.stage_set(
            actor=agent, customer_id=ann, stage="steady", note="x", at=utc(2026, 1, 20)
        )
    with pytest.raises(ValidationFailed, match="stage must be one of"):
        services.stage_set(actor=agent, customer_id=ann, stage="asleep", note="x")


def test_milestones_are_checked_and_reached_once(sources: dict[str, Source], fibre: None) -> None:
    ann = write(sources["helpdesk"], "hello", utc(2026, 1, 5))
    sale = services.purchase_record(
        actor=None,
        purchase=services.PurchaseIn(product="fibre-500", customer_id=ann, sold_at=utc(2026, 1, 6)),
        now=utc(2026, 1, 6),
    )

    services.milestone_reach(
        actor=None, purchase_id=sale.pk, key="installed", note="Engineer rang", at=utc(2026, 1, 8)
    )

    with pytest.raises(Conflict, match="'Installed' was already reached"):
        services.milestone_reach(actor=None, purchase_id=sale.pk, key="installed", note="again")
    with pytest.raises(NotFound, match="fibre-500 has no milestone 'moon'"):
        services.milestone_reach(actor=None, purchase_id=sale.pk, key="moon", note="x")
    with pytest.raises(ValidationFailed, match="between the sale and now"):
        services.milestone_reach(
            actor=None, purchase_id=sale.pk, key="first_use", note="x", at=utc(2025, 1, 1)
        )
    with pytest.raises(ValidationFailed, match="target_days must be"):
        services.milestone_set(
            actor=None,
            product="fibre-500",
            key="later",
            milestone=services.MilestoneIn(name="Later", target_days=-3),
        )
    with pytest.raises(ValidationFailed, match="product may hold only"):
        services.milestone_set(
            actor=None,
            product="fibre 500!",
            key="x",
            milestone=services.MilestoneIn(name="X", target_days=3),
        )


def test_onboarding_on_track_behind_stuck_and_reached(
    sources: dict[str, Source], fibre: None
) -> None:
    ann = write(sources["helpdesk"], "hello", utc(2026, 1, 5))
    sale = services.purchase_record(
        actor=None,
        purchase=services.PurchaseIn(product="fibre-500", customer_id=ann, sold_at=utc(2026, 1, 6)),
        now=utc(2026, 1, 6),
    )
    write(sources["field-service"], "job", utc(2026, 1, 10), attributes={"job": "installation"})

    def state(day: datetime) -> tuple[str, str]:
        onboarding = selectors.onboardings([Purchase.objects.get(pk=sale.pk)], day)[0]
        behind = onboarding.behind.milestone.key if onboarding.behind else ""
        return onboarding.state, behind

    assert state(utc(2026, 1, 15)) == ("on_track", "")
    # First use was due on 16 January (10 days); installed on the 10th is progress.
    assert state(utc(2026, 1, 20)) == ("behind", "first_use")
    # Nothing reached for more than 21 days since the installation: stuck.
    assert state(utc(2026, 1, 31)) == ("behind", "first_use")
    assert state(utc(2026, 2, 1)) == ("stuck", "first_use")
    write(sources["network"], "speed", utc(2026, 2, 10), attributes={"event": "speed_ok"})
    onboarding = selectors.onboardings([Purchase.objects.get(pk=sale.pk)], utc(2026, 3, 1))[0]
    assert onboarding.state == "reached"
    assert (onboarding.value_target_days, onboarding.value_days) == (21.0, 35.0)
    assert [m.state for m in onboarding.milestones] == ["reached", "not recorded", "reached late"]


def test_sales_import_by_external_id(sources: dict[str, Source]) -> None:
    ann = write(sources["helpdesk"], "hello", utc(2026, 1, 5))
    shop = connector_services.source_get_or_create(name="shop")
    token = connector_services.token_create(source=shop, scope=TokenScope.INGEST).token
    good = {
        "external_id": "SO-1",
        "customer": {"email": "ann@example.org"},
        "product": "fibre-500",
        "sold_at": "2026-01-06T10:00:00Z",
        "sold_by": "Dan",
    }
    lines = [
        (1, json.dumps(good)),
        (2, json.dumps({**good, "external_id": "SO-2", "product": ""})),
        (3, json.dumps({**good, "external_id": "SO-3", "sold_at": "2026-01-06"})),
        (4, json.dumps({**good, "external_id": "SO-4", "customer_id": "seven"})),
        (5, "[1, 2]"),
    ]

    report = services.purchases_import(actor=token, lines=lines, source=shop, now=utc(2026, 1, 7))
    again = services.purchases_import(
        actor=token, lines=lines[:1], source=shop, now=utc(2026, 1, 7)
    )

    assert (report.accepted, again.duplicates, again.accepted) == (1, 1, 0)
    assert [(p.line, p.field, p.message) for p in report.rejected] == [
        (2, "product", "product is required"),
        (
            3,
            "sold_at",
            "sold_at needs a time zone (e.g. +00:00 or Z): without one it could mean "
            "any hour of the day",
        ),
        (4, "customer_id", "customer_id must be a whole number"),
        (5, "(line)", "each line must be a JSON object"),
    ]
    purchase = Purchase.objects.get()
    assert (purchase.customer_id, purchase.sold_by_label, purchase.source) == (ann, "Dan", shop)
    assert stages(ann)[-1][0] == Stage.SALE


def test_health_facts_use_only_what_was_known_then(sources: dict[str, Source]) -> None:
    ann = write(sources["helpdesk"], "m1", utc(2026, 3, 1), body="Great service, thank you!")
    write(sources["helpdesk"], "m2", utc(2026, 3, 2), body="Wonderful, all working well.")
    write(sources["helpdesk"], "m3", utc(2026, 5, 1), body="This is terrible, still broken.")
    write(sources["helpdesk"], "m4", utc(2026, 5, 2), body="Awful. Still no answer, useless.")

    march = selectors.health_facts(customer_ids=[ann], as_of=utc(2026, 3, 10))[ann]
    may = selectors.health_facts(customer_ids=[ann], as_of=utc(2026, 5, 10))[ann]

    assert march.sentiment_messages == 2 and march.sentiment_previous is None
    assert march.sentiment_recent is not None and march.sentiment_recent > 0.3
    assert may.sentiment_messages == 4
    assert may.sentiment_recent is not None and may.sentiment_recent < march.sentiment_recent
    assert march.contacts_30d == 2 and may.contacts_30d == 2
    # The messages opened cases (no closures here), counted from when they opened.
    assert march.open_cases >= 1
    assert selectors.health_facts(customer_ids=[ann], as_of=utc(2026, 2, 1))[ann].open_cases == 0


def test_a_customer_who_has_left_is_not_surveyed(sources: dict[str, Source]) -> None:
    from cxm.feedback import policy

    ann = write(sources["helpdesk"], "hello", utc(2026, 1, 5))
    write(sources["crm"], "close", utc(2026, 3, 1), attributes={"event": "cancelled"})

    assert ann not in policy.held_back([ann], now=utc(2026, 2, 1))
    assert policy.held_back([ann], now=utc(2026, 3, 2))[ann] == (
        "left on 2026-03-01; a customer who has gone is not asked as if still one"
    )


def test_renewal_talk_ends_in_a_recorded_renewal_or_lapses_after_60_days(
    sources: dict[str, Source],
) -> None:
    from cxm.insights import services as insight_services

    insight_services.topic_save(
        key="contract_renewal",
        name="Contract renewal",
        any_phrases=["renew*", "contract ends"],
        actor=None,
        now=utc(2026, 1, 1),
    )
    bob = {"email": "bob@example.org", "name": "Bob Bell"}
    ann = write(sources["crm"], "ann-0", utc(2026, 1, 5), attributes={"account_status": "active"})
    bob_id = ingest_customer_line(
        sources["crm"],
        "bob-0",
        bob,
        occurred_at=utc(2026, 1, 5).isoformat(),
        attributes={"account_status": "active"},
    )
    write(sources["helpdesk"], "ann-1", utc(2026, 2, 2), body="My contract ends in March.")
    ingest_customer_line(
        sources["helpdesk"],
        "bob-1",
        bob,
        occurred_at=utc(2026, 2, 2).isoformat(),
        body="Can I renew early?",
    )
    ingest_customer_line(
        sources["crm"],
        "bob-2",
        bob,
        occurred_at=utc(2026, 2, 3).isoformat(),
        attributes={"event": "contract_renewed"},
        automated=True,
    )
    assert services.journeys_sweep(now=utc(2026, 4, 2)) == 0  # 59 days: still deciding
    assert services.journeys_sweep(now=utc(2026, 4, 4)) == 1

    assert stages(ann)[1:] == [
        ("renewal", utc(2026, 2, 2), utc(2026, 4, 3), "Talking about renewal"),
        ("steady", utc(2026, 4, 3), None, "Renewal talk lapsed after 60 days"),
    ]
    assert stages(bob_id)[1:] == [
        ("renewal", utc(2026, 2, 2), utc(2026, 2, 3), "Talking about renewal"),
        ("steady", utc(2026, 2, 3), None, "Contract renewed"),
    ]
