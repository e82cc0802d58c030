"""What the customers app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.utils import timezone

from cxm.access import privacy
from cxm.customers.models import Account, Customer, Identity, MergeEvent, MergeProposal


def _proposals(ids: Sequence[int]) -> Any:
    return MergeProposal.objects.filter(Q(customer_low_id__in=ids) | Q(customer_high_id__in=ids))


def _events(ids: Sequence[int]) -> Any:
    return MergeEvent.objects.filter(Q(survivor_id__in=ids) | Q(merged_id__in=ids))


def _erase_customers(ids: Sequence[int]) -> int:
    # The rows stay (interactions point at them, and counts must add up) but
    # carry nothing that says who the person was.
    return Customer.objects.filter(pk__in=ids).update(
        display_name="",
        account=None,
        birth_date=None,
        address="",
        postcode="",
        city="",
        erased_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _erase_events(ids: Sequence[int]) -> int:
    # The merge history stays as who-merged-what-when; the snapshot of names and
    # the free-text reasons go.
    return _events(ids).update(merged_snapshot={}, reason="(erased with the customer's data)")


def _delete(queryset: Any) -> int:
    deleted, _ = queryset.delete()
    return int(deleted)


privacy.register(
    Customer,
    export=lambda ids: privacy.rows(Customer.objects.filter(pk__in=ids)),
    erase=_erase_customers,
    erasure="name and account removed; the row stays, marked erased",
    order=900,
)
privacy.register(
    Identity,
    export=lambda ids: privacy.rows(Identity.objects.filter(customer_id__in=ids)),
    erase=lambda ids: _delete(Identity.objects.filter(customer_id__in=ids)),
    erasure="deleted",
    order=800,
)
privacy.register(
    MergeProposal,
    export=lambda ids: privacy.rows(_proposals(ids)),
    erase=lambda ids: _delete(_proposals(ids)),
    erasure="deleted (they quote the identifiers that tied two customers together)",
)
privacy.register(
    MergeEvent,
    export=lambda ids: privacy.rows(_events(ids)),
    erase=_erase_events,
    erasure="snapshot and reason removed; who merged whom and when stays",
)
privacy.declare_not_personal(
    Account,
    reason="an organisation's name, shared by its staff; a person's link to it is on Customer",
)
