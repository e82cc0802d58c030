"""What the feedback app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cxm.access import privacy, retention
from cxm.feedback.models import FollowUp, Invitation, Response, Survey


def _delete(model: type[FollowUp] | type[Response] | type[Invitation]) -> privacy.Eraser:
    def erase(ids: Sequence[int]) -> int:
        deleted, _ = model.objects.filter(customer_id__in=ids).delete()
        return deleted

    return erase


# A person's answers go with them: the survey's figures are recounted without them.
privacy.register(
    FollowUp,
    export=lambda ids: privacy.rows(FollowUp.objects.filter(customer_id__in=ids)),
    erase=_delete(FollowUp),
    erasure="deleted",
    order=100,
)
privacy.register(
    Response,
    export=lambda ids: privacy.rows(Response.objects.filter(customer_id__in=ids)),
    erase=_delete(Response),
    erasure="deleted",
    order=110,
)
privacy.register(
    Invitation,
    export=lambda ids: privacy.rows(Invitation.objects.filter(customer_id__in=ids)),
    erase=_delete(Invitation),
    erasure="deleted",
    order=120,
)
privacy.declare_not_personal(Survey, reason="a survey's questions and settings")


def _purge_comments(before: datetime) -> int:
    return Response.objects.filter(created_at__lt=before).exclude(comment="").update(comment="")


# Comments are free text like an interaction's body, and kept as long.
retention.register(
    name="survey_comments",
    setting="CXM_RETAIN_INTERACTION_TEXT_DAYS",
    purge=_purge_comments,
    what="comments of survey answers (the scores stay)",
)
