"""What the feedback app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cxm.access import privacy, retention
from cxm.feedback.models import FollowUp, Invitation, Response, Survey


def _register(model: type[FollowUp] | type[Response] | type[Invitation], order: int) -> None:
    def erase(ids: Sequence[int]) -> int:
        deleted, _ = model.objects.filter(customer_id__in=ids).delete()
        return deleted

    privacy.register(
        model,
        export=lambda ids: privacy.rows(model.objects.filter(customer_id__in=ids)),
        erase=erase,
        erasure="deleted",
        order=order,
    )


# A person's answers go with them: the survey's figures are recounted without
# them. Dependants first: a follow-up points at its answer, an answer at its
# invitation.
for _model, _order in ((FollowUp, 100), (Response, 110), (Invitation, 120)):
    _register(_model, _order)
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
