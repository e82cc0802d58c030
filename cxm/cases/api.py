"""The cases API: the queue, cases and what agents do to them, service-level
policies, business hours and the fairness audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cxm.access.permissions import Permission
from cxm.cases import fairness, selectors, services
from cxm.cases.models import Case, SlaPolicy
from cxm.connectors.auth import acting_party, requires
from cxm.interactions.schemas import ErrorOut

router = Router(tags=["cases"])
VIEW = requires(Permission.CASE_VIEW)
WORK = requires(Permission.CASE_WORK)
MANAGE = requires(Permission.SLA_MANAGE)
REPORT = requires(Permission.SERVICE_REPORT_VIEW)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
ChannelName = Literal["phone", "sms", "email", "chat", "social", "web", "in_person", "other"]


class CaseOut(Schema):
    id: int
    customer_id: int
    customer: str
    channel: str
    topic: str
    subject: str
    status: str
    severity: str
    urgency: str
    priority: int
    assignee: str | None
    opened_at: datetime
    waiting_since: datetime | None
    due_at: datetime | None
    time_left_seconds: float | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    influence_tier: str = Field(description="Shown to inform the answer; never orders the queue")
    value_tier: str
    messages: int
    replies: int


def _case(case: Case, now: datetime) -> dict[str, Any]:
    return {
        "id": case.pk,
        "customer_id": case.customer_id,
        "customer": str(case.customer),
        "channel": case.channel,
        "topic": case.topic,
        "subject": case.subject,
        "status": case.status,
        "severity": case.severity,
        "urgency": case.urgency,
        "priority": case.priority,
        "assignee": case.assignee.get_username() if case.assignee else None,
        "opened_at": case.opened_at,
        "waiting_since": case.waiting_since,
        "due_at": case.due_at,
        "time_left_seconds": (case.due_at - now).total_seconds() if case.due_at else None,
        "first_response_at": case.first_response_at,
        "resolved_at": case.resolved_at,
        "influence_tier": case.influence_tier,
        "value_tier": case.value_tier,
        "messages": case.messages,
        "replies": case.replies,
    }


class QueueOut(Schema):
    order: str
    total: int
    offset: int
    limit: int
    items: list[CaseOut]


class QueueParams(Schema):
    channel: ChannelName | None = None
    assignee_id: int | None = Field(None, ge=1, le=2**62)
    unassigned: bool = False
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(selectors.QUEUE_PAGE, ge=1, le=selectors.QUEUE_MAX_PAGE)


QUEUE_ORDER = "time left before breach, then priority, then time waited (the same for everyone)"


@router.get("/cases/queue", auth=VIEW, response={200: QueueOut, **ERRORS}, summary="The queue")
def case_queue(request: HttpRequest, params: Query[QueueParams]) -> dict[str, Any]:
    page = selectors.case_queue(actor=acting_party(request), **params.dict())
    now = services.timezone.now()
    return {
        "order": QUEUE_ORDER,
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "items": [_case(c, now) for c in page.cases],
    }


class ClockOut(Schema):
    metric: str
    target_minutes: float
    started_at: datetime
    due_at: datetime | None
    state: str
    time_left_seconds: float | None
    elapsed_business_minutes: float | None


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str
    detail: dict[str, Any]


class CaseInteractionOut(Schema):
    id: int
    channel: str
    direction: str
    occurred_at: datetime
    subject: str
    body: str
    sentiment: str
    delivery_status: str | None


class StandingOut(Schema):
    followers: int | None
    reach: int | None
    reshares: int | None
    influence_score: float
    influence_tier: str
    value_tier: str


class CaseDetailOut(CaseOut):
    clocks: list[ClockOut]
    timeline: list[EventOut]
    interactions: list[CaseInteractionOut]
    standing: StandingOut | None
    merged_into: int | None


def _detail(detail: selectors.CaseDetail) -> dict[str, Any]:
    now = services.timezone.now()
    standing = detail.standing
    return {
        **_case(detail.case, now),
        "merged_into": detail.case.merged_into_id,
        "clocks": [
            {
                "metric": c.metric,
                "target_minutes": round(c.target_seconds / 60, 1),
                "started_at": c.started_at,
                "due_at": c.due_at,
                "state": c.state,
                "time_left_seconds": c.left_seconds,
                "elapsed_business_minutes": None
                if c.elapsed_seconds is None
                else round(c.elapsed_seconds / 60, 1),
            }
            for c in detail.clocks
        ],
        "timeline": [
            {"at": e.at, "kind": e.kind, "actor": e.actor_label, "detail": e.detail}
            for e in detail.events
        ],
        "interactions": [
            {
                "id": i.pk,
                "channel": i.channel,
                "direction": i.direction,
                "occurred_at": i.occurred_at,
                "subject": i.subject,
                "body": i.body,
                "sentiment": i.sentiment_label,
                "delivery_status": detail.replies[i.pk].delivery_status
                if i.pk in detail.replies
                else None,
            }
            for i in detail.interactions
        ],
        "standing": None
        if standing is None
        else {
            "followers": standing.followers,
            "reach": standing.reach,
            "reshares": standing.reshares,
            "influence_score": round(standing.influence_score, 1),
            "influence_tier": standing.influence_tier,
            "value_tier": standing.value_tier,
        },
    }


@router.get(
    "/cases/{case_id}",
    auth=VIEW,
    response={200: CaseDetailOut, **ERRORS},
    summary="A case with its clocks and timeline",
)
def case_get(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _detail(selectors.case_detail(actor=acting_party(request), case_id=case_id))


# Bodies are checked by the services, after the case itself, so that an unknown or
# hidden case is a 404 whatever the body.
class StatusIn(Schema):
    status: str = Field("", max_length=20, description="new, open, waiting, resolved, closed")
    note: str = Field("", max_length=500)


@router.post(
    "/cases/{case_id}/status",
    auth=WORK,
    response={200: CaseDetailOut, **ERRORS},
    summary="Change a case's status",
)
def case_status(
    request: HttpRequest, case_id: int, payload: StatusIn | None = None
) -> dict[str, Any]:
    actor = acting_party(request)
    payload = payload or StatusIn(status="", note="")
    services.case_status_set(actor=actor, case_id=case_id, status=payload.status, note=payload.note)
    return _detail(selectors.case_detail(actor=actor, case_id=case_id))


class TriageIn(Schema):
    severity: str | None = Field(None, max_length=20, description="critical, high, normal, low")
    urgency: str | None = Field(None, max_length=20, description="high, normal, low")


@router.post(
    "/cases/{case_id}/triage",
    auth=WORK,
    response={200: CaseDetailOut, **ERRORS},
    summary="Set the issue's severity and urgency (priority follows)",
)
def case_triage(
    request: HttpRequest, case_id: int, payload: TriageIn | None = None
) -> dict[str, Any]:
    actor = acting_party(request)
    services.case_triage(
        actor=actor, case_id=case_id, **(payload or TriageIn(severity=None, urgency=None)).dict()
    )
    return _detail(selectors.case_detail(actor=actor, case_id=case_id))


class AssignIn(Schema):
    user_id: int | None = Field(None, description="Omit to assign by the team's round robin")


@router.post(
    "/cases/{case_id}/assign",
    auth=WORK,
    response={200: CaseDetailOut, **ERRORS},
    summary="Assign a case by hand or by round robin",
)
def case_assign(
    request: HttpRequest, case_id: int, payload: AssignIn | None = None
) -> dict[str, Any]:
    actor = acting_party(request)
    services.case_assign(actor=actor, case_id=case_id, user_id=payload.user_id if payload else None)
    return _detail(selectors.case_detail(actor=actor, case_id=case_id))


class ReplyIn(Schema):
    body: str = Field("", max_length=20_000)


@router.post(
    "/cases/{case_id}/replies",
    auth=WORK,
    response={201: CaseDetailOut, **ERRORS},
    summary="Answer a case on its channel",
)
def case_reply(
    request: HttpRequest, case_id: int, payload: ReplyIn | None = None
) -> Status[dict[str, Any]]:
    actor = acting_party(request)
    services.case_reply(actor=actor, case_id=case_id, body=payload.body if payload else "")
    return Status(201, _detail(selectors.case_detail(actor=actor, case_id=case_id)))


class SplitIn(Schema):
    interaction_ids: list[int] = Field(default_factory=list, max_length=1000)


@router.post(
    "/cases/{case_id}/split",
    auth=WORK,
    response={201: CaseDetailOut, **ERRORS},
    summary="Move some interactions into a new case",
)
def case_split(
    request: HttpRequest, case_id: int, payload: SplitIn | None = None
) -> Status[dict[str, Any]]:
    actor = acting_party(request)
    new = services.case_split(
        actor=actor, case_id=case_id, interaction_ids=payload.interaction_ids if payload else []
    )
    return Status(201, _detail(selectors.case_detail(actor=actor, case_id=new.pk)))


class MergeIn(Schema):
    into: int = Field(0, description="The case to merge this one into")


@router.post(
    "/cases/{case_id}/merge",
    auth=WORK,
    response={200: CaseDetailOut, **ERRORS},
    summary="Merge this case into another of the same customer",
)
def case_merge(
    request: HttpRequest, case_id: int, payload: MergeIn | None = None
) -> dict[str, Any]:
    actor = acting_party(request)
    into = services.case_merge(actor=actor, case_id=case_id, into_id=payload.into if payload else 0)
    return _detail(selectors.case_detail(actor=actor, case_id=into.pk))


# Service levels ------------------------------------------------------------------------


class PolicyOut(Schema):
    channel: str
    priority: int
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    at_risk_share: float


class PolicyIn(Schema):
    first_response_minutes: int = Field(ge=1, le=525_600)
    next_response_minutes: int = Field(ge=1, le=525_600)
    resolution_minutes: int = Field(ge=1, le=525_600)
    at_risk_share: float = Field(0.75, gt=0, lt=1)


def _policy(p: SlaPolicy) -> dict[str, Any]:
    return {
        "channel": p.channel,
        "priority": p.priority,
        "first_response_minutes": p.first_response_minutes,
        "next_response_minutes": p.next_response_minutes,
        "resolution_minutes": p.resolution_minutes,
        "at_risk_share": p.at_risk_share,
    }


class PolicyListOut(Schema):
    time_basis: str
    items: list[PolicyOut]


@router.get(
    "/sla-policies",
    auth=VIEW,
    response={200: PolicyListOut, **ERRORS},
    summary="Service-level policies",
)
def sla_policies(request: HttpRequest) -> dict[str, Any]:
    return {
        "time_basis": "business minutes of the case's team calendar",
        "items": [_policy(p) for p in selectors.sla_policies(actor=acting_party(request))],
    }


@router.put(
    "/sla-policies/{channel}/{priority}",
    auth=MANAGE,
    response={200: PolicyOut, **ERRORS},
    summary="Set a service-level policy",
)
def sla_policy_set(
    request: HttpRequest, channel: str, priority: int, payload: PolicyIn
) -> dict[str, Any]:
    policy = services.sla_policy_set(
        actor=acting_party(request),
        policy=services.PolicyIn(channel=channel, priority=priority, **payload.dict()),
    )
    return _policy(policy)


@router.delete(
    "/sla-policies/{channel}/{priority}",
    auth=MANAGE,
    response={204: None, **ERRORS},
    summary="Remove a service-level policy",
)
def sla_policy_delete(request: HttpRequest, channel: str, priority: int) -> Status[None]:
    services.sla_policy_delete(actor=acting_party(request), channel=channel, priority=priority)
    return Status(204, None)


class CalendarOut(Schema):
    team_id: int | None
    team: str | None
    definition: dict[str, Any]
    description: str


class CalendarListOut(Schema):
    items: list[CalendarOut]


class CalendarIn(Schema):
    team_id: int | None = Field(None, ge=1, le=2**62, description="None: the company default")
    definition: dict[str, Any]


def _calendar(row: Any) -> dict[str, Any]:
    from cxm.cases import hours

    return {
        "team_id": row.team_id,
        "team": row.team.name if row.team else None,
        "definition": row.definition,
        "description": hours.describe(hours.Calendar.from_dict(row.definition)),
    }


@router.get(
    "/business-hours",
    auth=VIEW,
    response={200: CalendarListOut, **ERRORS},
    summary="Business hours of the teams",
)
def calendars(request: HttpRequest) -> dict[str, Any]:
    return {"items": [_calendar(r) for r in selectors.calendars(actor=acting_party(request))]}


@router.put(
    "/business-hours",
    auth=MANAGE,
    response={200: CalendarOut, **ERRORS},
    summary="Set a team's business hours (or the default)",
)
def calendar_set(request: HttpRequest, payload: CalendarIn) -> dict[str, Any]:
    row = services.calendar_set(
        actor=acting_party(request), team_id=payload.team_id, definition=payload.definition
    )
    return _calendar(row)


# The fairness audit ------------------------------------------------------------------------


class TierOut(Schema):
    tier: str
    n: int
    median_minutes: float | None
    p90_minutes: float | None
    rest_n: int
    rest_median_minutes: float | None
    u: float | None
    p_value: float | None
    p_adjusted: float | None
    probability_faster: float | None
    skipped: str | None


class AlertOut(Schema):
    tier: str
    kind: str
    message: str
    p_adjusted: float


class MeasureAuditOut(Schema):
    tiers: list[TierOut]
    alerts: list[AlertOut]
    ok: bool


class AuditOut(Schema):
    since: datetime
    until: datetime
    method: str
    influence: dict[str, MeasureAuditOut]
    account_value: dict[str, MeasureAuditOut]


class AuditParams(Schema):
    days: int = Field(90, ge=1, le=3660)
    channel: ChannelName | None = None


AUDIT_METHOD = (
    "Business minutes from opening to first response and to resolution, of cases opened "
    "in the period. Each tier against all others pooled: two-sided Mann-Whitney U, "
    "Holm-adjusted across tiers, alpha 0.05."
)


def _audit(audit: fairness.Audit) -> dict[str, Any]:
    return {
        "tiers": [
            {
                "tier": t.tier,
                "n": t.n,
                "median_minutes": None if t.median is None else round(t.median / 60, 1),
                "p90_minutes": None if t.p90 is None else round(t.p90 / 60, 1),
                "rest_n": t.rest_n,
                "rest_median_minutes": None
                if t.rest_median is None
                else round(t.rest_median / 60, 1),
                "u": t.u,
                "p_value": t.p_value,
                "p_adjusted": t.p_adjusted,
                "probability_faster": t.probability_faster,
                "skipped": t.skipped,
            }
            for t in audit.tiers
        ],
        "alerts": [
            {"tier": a.tier, "kind": str(a.kind), "message": a.message, "p_adjusted": a.p_adjusted}
            for a in audit.alerts
        ],
        "ok": audit.ok,
    }


@router.get(
    "/fairness-audit",
    auth=REPORT,
    response={200: AuditOut, **ERRORS},
    summary="Response and resolution times by influence and account-value tier",
)
def fairness_audit(request: HttpRequest, params: Query[AuditParams]) -> dict[str, Any]:
    result = selectors.fairness_audit(actor=acting_party(request), **params.dict())
    return {
        "since": result.since,
        "until": result.until,
        "method": AUDIT_METHOD,
        **{
            grouping: {measure: _audit(a) for measure, a in audits.items()}
            for grouping, audits in result.audits.items()
        },
    }
