"""A broken promise is an open complaint for the survey contact policy.

A customer whose promise was broken in the last 30 days, and has not had what
was promised since, is not asked how likely they are to recommend us: their
answer is already known, and asking now would be tone-deaf.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cxm.feedback import policy
from cxm.promises.enums import PromiseStatus
from cxm.promises.models import Promise

COMPLAINT_DAYS = 30


@policy.complaint_source("a promise broken")
def _broken_promises(customer_ids: list[int]) -> set[int]:
    since = timezone.now() - timedelta(days=COMPLAINT_DAYS)
    return set(
        Promise.objects.filter(
            customer_id__in=customer_ids,
            status=PromiseStatus.BROKEN,
            broken_at__gte=since,
            delivered_late_at__isnull=True,
        ).values_list("customer_id", flat=True)
    )
