"""What the promise ledger holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence

from cxm.access import privacy
from cxm.promises.models import LeadTime, Promise, PromiseAlert, PromiseEvent, PromiseSuggestion


def _erase_promises(ids: Sequence[int]) -> int:
    promises = Promise.objects.filter(customer_id__in=ids)
    # Renegotiated promises point at their successors; detach them first.
    Promise.objects.filter(replaced_by__in=promises).update(replaced_by=None)
    deleted, _ = promises.delete()
    return deleted


def _by_promise(model: type[PromiseEvent] | type[PromiseAlert]) -> None:
    privacy.register(
        model,
        export=lambda ids: privacy.rows(model.objects.filter(promise__customer_id__in=ids)),
        erase=lambda ids: model.objects.filter(promise__customer_id__in=ids).delete()[0],
        erasure="deleted with the promise",
        order=70,
    )


_by_promise(PromiseEvent)
_by_promise(PromiseAlert)
privacy.register(
    PromiseSuggestion,
    export=lambda ids: privacy.rows(PromiseSuggestion.objects.filter(customer_id__in=ids)),
    erase=lambda ids: PromiseSuggestion.objects.filter(customer_id__in=ids).delete()[0],
    erasure="deleted",
    order=70,
)
privacy.register(
    Promise,
    export=lambda ids: privacy.rows(Promise.objects.filter(customer_id__in=ids)),
    erase=_erase_promises,
    erasure="deleted",
    # Before the cases they point at, after their events and alerts.
    order=75,
)
privacy.declare_not_personal(LeadTime, reason="the warning time of each kind of promise")
