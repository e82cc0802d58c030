"""What the feedback app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence

from cxm.access import privacy
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
