"""What the cases app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence

from cxm.access import privacy
from cxm.cases.models import (
    BusinessCalendar,
    Case,
    CaseEvent,
    CaseInteraction,
    Reply,
    RoundRobin,
    SlaClock,
    SlaPolicy,
    Standing,
)


def _erase_cases(ids: Sequence[int]) -> int:
    # A case's subject and timeline are about the person: the case goes, with its
    # links, clocks, events and replies (cascade). Merged cases point at their
    # survivor; detach them first so the delete order does not matter.
    cases = Case.objects.filter(customer_id__in=ids)
    Case.objects.filter(merged_into__in=cases).update(merged_into=None)
    Case.objects.filter(recontact_of__in=cases).update(recontact_of=None)
    Case.objects.filter(split_from__in=cases).update(split_from=None)
    deleted, _ = cases.delete()
    return deleted


def _erase_standing(ids: Sequence[int]) -> int:
    deleted, _ = Standing.objects.filter(customer_id__in=ids).delete()
    return deleted


def _by_case(model: type[CaseEvent] | type[SlaClock] | type[CaseInteraction] | type[Reply]) -> None:
    privacy.register(
        model,
        export=lambda ids: privacy.rows(model.objects.filter(case__customer_id__in=ids)),
        erase=lambda ids: model.objects.filter(case__customer_id__in=ids).delete()[0],
        erasure="deleted with the case",
        order=80,
    )


for _model in (CaseEvent, SlaClock, CaseInteraction, Reply):
    _by_case(_model)
privacy.register(
    Case,
    export=lambda ids: privacy.rows(Case.objects.filter(customer_id__in=ids)),
    erase=_erase_cases,
    erasure="deleted",
    order=90,
)
privacy.register(
    Standing,
    export=lambda ids: privacy.rows(Standing.objects.filter(customer_id__in=ids)),
    erase=_erase_standing,
    erasure="deleted",
    order=90,
)
privacy.declare_not_personal(SlaPolicy, reason="service-level targets per channel and priority")
privacy.declare_not_personal(BusinessCalendar, reason="a team's opening hours")
privacy.declare_not_personal(RoundRobin, reason="a team's assignment rotation")
