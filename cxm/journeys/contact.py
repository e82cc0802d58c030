"""A customer who has left is not asked for feedback as if they were still one.

The survey contact policy (``cxm.feedback.policy``) holds back a customer whose
journey was in the churned stage at the moment of the send: a relationship NPS
or a case survey to someone who closed their account asks the wrong question.
(A leaver's survey of its own would be a separate kind of survey, not sent yet.)
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from cxm.feedback import policy
from cxm.journeys.enums import Stage
from cxm.journeys.models import StageVisit


# About the profile's own journey, not every row merged into it: a person whose
# old profile churned and who came back under another is a customer again.
@policy.contact_rule("left", person=False)
def _left(customer_ids: list[int], now: datetime) -> dict[int, str]:
    gone = (
        StageVisit.objects.filter(
            customer_id__in=customer_ids, stage=Stage.CHURNED, entered_at__lte=now
        )
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=now))
        .values_list("customer_id", "entered_at")
    )
    return {
        pk: f"left on {entered:%Y-%m-%d}; a customer who has gone is not asked as if still one"
        for pk, entered in gone
    }
