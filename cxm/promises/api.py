"""The promises API: the ledger, what becomes of each promise, imports from order and
CRM systems, suggestions from agents' messages, alerts, keeping rates and lead times."""

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
from cxm.errors import CXMError
from cxm.interactions.schemas import ErrorOut
from cxm.promises import keeping, selectors, services
from cxm.promises.models import Promise, PromiseAlert, PromiseSuggestion

router = Router(tags=["promises"])
VIEW = requires(Permission.PROMISE_VIEW)
WORK = requires(Permission.PROMISE_WORK)
REPORT = requires(Permission.SERVICE_REPORT_VIEW)
MANAGE = requires(Permission.JOURNEY_MANAGE)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_BULK_LINES = 10_000
Kind = Literal[
    "delivery",
    "installation",
    "feature",
    "service_level",
    "price",
    "call_back",
    "fix",
    "value_target",
    "other",
]
StatusName = Literal["open", "at_risk", "kept", "broken", "renegotiated"]


class PromiseOut(Schema):
    id: int
    customer_id: int
    customer: str
    kind: str
    title: str
    terms: str
    status: str
    made_at: datetime
    made_by: str
    team: str | None
    owner: str | None
    channel: str
    document: str
    due_at: datetime
    at_risk_at: datetime
    evidence: str
    evidence_rule: dict[str, Any]
    kept_at: datetime | None
    broken_at: datetime | None
    delivered_late_at: datetime | None
    renegotiated_at: datetime | None
    replaced_by: int | None
    case_id: int | None
    external_id: str


def promise_out(p: Promise) -> dict[str, Any]:
    return {
        "id": p.pk,
        "customer_id": p.customer_id,
        "customer": str(p.customer),
        "kind": p.kind,
        "title": p.title,
        "terms": p.terms,
        "status": p.status,
        "made_at": p.made_at,
        "made_by": p.made_by_label,
        "team": p.team.name if p.team else None,
        "owner": p.owner.get_username() if p.owner else None,
        "channel": p.channel,
        "document": p.document,
        "due_at": p.due_at,
        "at_risk_at": p.at_risk_at,
        "evidence": p.evidence,
        "evidence_rule": p.evidence_rule,
        "kept_at": p.kept_at,
        "broken_at": p.broken_at,
        "delivered_late_at": p.delivered_late_at,
        "renegotiated_at": p.renegotiated_at,
        "replaced_by": p.replaced_by_id,
        "case_id": p.case_id,
        "external_id": p.external_id,
    }


class PromisePageOut(Schema):
    total: int
    offset: int
    limit: int
    items: list[PromiseOut]


class PromiseParams(Schema):
    status: StatusName | None = None
    kind: Kind | None = None
    team_id: int | None = Field(None, ge=1, le=2**62)
    made_by: str | None = Field(None, max_length=150)
    customer_id: int | None = Field(None, ge=1, le=2**62)
    offset: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(selectors.PAGE, ge=1, le=selectors.MAX_PAGE)


@router.get("/promises", auth=VIEW, response={200: PromisePageOut, **ERRORS}, summary="The ledger")
def promise_list(request: HttpRequest, params: Query[PromiseParams]) -> dict[str, Any]:
    """Promises by due date, soonest first."""
    page = selectors.promise_list(actor=acting_party(request), **params.dict())
    return {
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "items": [promise_out(p) for p in page.items],
    }


class PromiseIn(Schema):
    customer_id: int | None = Field(None, ge=1, le=2**62)
    customer: dict[str, str] | None = Field(
        None, description='Identifiers instead of customer_id, e.g. {"crm_id": "C-1042"}'
    )
    kind: str = Field("", max_length=20, description="installation, delivery, call_back, …")
    title: str = Field("", max_length=200)
    terms: str = Field("", max_length=10_000)
    due_at: datetime | None = None
    made_at: datetime | None = Field(None, description="When it was said; now if left out")
    made_by: str = Field("", max_length=150, description="Who made it; you if left out")
    team: str = Field("", max_length=150)
    owner_id: int | None = Field(None, ge=1, le=2**62)
    channel: str = Field("", max_length=20)
    document: str = Field("", max_length=200)
    evidence: str = Field("", max_length=500)
    evidence_rule: dict[str, Any] | None = Field(
        None, description="Interactions that show it kept (see the README)"
    )
    interaction_id: int | None = Field(None, ge=1, le=2**62)


@router.post(
    "/promises", auth=WORK, response={201: PromiseOut, **ERRORS}, summary="Record a promise"
)
def promise_create(request: HttpRequest, payload: PromiseIn | None = None) -> Status[Any]:
    values = (payload or PromiseIn.model_validate({})).dict()
    due_at = values.pop("due_at")
    promise = services.promise_create(
        actor=acting_party(request),
        promise=services.PromiseIn(
            **{k: v for k, v in values.items() if v is not None}, due_at=due_at or ""
        ),
    )
    return Status(
        201, promise_out(selectors.promise_get(actor=acting_party(request), promise_id=promise.pk))
    )


class ImportLineErrorOut(Schema):
    line: int
    field: str
    message: str


class ImportOut(Schema):
    accepted: int
    duplicates: int
    rejected: int
    errors: list[ImportLineErrorOut]


class TooManyLines(CXMError):
    code = "too_many_lines"
    status = 413


def ndjson_lines(request: HttpRequest) -> list[tuple[int, bytes]]:
    """The body's non-blank lines with their numbers, at most MAX_BULK_LINES."""
    lines = request.body.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()
    if len(lines) > MAX_BULK_LINES:
        raise TooManyLines(
            f"this batch has {len(lines)} lines; send at most {MAX_BULK_LINES} per request"
        )
    out = []
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if stripped:
            out.append((number, stripped.removeprefix(b"\xef\xbb\xbf")))
    return out


def import_out(report: Any) -> dict[str, Any]:
    return {
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": len(report.rejected),
        "errors": [
            {"line": p.line, "field": p.field, "message": p.message} for p in report.rejected
        ],
    }


NDJSON_BODY = {
    "requestBody": {
        "required": True,
        "description": "NDJSON: one object per line, up to 10,000 lines, each with its "
        "external_id (the sending system's key): a line sent again changes nothing.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


@router.post(
    "/promises/bulk",
    auth=TokenAuth(Permission.PROMISE_IMPORT),
    response={200: ImportOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut},
    openapi_extra=NDJSON_BODY,
    summary="Send promises from an order or CRM system",
)
def promise_bulk_create(request: HttpRequest) -> dict[str, Any]:
    """Good lines are kept even when others are bad; each bad line is reported."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    report = services.promises_import(actor=token, lines=ndjson_lines(request), source=token.source)
    return import_out(report)


class PromiseEventOut(Schema):
    at: datetime
    kind: str
    actor: str
    detail: dict[str, Any]


class PromiseAlertOut(Schema):
    id: int
    promise_id: int
    promise: str
    customer_id: int
    kind: str
    raised_at: datetime
    owner: str | None
    acknowledged_at: datetime | None


class PromiseAlertListOut(Schema):
    items: list[PromiseAlertOut]


def alert_out(a: PromiseAlert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "promise_id": a.promise_id,
        "promise": a.promise.title,
        "customer_id": a.promise.customer_id,
        "kind": a.kind,
        "raised_at": a.raised_at,
        "owner": a.owner.get_username() if a.owner else None,
        "acknowledged_at": a.acknowledged_at,
    }


class PromiseDetailOut(PromiseOut):
    replaces: int | None
    timeline: list[PromiseEventOut]
    alerts: list[PromiseAlertOut]


def _detail(request: HttpRequest, promise_id: int) -> dict[str, Any]:
    p = selectors.promise_get(actor=acting_party(request), promise_id=promise_id)
    replaces = getattr(p, "replaces", None)
    return {
        **promise_out(p),
        "replaces": replaces.pk if replaces is not None else None,
        "timeline": [
            {"at": e.at, "kind": e.kind, "actor": e.actor_label, "detail": e.detail}
            for e in p.events.all()
        ],
        "alerts": [alert_out(a) for a in p.alerts.all()],
    }


@router.get(
    "/promises/{promise_id}",
    auth=VIEW,
    response={200: PromiseDetailOut, **ERRORS},
    summary="A promise with its timeline",
)
def promise_get(request: HttpRequest, promise_id: int) -> dict[str, Any]:
    return _detail(request, promise_id)


class DeliverIn(Schema):
    note: str = Field("", max_length=1000, description="How you know it was delivered")
    at: datetime | None = Field(None, description="When; now if left out")


@router.post(
    "/promises/{promise_id}/deliver",
    auth=WORK,
    response={200: PromiseDetailOut, **ERRORS},
    summary="Record that what was promised was delivered (kept, or late)",
)
def promise_deliver(
    request: HttpRequest, promise_id: int, payload: DeliverIn | None = None
) -> dict[str, Any]:
    payload = payload or DeliverIn.model_validate({})
    services.promise_deliver(
        actor=acting_party(request), promise_id=promise_id, note=payload.note, at=payload.at
    )
    return _detail(request, promise_id)


class BreakIn(Schema):
    reason: str = Field("", max_length=1000)


@router.post(
    "/promises/{promise_id}/break",
    auth=WORK,
    response={200: PromiseDetailOut, **ERRORS},
    summary="Say a promise cannot be kept (a case opens for the customer)",
)
def promise_break(
    request: HttpRequest, promise_id: int, payload: BreakIn | None = None
) -> dict[str, Any]:
    services.promise_break(
        actor=acting_party(request),
        promise_id=promise_id,
        reason=(payload or BreakIn.model_validate({})).reason,
    )
    return _detail(request, promise_id)


class RenegotiateIn(Schema):
    due_at: datetime | None = None
    note: str = Field("", max_length=1000, description="What was agreed with the customer")
    title: str = Field("", max_length=200)
    terms: str = Field("", max_length=10_000)


@router.post(
    "/promises/{promise_id}/renegotiate",
    auth=WORK,
    response={201: PromiseDetailOut, **ERRORS},
    summary="New terms agreed before the due date (returns the new promise)",
)
def promise_renegotiate(
    request: HttpRequest, promise_id: int, payload: RenegotiateIn | None = None
) -> Status[Any]:
    payload = payload or RenegotiateIn.model_validate({})
    successor = services.promise_renegotiate(
        actor=acting_party(request),
        promise_id=promise_id,
        due_at=payload.due_at or "",
        note=payload.note,
        title=payload.title,
        terms=payload.terms,
    )
    return Status(201, _detail(request, successor.pk))


class OwnerIn(Schema):
    owner_id: int = Field(0, description="The user to alert")


@router.post(
    "/promises/{promise_id}/owner",
    auth=WORK,
    response={200: PromiseDetailOut, **ERRORS},
    summary="Change who is alerted about a promise",
)
def promise_owner(
    request: HttpRequest, promise_id: int, payload: OwnerIn | None = None
) -> dict[str, Any]:
    services.promise_owner_set(
        actor=acting_party(request),
        promise_id=promise_id,
        owner_id=(payload or OwnerIn.model_validate({})).owner_id,
    )
    return _detail(request, promise_id)


# Suggestions and alerts --------------------------------------------------------------------


class PromiseSuggestionOut(Schema):
    id: int
    customer_id: int
    interaction_id: int
    kind: str
    quote: str
    due_at: datetime | None
    made_by: str
    said_at: datetime


class PromiseSuggestionListOut(Schema):
    items: list[PromiseSuggestionOut]


def suggestion_out(s: PromiseSuggestion) -> dict[str, Any]:
    return {
        "id": s.pk,
        "customer_id": s.customer_id,
        "interaction_id": s.interaction_id,
        "kind": s.kind,
        "quote": s.quote,
        "due_at": s.due_at,
        "made_by": s.made_by_label,
        "said_at": s.created_at,
    }


class SuggestionParams(Schema):
    customer_id: int | None = Field(None, ge=1, le=2**62)


@router.get(
    "/promise-suggestions",
    auth=VIEW,
    response={200: PromiseSuggestionListOut, **ERRORS},
    summary="Commitments found in agents' messages, waiting for confirmation",
)
def promise_suggestion_list(
    request: HttpRequest, params: Query[SuggestionParams]
) -> dict[str, Any]:
    return {
        "items": [
            suggestion_out(s)
            for s in selectors.suggestions_pending(
                actor=acting_party(request), customer_id=params.customer_id
            )
        ]
    }


class ConfirmIn(Schema):
    title: str = Field("", max_length=200, description="The quote if left out")
    kind: str = Field("", max_length=20, description="The suggested kind if left out")
    due_at: datetime | None = Field(None, description="The date read from the message if left out")


@router.post(
    "/promise-suggestions/{promise_suggestion_id}/confirm",
    auth=WORK,
    response={201: PromiseDetailOut, **ERRORS},
    summary="Confirm a suggested commitment into the ledger",
)
def promise_suggestion_confirm(
    request: HttpRequest, promise_suggestion_id: int, payload: ConfirmIn | None = None
) -> Status[Any]:
    payload = payload or ConfirmIn.model_validate({})
    promise = services.suggestion_confirm(
        actor=acting_party(request),
        suggestion_id=promise_suggestion_id,
        title=payload.title,
        kind=payload.kind,
        due_at=payload.due_at,
    )
    return Status(201, _detail(request, promise.pk))


@router.post(
    "/promise-suggestions/{promise_suggestion_id}/dismiss",
    auth=WORK,
    response={204: None, **ERRORS},
    summary="Dismiss a suggestion (not a commitment)",
)
def promise_suggestion_dismiss(request: HttpRequest, promise_suggestion_id: int) -> Status[None]:
    services.suggestion_dismiss(actor=acting_party(request), suggestion_id=promise_suggestion_id)
    return Status(204, None)


@router.get(
    "/promise-alerts",
    auth=VIEW,
    response={200: PromiseAlertListOut, **ERRORS},
    summary="Your unacknowledged alerts of promises at risk or broken",
)
def promise_alert_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": [alert_out(a) for a in selectors.alerts_for(actor=acting_party(request))]}


@router.post(
    "/promise-alerts/{alert_id}/acknowledge",
    auth=WORK,
    response={200: PromiseAlertOut, **ERRORS},
    summary="Acknowledge an alert",
)
def promise_alert_acknowledge(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    alert = services.promise_alert_acknowledge(actor=acting_party(request), alert_id=alert_id)
    return alert_out(alert)


# Keeping rates and lead times ---------------------------------------------------------------


class IntervalOut(Schema):
    value: float | None
    low: float | None
    high: float | None
    n: int


def interval_out(i: Any) -> dict[str, Any]:
    def clean(x: float) -> float | None:
        return None if x != x else round(x, 2)  # NaN (nothing to measure) as null

    return {"value": clean(i.value), "low": clean(i.low), "high": clean(i.high), "n": i.n}


class GroupRateOut(Schema):
    name: str
    made: int
    pending: int
    kept: int
    broken: int
    renegotiated: int
    delivered_late: int
    rate: IntervalOut = Field(description="Kept, as made, of the settled promises, in %")
    difference_from_rest: float | None = Field(description="Percentage points")
    p_adjusted: float | None = Field(description="Holm-adjusted, across the groups")
    below_the_rest: bool
    promised_days: float | None
    delivered_days: float | None


def rate_out(r: keeping.GroupRate) -> dict[str, Any]:
    t = r.tally
    difference = r.versus_rest.difference
    return {
        "name": r.name,
        "made": t.made,
        "pending": t.pending,
        "kept": t.kept,
        "broken": t.broken,
        "renegotiated": t.renegotiated,
        "delivered_late": t.delivered_late,
        "rate": interval_out(r.rate),
        "difference_from_rest": None if difference != difference else round(difference, 2),
        "p_adjusted": None if r.p_adjusted != r.p_adjusted else round(r.p_adjusted, 5),
        "below_the_rest": r.below,
        "promised_days": None if r.promised_days is None else round(r.promised_days, 2),
        "delivered_days": None if r.delivered_days is None else round(r.delivered_days, 2),
    }


class OverPromiseOut(Schema):
    person: str
    kind: str
    promises: int
    promised_days: float
    delivered_days: float
    kept: IntervalOut


class KeepingOut(Schema):
    since: datetime
    until: datetime
    by: str
    rule: str
    overall: GroupRateOut | None
    groups: list[GroupRateOut]
    over_promising: list[OverPromiseOut]


class KeepingParams(Schema):
    since: datetime | None = Field(None, description="Promises due from; 90 days ago if left out")
    until: datetime | None = Field(None, description="Promises due before; now if left out")
    by: Literal["team", "person", "kind"] = "person"


KEEPING_RULE = (
    "kept as made, of the promises kept, broken or renegotiated (open ones are not counted); "
    "95% Agresti-Coull intervals; each group against the rest, Holm-adjusted"
)


@router.get(
    "/promise-keeping",
    auth=REPORT,
    response={200: KeepingOut, **ERRORS},
    summary="Promise-keeping rates by team, person or kind, and who over-promises",
)
def promise_keeping(request: HttpRequest, params: Query[KeepingParams]) -> dict[str, Any]:
    until = fields.moment(params.until, "until") if params.until else timezone.now()
    since = fields.moment(params.since, "since") if params.since else until - timedelta(days=90)
    report = selectors.keeping_report(
        actor=acting_party(request), since=since, until=until, by=params.by
    )
    return {
        "since": report.since,
        "until": report.until,
        "by": report.by,
        "rule": KEEPING_RULE,
        "overall": rate_out(report.overall) if report.overall else None,
        "groups": [rate_out(g) for g in report.groups],
        "over_promising": [
            {
                "person": o.person,
                "kind": o.kind,
                "promises": o.promises,
                "promised_days": round(o.promised_days, 2),
                "delivered_days": round(o.delivered_days, 2),
                "kept": interval_out(o.kept),
            }
            for o in report.over_promising
        ],
    }


class LeadTimeOut(Schema):
    kind: str
    label: str
    minutes: int
    default: bool


class LeadTimeListOut(Schema):
    items: list[LeadTimeOut]


@router.get(
    "/promise-lead-times",
    auth=VIEW,
    response={200: LeadTimeListOut, **ERRORS},
    summary="Business minutes before the due date at which each kind is at risk",
)
def promise_lead_time_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": [r.__dict__ for r in selectors.lead_time_list(actor=acting_party(request))]}


class LeadTimeIn(Schema):
    minutes: int = Field(-1, ge=-1, le=services.MAX_LEAD_MINUTES + 1)


@router.put(
    "/promise-lead-times/{kind}",
    auth=MANAGE,
    response={200: LeadTimeOut, **ERRORS},
    summary="Set a kind's lead time (re-times its open promises)",
)
def promise_lead_time_set(
    request: HttpRequest, kind: str, payload: LeadTimeIn | None = None
) -> dict[str, Any]:
    row = services.lead_time_set(
        actor=acting_party(request),
        kind=kind[:40],
        minutes=(payload or LeadTimeIn.model_validate({})).minutes,
    )
    return {
        "kind": row.kind,
        "label": row.get_kind_display(),
        "minutes": row.minutes,
        "default": False,
    }
