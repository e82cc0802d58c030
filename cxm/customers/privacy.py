"""What the customers app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.utils import timezone

from cxm.access import privacy
from cxm.customers.models import (
    Account,
    Customer,
    Identity,
    MatchFrequency,
    MatchModel,
    MatchRecord,
    MergeEvent,
    MergeProposal,
)


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


def _frequencies(ids: Sequence[int]) -> Any:
    """The term-frequency rows of the customers' own values: a rare surname's
    row says that somebody of that name is a customer."""
    condition = Q()
    for record in MatchRecord.objects.filter(customer_id__in=ids).values():
        for column in ("first_name", "surname", "postcode", "city"):
            if record[column]:
                condition |= Q(column=column, value=record[column])
    return MatchFrequency.objects.filter(condition) if condition else MatchFrequency.objects.none()


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
privacy.register(
    MatchFrequency,
    export=lambda ids: privacy.rows(_frequencies(ids)),
    erase=lambda ids: _delete(_frequencies(ids)),
    erasure="the rows of the customer's own values deleted (before the match record)",
    order=50,
)
privacy.register(
    MatchRecord,
    export=lambda ids: privacy.rows(MatchRecord.objects.filter(customer_id__in=ids)),
    erase=lambda ids: _delete(MatchRecord.objects.filter(customer_id__in=ids)),
    erasure="deleted",
    order=60,
)
privacy.declare_not_personal(
    MatchModel,
    reason="m and u probabilities of comparison levels, learnt over all customers",
)
privacy.declare_not_personal(
    Account,
    reason="an organisation's name, shared by its staff; a person's link to it is on Customer",
)
