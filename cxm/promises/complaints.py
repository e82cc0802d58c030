"""A broken promise is an open complaint for the survey contact policy.

A customer whose promise was broken in the 30 days before a survey would go
out, and who has not had what was promised since, is not asked how likely they
are to recommend us: their answer is already known, and asking now would be
tone-deaf.

A contact rule rather than a complaint source, because it needs the moment of
the send: a survey sent for a moment in the past (a history loaded late, the
demo's months of waves) is held back by the promises broken before that
moment, not by those broken before the wall clock's now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from cxm.feedback import policy
from cxm.promises.enums import PromiseStatus
from cxm.promises.models import Promise

COMPLAINT_DAYS = 30
SOURCE = "a promise broken"


@policy.contact_rule("broken_promise")
def _broken_promises(customer_ids: list[int], now: datetime) -> dict[int, str]:
    since = now - timedelta(days=COMPLAINT_DAYS)
    held = (
        Promise.objects.filter(
            customer_id__in=customer_ids,
            status=PromiseStatus.BROKEN,
            broken_at__gte=since,
            broken_at__lte=now,
        )
        .filter(Q(delivered_late_at__isnull=True) | Q(delivered_late_at__gt=now))
        .values_list("customer_id", flat=True)
    )
    return {pk: f"has an open complaint ({SOURCE}); asking now would be tone-deaf" for pk in held}
