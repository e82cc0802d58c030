"""What journeys hold about a person, and how it is exported and erased."""

from __future__ import annotations

from cxm.access import privacy
from cxm.journeys.models import (
    HealthWeight,
    Milestone,
    MilestoneReached,
    Purchase,
    StageRule,
    StageVisit,
)

privacy.register(
    MilestoneReached,
    export=lambda ids: privacy.rows(MilestoneReached.objects.filter(purchase__customer_id__in=ids)),
    erase=lambda ids: MilestoneReached.objects.filter(purchase__customer_id__in=ids).delete()[0],
    erasure="deleted with the purchase",
    order=70,
)
privacy.register(
    Purchase,
    export=lambda ids: privacy.rows(Purchase.objects.filter(customer_id__in=ids)),
    erase=lambda ids: Purchase.objects.filter(customer_id__in=ids).delete()[0],
    erasure="deleted",
    order=75,
)
privacy.register(
    StageVisit,
    export=lambda ids: privacy.rows(StageVisit.objects.filter(customer_id__in=ids)),
    erase=lambda ids: StageVisit.objects.filter(customer_id__in=ids).delete()[0],
    erasure="deleted",
    order=75,
)
privacy.declare_not_personal(Milestone, reason="a product's onboarding milestones")
privacy.declare_not_personal(StageRule, reason="the company's rules for journey stages")
privacy.declare_not_personal(HealthWeight, reason="the weights of the health score")
