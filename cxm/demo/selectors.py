"""What the demo command reports once the company is loaded."""

from __future__ import annotations

from dataclasses import dataclass

from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Account, Customer
from cxm.interactions.models import Interaction


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
