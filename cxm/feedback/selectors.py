"""Reads of the feedback app: surveys, follow-ups, and what an actor may see of them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, customer_visibility
from cxm.errors import NotFound
from cxm.feedback.enums import FollowUpStatus
from cxm.feedback.models import FollowUp, Survey

MAX_ID = 2**63 - 1


def _valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def survey_list(*, actor: Actor) -> QuerySet[Survey]:
    actor_require(actor, Permission.FEEDBACK_VIEW)
    return Survey.objects.order_by("name", "pk")


def survey_get(*, actor: Actor, survey_id: int, permission: Permission) -> Survey:
    actor_require(actor, permission)
    survey = Survey.objects.filter(pk=survey_id).first() if _valid_id(survey_id) else None
    if survey is None:
        raise NotFound(f"no survey {survey_id}")
    return survey


def follow_up_list(
    *, actor: Actor, status: str | None = FollowUpStatus.OPEN, limit: int = 200
) -> list[FollowUp]:
    """The follow-ups of the customers the actor may see, the most overdue first."""
    actor_require(actor, Permission.FOLLOW_UP_WORK)
    follow_ups = FollowUp.objects.filter(customer_visibility(actor, prefix="customer__"))
    if status:
        follow_ups = follow_ups.filter(status=status)
    return list(
        follow_ups.select_related("customer", "owner", "response", "response__survey").order_by(
            "due_at", "pk"
        )[:limit]
    )


def follow_up_get(*, actor: Actor, follow_up_id: int) -> FollowUp:
    actor_require(actor, Permission.FOLLOW_UP_WORK)
    found: Any = None
    if _valid_id(follow_up_id):
        found = (
            FollowUp.objects.filter(customer_visibility(actor, prefix="customer__"))
            .select_related("customer", "response", "response__survey")
            .filter(pk=follow_up_id)
            .first()
        )
    if found is None:
        raise NotFound(f"no follow-up {follow_up_id}")
    return found
