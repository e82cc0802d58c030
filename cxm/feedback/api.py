"""The feedback API: surveys, invitations, follow-ups and the honest summary."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from cxm.access.permissions import Permission
from cxm.connectors.auth import acting_party, requires
from cxm.errors import ValidationFailed
from cxm.feedback import metrics, selectors, services
from cxm.feedback.enums import Trigger
from cxm.feedback.models import FollowUp, Survey
from cxm.interactions.schemas import ErrorOut

router = Router(tags=["voice of the customer"])

VIEW_AUTH = requires(Permission.FEEDBACK_VIEW)
MANAGE_AUTH = requires(Permission.SURVEY_MANAGE)
FOLLOW_UP_AUTH = requires(Permission.FOLLOW_UP_WORK)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class SurveyIn(Schema):
    name: str = Field(max_length=200)
    kind: Literal["nps", "csat", "ces"]
    question: str = Field(max_length=500)
    comment_question: str = Field("", max_length=500)
    ask_role: bool = True
    triggers: list[Literal["case_resolved", "onboarding_milestone", "relationship"]] = Field(
        default_factory=list, max_length=3
    )
    daily_cap: int | None = Field(None, ge=1, le=1_000_000)
    answer_days: int = Field(14, ge=1, le=365)


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    question: str
    comment_question: str
    ask_role: bool
    triggers: list[str]
    daily_cap: int | None
    answer_days: int
    active: bool


class SurveyListOut(Schema):
    items: list[SurveyOut]


class InvitationsIn(Schema):
    customer_ids: list[int] = Field(default_factory=list, max_length=services.MAX_BULK_INVITATIONS)
    channel: (
        Literal["email", "sms", "web", "chat", "phone", "social", "in_person", "other"] | None
    ) = None
    segments: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Extra segments per customer id (e.g. plan, journey_stage), kept with "
        "the invitation",
    )


class InvitedOut(Schema):
    customer_id: int
    invitation_id: int
    link: str


class HeldBackOut(Schema):
    customer_id: int
    reason: str


class InvitationsOut(Schema):
    invited: list[InvitedOut]
    held_back: list[HeldBackOut]


class FollowUpOut(Schema):
    id: int
    customer_id: int
    survey: str
    score: int
    comment: str
    reason: str
    owner: str | None
    due_at: datetime
    status: str
    outcome: str
    closed_at: datetime | None


class FollowUpListOut(Schema):
    items: list[FollowUpOut]


class FollowUpCloseIn(Schema):
    # Checked by the service (after the follow-up itself), so that an unknown or
    # hidden follow-up is a 404 whatever the body.
    outcome: str = Field("", max_length=services.MAX_COMMENT)


class FollowUpParams(Schema):
    status: Literal["open", "done", "all"] = "open"
    limit: int = Field(200, ge=1, le=500)


class SummaryParams(Schema):
    since: date | None = Field(None, description="First day (inclusive)")
    until: date | None = Field(None, description="Last day (inclusive)")
    segment: str | None = Field(
        None, max_length=200, description="dimension=value, e.g. kind=business"
    )
    channel: str | None = Field(None, max_length=20)


def _survey(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "name": survey.name,
        "kind": survey.kind,
        "question": survey.question,
        "comment_question": survey.comment_question,
        "ask_role": survey.ask_role,
        "triggers": list(survey.triggers),
        "daily_cap": survey.daily_cap,
        "answer_days": survey.answer_days,
        "active": survey.active,
    }


def _follow_up(item: FollowUp) -> dict[str, Any]:
    return {
        "id": item.pk,
        "customer_id": item.customer_id,
        "survey": item.response.survey.name,
        "score": item.response.score,
        "comment": item.response.comment,
        "reason": item.reason,
        "owner": item.owner.get_username() if item.owner else None,
        "due_at": item.due_at,
        "status": item.status,
        "outcome": item.outcome,
        "closed_at": item.closed_at,
    }


@router.get("/surveys", auth=VIEW_AUTH, response={200: SurveyListOut, **ERRORS}, summary="Surveys")
def survey_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": [_survey(s) for s in selectors.survey_list(actor=acting_party(request))]}


@router.post(
    "/surveys", auth=MANAGE_AUTH, response={201: SurveyOut, **ERRORS}, summary="Create a survey"
)
def survey_create(request: HttpRequest, payload: SurveyIn) -> Status[dict[str, Any]]:
    survey = services.survey_create(**payload.dict())
    return Status(201, _survey(survey))


@router.post(
    "/surveys/{survey_id}/invitations",
    auth=MANAGE_AUTH,
    response={200: InvitationsOut, **ERRORS},
    summary="Invite customers, as the contact policy allows",
)
def invitations_create(
    request: HttpRequest, survey_id: int, payload: InvitationsIn
) -> dict[str, Any]:
    """Each customer is invited or held back with the reason (recently asked, an open
    complaint, the daily cap). The links are for the channel that sends them."""
    survey = selectors.survey_get(
        actor=acting_party(request), survey_id=survey_id, permission=Permission.SURVEY_MANAGE
    )
    if not payload.customer_ids:
        raise ValidationFailed("name at least one customer to invite", code="no_customers")
    extra: dict[int, dict[str, str]] = {}
    for key, values in payload.segments.items():
        if key.isdigit():
            extra[int(key)] = {k[:40]: v[:100] for k, v in list(values.items())[:10]}
    report = services.invitations_send(
        survey=survey,
        customer_ids=payload.customer_ids,
        trigger=Trigger.BULK,
        channel=payload.channel,
        segments=extra,
    )
    return {
        "invited": [
            {
                "customer_id": i.customer_id,
                "invitation_id": i.pk,
                "link": request.build_absolute_uri(
                    reverse("feedback:survey-answer", args=[i.token])
                ),
            }
            for i in report.invited
        ],
        "held_back": [{"customer_id": pk, "reason": reason} for pk, reason in report.held_back],
    }


@router.get(
    "/surveys/{survey_id}/summary",
    auth=VIEW_AUTH,
    response={200: dict[str, Any], **ERRORS},
    summary="The survey's figures with their uncertainty",
)
def survey_summary(
    request: HttpRequest, survey_id: int, params: Query[SummaryParams]
) -> dict[str, Any]:
    """Every figure comes with its n and a 95% interval; a change or a segment gap
    that is not significant says so."""
    survey = selectors.survey_get(
        actor=acting_party(request), survey_id=survey_id, permission=Permission.FEEDBACK_VIEW
    )
    summary = metrics.survey_summary(
        survey=survey,
        actor=acting_party(request),
        filters=metrics.Filters.parse(
            since=params.since, until=params.until, segment=params.segment, channel=params.channel
        ),
    )
    return metrics.as_json(summary)


@router.get(
    "/follow-ups",
    auth=FOLLOW_UP_AUTH,
    response={200: FollowUpListOut, **ERRORS},
    summary="Detractors and unhappy customers to call back, most overdue first",
)
def follow_up_list(request: HttpRequest, params: Query[FollowUpParams]) -> dict[str, Any]:
    status = None if params.status == "all" else params.status
    items = selectors.follow_up_list(actor=acting_party(request), status=status, limit=params.limit)
    return {"items": [_follow_up(i) for i in items]}


@router.post(
    "/follow-ups/{follow_up_id}/close",
    auth=FOLLOW_UP_AUTH,
    response={200: FollowUpOut, **ERRORS},
    summary="Record what was done, and close the follow-up",
)
def follow_up_close(
    request: HttpRequest, follow_up_id: int, payload: FollowUpCloseIn | None = None
) -> dict[str, Any]:
    actor = acting_party(request)
    item = selectors.follow_up_get(actor=actor, follow_up_id=follow_up_id)
    outcome = payload.outcome if payload else ""
    item = services.follow_up_close(follow_up=item, outcome=outcome, actor=actor)
    return _follow_up(item)
