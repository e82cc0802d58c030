"""The journeys API: a customer's stages, onboarding and health; sales and milestones;
the gaps; the stage funnel and time to value; milestones, stage rules and health
weights."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cxm import fields
from cxm.access.permissions import Permission
from cxm.connectors.auth import TokenAuth, acting_party, requires
from cxm.connectors.models import ApiToken
from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Customer
from cxm.interactions.schemas import ErrorOut
from cxm.journeys import health, selectors, services, survival
from cxm.journeys.models import Milestone, StageRule, StageVisit
from cxm.promises import selectors as promise_selectors
from cxm.promises.api import (
    NDJSON_BODY,
    ImportOut,
    IntervalOut,
    PromiseAlertOut,
    PromiseOut,
    alert_out,
    import_out,
    interval_out,
    ndjson_lines,
    promise_out,
)

router = Router(tags=["journeys"])
CUSTOMER = requires(Permission.CUSTOMER_VIEW)
VIEW = requires(Permission.PROMISE_VIEW)
WORK = requires(Permission.PROMISE_WORK)
REPORT = requires(Permission.SERVICE_REPORT_VIEW)
MANAGE = requires(Permission.JOURNEY_MANAGE)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
StageName = Literal[
    "prospect", "sale", "onboarding", "adoption", "steady", "renewal", "churned", "won_back"
]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None or value != value else round(value, digits)


def _customer(request: HttpRequest, customer_id: int) -> tuple[Customer, list[int]]:
    """The customer the actor may see (NotFound otherwise), and its rows."""
    customer = customer_selectors.customer_get(actor=acting_party(request), customer_id=customer_id)
    return customer, customer_selectors.customer_group_ids(customer_id=customer.pk)


class VisitOut(Schema):
    stage: str
    label: str
    entered_at: datetime
    left_at: datetime | None
    days: float
    cause: str


def visit_out(v: StageVisit, now: datetime) -> dict[str, Any]:
    return {
        "stage": v.stage,
        "label": v.get_stage_display(),
        "entered_at": v.entered_at,
        "left_at": v.left_at,
        "days": round(((v.left_at or now) - v.entered_at).total_seconds() / 86_400, 1),
        "cause": v.cause,
    }


class MilestoneStateOut(Schema):
    key: str
    name: str
    due_at: datetime
    reached_at: datetime | None
    state: str
    marks_value: bool


class OnboardingOut(Schema):
    purchase_id: int
    product: str
    sold_at: datetime
    ended_at: datetime | None
    state: str
    milestones: list[MilestoneStateOut]
    value_days: float | None
    value_target_days: float | None


def onboarding_out(o: selectors.Onboarding) -> dict[str, Any]:
    return {
        "purchase_id": o.purchase.pk,
        "product": o.purchase.product,
        "sold_at": o.purchase.sold_at,
        "ended_at": o.purchase.ended_at,
        "state": o.state,
        "milestones": [
            {
                "key": m.milestone.key,
                "name": m.milestone.name,
                "due_at": m.due_at,
                "reached_at": m.reached_at,
                "state": m.state,
                "marks_value": m.milestone.marks_value,
            }
            for m in o.milestones
        ],
        "value_days": _round(o.value_days),
        "value_target_days": o.value_target_days,
    }


class JourneyOut(Schema):
    customer_id: int
    stage: str | None
    stages: list[VisitOut]
    onboarding: list[OnboardingOut]


@router.get(
    "/customers/{customer_id}/journey",
    auth=CUSTOMER,
    response={200: JourneyOut, **ERRORS},
    summary="A customer's stages, cradle to grave, and their onboarding",
)
def customer_journey(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    now = timezone.now()
    customer, group = _customer(request, customer_id)
    journey = selectors.customer_journey(customer=customer, group=group, now=now)
    return {
        "customer_id": customer_id,
        "stage": journey.current.stage if journey.current else None,
        "stages": [visit_out(v, now) for v in journey.visits],
        "onboarding": [onboarding_out(o) for o in journey.onboardings],
    }


class StageIn(Schema):
    stage: str = Field("", max_length=20)
    note: str = Field("", max_length=200, description="Why (shown in the journey)")
    at: datetime | None = None


@router.post(
    "/customers/{customer_id}/stage",
    auth=WORK,
    response={201: VisitOut, **ERRORS},
    summary="Put a customer in a stage by hand",
)
def customer_stage_set(
    request: HttpRequest, customer_id: int, payload: StageIn | None = None
) -> Status[Any]:
    payload = payload or StageIn.model_validate({})
    visit = services.stage_set(
        actor=acting_party(request),
        customer_id=customer_id,
        stage=payload.stage,
        note=payload.note,
        at=payload.at,
    )
    return Status(201, visit_out(visit, timezone.now()))


class PartOut(Schema):
    component: str
    name: str
    weight: float
    score: float | None = Field(description="0 to 1; null when left out for want of data")
    points: float = Field(description="What the part adds to the 0-100 score")
    why: str


class HealthOut(Schema):
    customer_id: int
    score: float | None
    tier: str
    components: list[PartOut]


def health_out(customer_id: int, result: health.Health) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "score": result.score,
        "tier": result.tier,
        "components": [
            {
                "component": p.component,
                "name": p.name,
                "weight": p.weight,
                "score": _round(p.score, 3),
                "points": round(p.points, 1),
                "why": p.why,
            }
            for p in result.parts
        ],
    }


@router.get(
    "/customers/{customer_id}/health",
    auth=CUSTOMER,
    response={200: HealthOut, **ERRORS},
    summary="A customer's health score with every component and why",
)
def customer_health(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    customer, group = _customer(request, customer_id)
    result = selectors.customer_health(customer=customer, group=group, now=timezone.now())
    return health_out(customer_id, result)


# Sales and milestones ----------------------------------------------------------------------


class PurchaseIn(Schema):
    product: str = Field("", max_length=100, description="As the order system names it")
    sold_at: datetime | None = Field(None, description="Now if left out")
    sold_by: str = Field("", max_length=150)
    team: str = Field("", max_length=150)
    interaction_id: int | None = Field(None, ge=1, le=2**62)


@router.post(
    "/customers/{customer_id}/purchases",
    auth=WORK,
    response={201: OnboardingOut, **ERRORS},
    summary="Record a sale (its onboarding starts)",
)
def purchase_create(
    request: HttpRequest, customer_id: int, payload: PurchaseIn | None = None
) -> Status[Any]:
    actor = acting_party(request)
    values = (payload or PurchaseIn.model_validate({})).dict()
    purchase = services.purchase_record(
        actor=actor,
        purchase=services.PurchaseIn(
            customer_id=customer_id, **{k: v for k, v in values.items() if v is not None}
        ),
    )
    return Status(201, onboarding_out(selectors.onboardings([purchase], timezone.now())[0]))


@router.post(
    "/purchases/bulk",
    auth=TokenAuth(Permission.PROMISE_IMPORT),
    response={200: ImportOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    openapi_extra=NDJSON_BODY,
    summary="Send sales from an order system",
)
def purchase_bulk_create(request: HttpRequest) -> dict[str, Any]:
    """Good lines are kept even when others are bad; each bad line is reported."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    report = services.purchases_import(
        actor=token, lines=ndjson_lines(request), source=token.source
    )
    return import_out(report)


class ReachIn(Schema):
    note: str = Field("", max_length=500, description="How you know")
    at: datetime | None = None


class ReachedOut(Schema):
    purchase_id: int
    key: str
    reached_at: datetime
    note: str


@router.post(
    "/purchases/{purchase_id}/milestones/{key}",
    auth=WORK,
    response={201: ReachedOut, **ERRORS},
    summary="Record a milestone reached",
)
def milestone_reach(
    request: HttpRequest, purchase_id: int, key: str, payload: ReachIn | None = None
) -> Status[Any]:
    payload = payload or ReachIn.model_validate({})
    row = services.milestone_reach(
        actor=acting_party(request),
        purchase_id=purchase_id,
        key=key[:60],
        note=payload.note,
        at=payload.at,
    )
    return Status(
        201,
        {
            "purchase_id": purchase_id,
            "key": row.milestone.key,
            "reached_at": row.reached_at,
            "note": row.note,
        },
    )


class EndIn(Schema):
    at: datetime | None = None


@router.post(
    "/purchases/{purchase_id}/end",
    auth=WORK,
    response={200: OnboardingOut, **ERRORS},
    summary="The customer no longer has the product",
)
def purchase_end(
    request: HttpRequest, purchase_id: int, payload: EndIn | None = None
) -> dict[str, Any]:
    purchase = services.purchase_end(
        actor=acting_party(request),
        purchase_id=purchase_id,
        at=(payload or EndIn.model_validate({})).at,
    )
    return onboarding_out(selectors.onboardings([purchase], timezone.now())[0])


# The gaps --------------------------------------------------------------------------------


class StalledOut(Schema):
    purchase_id: int
    customer_id: int
    customer: str
    product: str
    milestone: str
    due_at: datetime
    days_late: float
    state: str


class GapsOut(Schema):
    at_risk: list[PromiseOut]
    broken: list[PromiseOut]
    onboardings: list[StalledOut]
    alerts: list[PromiseAlertOut]


@router.get(
    "/gaps",
    auth=VIEW,
    response={200: GapsOut, **ERRORS},
    summary="Promises at risk or broken and onboardings behind, by due date",
)
def gaps(request: HttpRequest) -> dict[str, Any]:
    actor = acting_party(request)
    now = timezone.now()
    found = promise_selectors.promise_gaps(actor=actor, now=now)
    return {
        "at_risk": [promise_out(p) for p in found.at_risk],
        "broken": [promise_out(p) for p in found.broken],
        "onboardings": [
            {
                "purchase_id": s.onboarding.purchase.pk,
                "customer_id": s.customer.pk,
                "customer": str(s.customer),
                "product": s.onboarding.purchase.product,
                "milestone": s.milestone.milestone.name,
                "due_at": s.milestone.due_at,
                "days_late": round(s.late_days, 1),
                "state": s.milestone.state,
            }
            for s in selectors.onboardings_stalled(actor=actor, now=now)
        ],
        "alerts": [alert_out(a) for a in promise_selectors.alerts_for(actor=actor)],
    }


# Reports -----------------------------------------------------------------------------------


class PeriodParams(Schema):
    since: datetime | None = Field(None, description="180 days before `until` if left out")
    until: datetime | None = Field(None, description="Now if left out")


def _period(params: PeriodParams, days: int = 180) -> tuple[datetime, datetime]:
    """The period asked for, each end with its time zone and within 1970-9999."""
    until = fields.moment(params.until, "until") if params.until else timezone.now()
    since = fields.moment(params.since, "since") if params.since else until - timedelta(days=days)
    return since, until


class DurationOut(Schema):
    n: int
    ended: int
    median_days: float | None
    low: float | None
    high: float | None


def duration_out(t: survival.TimeToValue) -> dict[str, Any]:
    return {
        "n": t.n,
        "ended": t.reached,
        "median_days": _round(t.median),
        "low": _round(t.low),
        "high": _round(t.high),
    }


class NpsOut(Schema):
    value: float | None
    low: float | None
    high: float | None
    n: int


class StageRowOut(Schema):
    stage: str
    label: str
    entered: int
    current: int
    time_in_stage: DurationOut
    next_stages: dict[str, int]
    churned_next: int
    stalled: int
    sentiment: IntervalOut
    nps: NpsOut | None
    csat: IntervalOut | None
    contacts_per_customer_month: float | None


class OutcomeOut(Schema):
    label: str
    churned_with: IntervalOut
    churned_without: IntervalOut
    difference: float | None
    p_value: float | None
    significant: bool


class JourneyReportOut(Schema):
    since: datetime
    until: datetime
    stages: list[StageRowOut]
    outcomes: list[OutcomeOut]


@router.get(
    "/journey",
    auth=REPORT,
    response={200: JourneyReportOut, **ERRORS},
    summary="The stage funnel with each stage's experience",
)
def journey_report(request: HttpRequest, params: Query[PeriodParams]) -> dict[str, Any]:
    since, until = _period(params)
    report = selectors.journey_report(
        actor=acting_party(request), since=since, until=until, now=timezone.now()
    )
    return {
        "since": report.since,
        "until": report.until,
        "stages": [
            {
                "stage": row.stage,
                "label": row.label,
                "entered": row.entered,
                "current": row.current,
                "time_in_stage": duration_out(row.time_in_stage),
                "next_stages": dict(row.next_stages),
                "churned_next": row.churned_next,
                "stalled": row.stalled,
                "sentiment": interval_out(row.sentiment),
                "nps": interval_out(row.nps) if row.nps else None,
                "csat": interval_out(row.csat) if row.csat else None,
                "contacts_per_customer_month": _round(row.contacts_per_customer_month, 2),
            }
            for row in report.stages
        ],
        "outcomes": [
            {
                "label": o.label,
                "churned_with": interval_out(o.with_it),
                "churned_without": interval_out(o.without_it),
                "difference": _round(o.difference.difference, 2),
                "p_value": _round(o.difference.p_value, 5),
                "significant": o.difference.significant,
            }
            for o in report.outcomes
        ],
    }


class ValueGroupOut(Schema):
    name: str
    sales: int
    reached: int
    median_days: float | None
    low: float | None
    high: float | None
    target_days: float | None
    waiting_after: dict[str, float | None]


class ValueGroupListOut(Schema):
    items: list[ValueGroupOut]


class ValueParams(PeriodParams):
    by: Literal["kind", "product", "team"] = "kind"


@router.get(
    "/time-to-value",
    auth=REPORT,
    response={200: ValueGroupListOut, **ERRORS},
    summary="Time to first value by segment (Kaplan-Meier, counting those still waiting)",
)
def time_to_value(request: HttpRequest, params: Query[ValueParams]) -> dict[str, Any]:
    since, until = _period(params, days=365)
    groups = selectors.time_to_value_report(
        actor=acting_party(request), since=since, until=until, now=timezone.now(), by=params.by
    )
    return {
        "items": [
            {
                "name": g.name,
                "sales": g.figures.n,
                "reached": g.figures.reached,
                "median_days": _round(g.figures.median),
                "low": _round(g.figures.low),
                "high": _round(g.figures.high),
                "target_days": g.target_days,
                "waiting_after": {
                    f"{day} days": None if share is None else round(share, 3)
                    for day, share in g.figures.waiting_after.items()
                },
            }
            for g in groups
        ]
    }


# Settings ----------------------------------------------------------------------------------


class MilestoneOut(Schema):
    product: str
    key: str
    name: str
    position: int
    target_days: int
    evidence_rule: dict[str, Any]
    marks_value: bool


class MilestoneListOut(Schema):
    items: list[MilestoneOut]


def milestone_out(m: Milestone) -> dict[str, Any]:
    return {
        "product": m.product,
        "key": m.key,
        "name": m.name,
        "position": m.position,
        "target_days": m.target_days,
        "evidence_rule": m.evidence_rule,
        "marks_value": m.marks_value,
    }


@router.get(
    "/milestones",
    auth=VIEW,
    response={200: MilestoneListOut, **ERRORS},
    summary="Every product's onboarding milestones",
)
def milestone_list(request: HttpRequest) -> dict[str, Any]:
    return {
        "items": [milestone_out(m) for m in selectors.milestone_list(actor=acting_party(request))]
    }


class MilestoneIn(Schema):
    name: str = Field("", max_length=120)
    target_days: int = Field(-1, ge=-1, le=services.MAX_TARGET_DAYS + 1)
    position: int = Field(0, ge=0, le=1000)
    evidence_rule: dict[str, Any] | None = None
    marks_value: bool = False


@router.put(
    "/milestones/{product}/{key}",
    auth=MANAGE,
    response={200: MilestoneOut, **ERRORS},
    summary="Set a product's onboarding milestone",
)
def milestone_set(
    request: HttpRequest, product: str, key: str, payload: MilestoneIn | None = None
) -> dict[str, Any]:
    payload = payload or MilestoneIn.model_validate({})
    row = services.milestone_set(
        actor=acting_party(request),
        product=product[:200],
        key=key[:80],
        milestone=services.MilestoneIn(**payload.dict()),
    )
    return milestone_out(row)


@router.delete(
    "/milestones/{product}/{key}",
    auth=MANAGE,
    response={204: None, **ERRORS},
    summary="Remove a milestone (and what was reached of it)",
)
def milestone_delete(request: HttpRequest, product: str, key: str) -> Status[None]:
    services.milestone_delete(actor=acting_party(request), product=product, key=key)
    return Status(204, None)


class StageRuleOut(Schema):
    id: int
    name: str
    position: int
    trigger: str
    match: dict[str, Any]
    milestone_key: str
    days: int | None
    from_stages: list[str]
    to_stage: str
    enabled: bool


class StageRuleListOut(Schema):
    items: list[StageRuleOut]


def rule_out(r: StageRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "position": r.position,
        "trigger": r.trigger,
        "match": r.match,
        "milestone_key": r.milestone_key,
        "days": r.days,
        "from_stages": list(r.from_stages),
        "to_stage": r.to_stage,
        "enabled": r.enabled,
    }


@router.get(
    "/stage-rules",
    auth=VIEW,
    response={200: StageRuleListOut, **ERRORS},
    summary="The rules that move customers between stages, in the order they are tried",
)
def stage_rule_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": [rule_out(r) for r in selectors.stage_rule_list(actor=acting_party(request))]}


class StageRuleIn(Schema):
    name: str = Field("", max_length=120)
    trigger: str = Field(
        "", max_length=20, description="interaction, sale, milestone, days_in_stage"
    )
    to_stage: str = Field("", max_length=20)
    position: int = Field(0, ge=0, le=1000)
    match: dict[str, Any] | None = None
    milestone_key: str = Field("", max_length=40)
    days: int | None = Field(None, ge=0, le=100_000)
    from_stages: list[str] = Field(default_factory=list, max_length=20)
    enabled: bool = True


@router.post(
    "/stage-rules",
    auth=MANAGE,
    response={201: StageRuleOut, **ERRORS},
    summary="Add a stage rule",
)
def stage_rule_create(request: HttpRequest, payload: StageRuleIn | None = None) -> Status[Any]:
    rule = services.stage_rule_save(
        actor=acting_party(request),
        rule=services.StageRuleIn(**(payload or StageRuleIn.model_validate({})).dict()),
    )
    return Status(201, rule_out(rule))


@router.put(
    "/stage-rules/{rule_id}",
    auth=MANAGE,
    response={200: StageRuleOut, **ERRORS},
    summary="Change a stage rule",
)
def stage_rule_update(
    request: HttpRequest, rule_id: int, payload: StageRuleIn | None = None
) -> dict[str, Any]:
    rule = services.stage_rule_save(
        actor=acting_party(request),
        rule=services.StageRuleIn(**(payload or StageRuleIn.model_validate({})).dict()),
        rule_id=rule_id,
    )
    return rule_out(rule)


@router.delete(
    "/stage-rules/{rule_id}",
    auth=MANAGE,
    response={204: None, **ERRORS},
    summary="Remove a stage rule",
)
def stage_rule_delete(request: HttpRequest, rule_id: int) -> Status[None]:
    services.stage_rule_delete(actor=acting_party(request), rule_id=rule_id)
    return Status(204, None)


class WeightOut(Schema):
    component: str
    name: str
    weight: float


class WeightListOut(Schema):
    items: list[WeightOut]


@router.get(
    "/health-weights",
    auth=VIEW,
    response={200: WeightListOut, **ERRORS},
    summary="The weights of the health score's components",
)
def health_weight_list(request: HttpRequest) -> dict[str, Any]:
    weights = selectors.health_weight_list(actor=acting_party(request))
    return {
        "items": [
            {"component": name, "name": health.COMPONENT_NAMES[name], "weight": weight}
            for name, weight in weights.items()
        ]
    }


class WeightIn(Schema):
    weight: float = Field(-1.0, ge=-1, le=101)


@router.put(
    "/health-weights/{component}",
    auth=MANAGE,
    response={200: WeightOut, **ERRORS},
    summary="Set a component's weight",
)
def health_weight_set(
    request: HttpRequest, component: str, payload: WeightIn | None = None
) -> dict[str, Any]:
    row = services.health_weight_set(
        actor=acting_party(request),
        component=component[:40],
        weight=(payload or WeightIn.model_validate({})).weight,
    )
    return {
        "component": row.component,
        "name": health.COMPONENT_NAMES[row.component],
        "weight": row.weight,
    }
