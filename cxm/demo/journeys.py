"""Northvale's sales, onboardings, promises and journeys, sent to CXM as the
company's systems would send them (the story is ``cxm.demo.journey_plan``'s).

- Before the history is routed (``demo_journeys_prepare``): each plan's
  onboarding milestones, then the sales and the installation dates promised with
  them from the order system (the ``shop`` source), and the call backs and fixes
  agents promised from the CRM, through the same imports as any order or CRM
  system (``purchases_import``, ``promises_import``). Evidence already stored
  keeps or settles them at once; the rest waits for its evidence as the history
  is routed, oldest first, as it would have live.
- While the history is routed, the journeys' daily sweep (``demo_journeys_day``):
  a customer in adoption for 90 days settles into steady service on that day.
- At the end (``demo_journeys_settle``): the promise sweep flags what is at risk
  and breaks what is past due as of now (each dated when it happened; a promise
  broken in the last week opens a case), and the journeys' sweep once more.

Each step adds only what is missing, so loading again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from cxm.access import services as access_services
from cxm.connectors import services as connector_services
from cxm.demo import content as c
from cxm.demo.generator import LONDON, DemoPlan
from cxm.demo.journey_plan import (
    INSTALLED_RULE,
    NETWORK_SOURCE,
    PLANS,
    SALES_TEAMS,
    SOURCES,
    JourneyPlan,
    milestones_for,
    product_key,
)
from cxm.fields import LineProblem
from cxm.journeys import services as journey_services
from cxm.journeys.models import Milestone, Purchase
from cxm.promises import services as promise_services
from cxm.promises.enums import PromiseKind

ORDER_SOURCE = "shop"
CRM_SOURCE = "crm"


@dataclass(frozen=True)
class JourneysPrepared:
    milestones: int  # created now (0 when the products had theirs)
    sales: int  # imported now
    promises: int
    ended: int  # sales ended now, their customers gone
    # Lines the imports refused: a bug in the demo if ever not empty.
    rejected: list[LineProblem] = field(default_factory=list)


@dataclass(frozen=True)
class JourneysSettled:
    at_risk: int
    broken: int
    moved: int


def demo_journeys_sources() -> None:
    """The systems the journeys' lines come from, and the sales teams."""
    for name, description in SOURCES.items():
        connector_services.source_get_or_create(name=name, description=description)
    for team in SALES_TEAMS:
        access_services.team_get_or_create(name=team)


def demo_milestones_ensure() -> int:
    """Every plan's onboarding milestones, for the plans that have none yet."""
    created = 0
    for plan_name in PLANS:
        product = product_key(plan_name)
        if Milestone.objects.filter(product=product).exists():
            continue
        for position, spec in enumerate(milestones_for(plan_name), start=1):
            journey_services.milestone_set(
                actor=None,
                product=product,
                key=spec.key,
                milestone=journey_services.MilestoneIn(
                    name=spec.name,
                    target_days=spec.target_days,
                    position=position * 10,
                    evidence_rule=spec.rule,
                    marks_value=spec.marks_value,
                ),
            )
            created += 1
    return created


def _iso(moment: float | datetime) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(LONDON).isoformat(timespec="seconds")
    return datetime.fromtimestamp(moment, LONDON).isoformat(timespec="seconds")


def _end_of(moment: float, days: int = 0) -> datetime:
    """The end of the London day ``days`` after ``moment``."""
    day = datetime.fromtimestamp(moment, LONDON).date() + timedelta(days=days)
    return datetime.combine(day, time(23, 59), tzinfo=LONDON)


def _date(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b}"


def _sales_lines(plan: DemoPlan, journeys: JourneyPlan) -> tuple[list[str], list[str]]:
    """The order system's sales and the installation dates promised with them."""
    sales, promises = [], []
    for sale in journeys.sales:
        person = plan.people[sale.person]
        order = journeys.seen.get(sale.order)
        visit = journeys.seen.get(sale.install, {}).get("at")
        if order is None or visit is None:
            continue  # not in this load's lines (cannot happen with a whole plan)
        customer = {"crm_id": person.crm_id}
        sales.append(
            json.dumps(
                {
                    "product": sale.product,
                    "sold_at": _iso(order["at"]),
                    "customer": customer,
                    "sold_by": sale.seller.name,
                    "team": sale.seller.team,
                    "external_id": sale.external_id,
                }
            )
        )
        made = order["at"] + sale.booking_minutes * 60
        if sale.promised_days:
            due = _end_of(order["at"], sale.promised_days)
            title = f"Installation by {_date(due)}"
            terms = f"Connected within {sale.promised_days} days of the order."
        else:
            due = _end_of(visit, sale.margin_days - sale.slip_days)
            title = f"Installation by {_date(due)}"
            terms = f"{person.plan[0]} installed and working by {_date(due)}."
        promises.append(
            json.dumps(
                {
                    "kind": PromiseKind.INSTALLATION,
                    "title": title,
                    "terms": terms,
                    "made_at": _iso(made),
                    "due_at": _iso(due),
                    "customer": customer,
                    "made_by": sale.seller.name,
                    "team": sale.seller.team,
                    "channel": "in_person" if order["channel"] == "in_person" else "phone",
                    "document": order["external_id"],
                    "evidence": "The field engineer's installation job, completed",
                    "evidence_rule": INSTALLED_RULE,
                    "external_id": sale.promise_id,
                }
            )
        )
    return sales, promises


def _agent_promise_lines(plan: DemoPlan, journeys: JourneyPlan) -> list[str]:
    """The call backs and fixes agents promised on calls, as the CRM logged them."""
    lines = []
    for promise in journeys.promises:
        seen = journeys.seen.get(promise.episode)
        if seen is None:
            continue
        person = plan.people[promise.person]
        label = c.TOPICS[promise.topic].label
        due = datetime.fromtimestamp(seen["due"], LONDON)
        fields: dict[str, Any] = {
            "customer": {"crm_id": person.crm_id},
            "made_at": _iso(seen["made"]),
            "due_at": _iso(due),
            "made_by": seen["agent"],
            "channel": "phone",
            "external_id": promise.external_id,
        }
        if promise.kind == "call_back":
            fields |= {
                "kind": PromiseKind.CALL_BACK,
                "title": f"Call back about {label.lower()}",
                "terms": "We'll call you back within 24 hours.",
                "evidence": "A call to the customer",
            }
        else:
            fault = f"FLT-{promise.episode:06d}"
            fields |= {
                "kind": PromiseKind.FIX,
                "title": f"Fix by {_date(due)}: {label.lower()}",
                "terms": f"We'll have it fixed by {_date(due)} (fault {fault}).",
                "evidence": f"The network team clearing fault {fault}",
                "evidence_rule": {
                    "source": NETWORK_SOURCE,
                    "attributes": {"event": "fault_cleared", "fault": fault},
                },
            }
        lines.append(json.dumps(fields))
    return lines


def demo_journeys_prepare(
    *, plan: DemoPlan, journeys: JourneyPlan, now: datetime
) -> JourneysPrepared:
    """Milestones, sales and promises, before the history is routed (see the module)."""
    demo_journeys_sources()
    milestones = demo_milestones_ensure()
    shop = connector_services.source_get_or_create(name=ORDER_SOURCE)
    crm = connector_services.source_get_or_create(name=CRM_SOURCE)
    sales, installations = _sales_lines(plan, journeys)
    rejected: list[LineProblem] = []
    bought = journey_services.purchases_import(
        actor=None, lines=enumerate(sales, start=1), source=shop, now=now
    )
    rejected += bought.rejected
    promised = 0
    for source, lines in ((shop, installations), (crm, _agent_promise_lines(plan, journeys))):
        imported = promise_services.promises_import(
            actor=None, lines=enumerate(lines, start=1), source=source, now=now
        )
        rejected += imported.rejected
        promised += imported.accepted
    ended = 0
    left = {leaver.person: leaver for leaver in journeys.leavers}
    for sale in journeys.sales:
        at = journeys.left_at.get(sale.person)
        if sale.person not in left or at is None:
            continue
        purchase = Purchase.objects.filter(
            source=shop, external_id=sale.external_id, ended_at__isnull=True
        ).first()
        if purchase is not None:
            journey_services.purchase_end(
                actor=None, purchase_id=purchase.pk, at=datetime.fromtimestamp(at, LONDON)
            )
            ended += 1
    return JourneysPrepared(
        milestones=milestones,
        sales=bought.accepted,
        promises=promised,
        ended=ended,
        rejected=rejected,
    )


def demo_journeys_day(moment: datetime) -> None:
    """The journeys' daily sweep, as the worker runs it, on a day of the history."""
    journey_services.journeys_sweep(now=moment)


def demo_journeys_settle(*, now: datetime | None = None) -> JourneysSettled:
    """The promise and journey sweeps, as of now."""
    now = now or timezone.now()
    swept = promise_services.promises_sweep(now=now)
    moved = journey_services.journeys_sweep(now=now)
    return JourneysSettled(at_risk=swept["at_risk"], broken=swept["broken"], moved=moved)
