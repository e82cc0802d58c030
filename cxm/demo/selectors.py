"""What the demo command reports once the company is loaded."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Account, Customer
from cxm.interactions.models import Interaction
from cxm.journeys.enums import Stage
from cxm.journeys.models import StageVisit
from cxm.promises.models import Promise


@dataclass(frozen=True)
class DemoCounts:
    customers: int
    accounts: int
    interactions: int
    pending_proposals: int


def demo_counts() -> DemoCounts:
    return DemoCounts(
        customers=Customer.objects.filter(merged_into__isnull=True).count(),
        accounts=Account.objects.count(),
        interactions=Interaction.objects.count(),
        pending_proposals=customer_selectors.merge_proposal_count(actor=None),
    )


@dataclass(frozen=True)
class DemoJourneyCounts:
    promises: dict[str, int]  # by status
    churned: int  # customers who entered the churned stage


def demo_journey_counts() -> DemoJourneyCounts:
    return DemoJourneyCounts(
        promises=dict(
            Promise.objects.values_list("status").annotate(n=Count("pk")).order_by("status")
        ),
        churned=StageVisit.objects.filter(stage=Stage.CHURNED)
        .values("customer_id")
        .order_by()
        .distinct()
        .count(),
    )
