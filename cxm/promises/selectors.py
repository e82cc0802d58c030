"""Reads of the promise ledger: lists, one promise, the gaps, alerts, suggestions
and the keeping rates. Each takes the acting party and returns only what the
actor may see (the promises of the customers it may see)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, customer_visibility
from cxm.customers import selectors as customer_selectors
from cxm.errors import NotFound, ValidationFailed
from cxm.promises import keeping
from cxm.promises.enums import PENDING_STATUSES, PromiseKind, PromiseStatus, SuggestionStatus
from cxm.promises.models import LeadTime, Promise, PromiseAlert, PromiseEvent, PromiseSuggestion
from cxm.promises.services import DEFAULT_LEAD_MINUTES

PAGE = 50
MAX_PAGE = 200
# Broken promises stay on the gaps page this long after their due date, unless
# what was promised has come since.
GAP_DAYS = 30
GROUPINGS = ("team", "person", "kind")


def visible_promises(actor: Actor) -> QuerySet[Promise]:
    actor_require(actor, Permission.PROMISE_VIEW)
    return Promise.objects.filter(customer_visibility(actor, prefix="customer__"))


def _check_page(offset: int, limit: int) -> None:
    if not 0 <= offset <= 10_000_000:
        raise ValidationFailed("offset must be between 0 and 10,000,000", code="bad_offset")
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}", code="bad_limit")


@dataclass(frozen=True)
class PromisePage:
    items: list[Promise]
    total: int
    offset: int
    limit: int


def promise_list(
    *,
    actor: Actor,
    status: str | None = None,
    kind: str | None = None,
    team_id: int | None = None,
    made_by: str | None = None,
    customer_id: int | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> PromisePage:
    """Promises by due date, soonest first; two queries."""
    _check_page(offset, limit)
    promises = visible_promises(actor)
    if status:
        if status not in PromiseStatus.values:
            raise ValidationFailed(f"there is no status '{status[:40]}'", code="bad_status")
        promises = promises.filter(status=status)
    if kind:
        if kind not in PromiseKind.values:
            raise ValidationFailed(f"there is no kind of promise '{kind[:40]}'", code="bad_kind")
        promises = promises.filter(kind=kind)
    if team_id is not None:
        promises = promises.filter(team_id=team_id)
    if made_by:
        if "\x00" in made_by:
            raise ValidationFailed("made_by contains a NUL character", code="bad_field")
        promises = promises.filter(made_by_label=made_by)
    if customer_id is not None:
        if not 0 < customer_id < 2**62:
            raise NotFound(f"there is no customer {customer_id}")
        group = customer_selectors.customer_group_ids(customer_id=customer_id)
        promises = promises.filter(customer_id__in=group)
    items = list(
        promises.select_related("customer", "team", "owner").order_by("due_at", "pk")[
            offset : offset + limit
        ]
    )
    return PromisePage(items, promises.count(), offset, limit)


def promise_get(*, actor: Actor, promise_id: int) -> Promise:
    """One promise with its timeline, alerts and what it replaced or became."""
    if not 0 < promise_id < 2**62:
        raise NotFound(f"there is no promise {promise_id}")
    promise = (
        visible_promises(actor)
        .filter(pk=promise_id)
        .select_related(
            "customer", "team", "owner", "made_by", "replaced_by", "replaces", "case", "source"
        )
        .prefetch_related(
            Prefetch("events", queryset=PromiseEvent.objects.order_by("at", "pk")),
            Prefetch("alerts", queryset=PromiseAlert.objects.select_related("owner")),
        )
        .first()
    )
    if promise is None:
        raise NotFound(f"there is no promise {promise_id}")
    return promise


def customer_promises(
    *, actor: Actor, customer_id: int, limit: int = 100, group: Sequence[int] | None = None
) -> list[Promise]:
    """A customer's promises (their merged rows' too): pending first, by due date."""
    if group is None:
        group = customer_selectors.customer_group_ids(customer_id=customer_id)
    promises = list(
        visible_promises(actor)
        .filter(customer_id__in=group)
        .select_related("team")
        .order_by("-due_at", "-pk")[:limit]
    )
    promises.sort(key=lambda p: (p.status not in PENDING_STATUSES, p.due_at))
    return promises


@dataclass(frozen=True)
class Gaps:
    at_risk: list[Promise]  # pending, at risk, by due date
    broken: list[Promise]  # broken in the last GAP_DAYS, not delivered since
    open_count: int  # pending and not yet at risk


def promise_gaps(*, actor: Actor, now: datetime, limit: int = 200) -> Gaps:
    """What is slipping: at-risk promises, then recently broken ones, by due date."""
    promises = visible_promises(actor).select_related("customer", "team", "owner")
    at_risk = list(
        promises.filter(
            Q(status=PromiseStatus.AT_RISK) | Q(status=PromiseStatus.OPEN, at_risk_at__lte=now)
        ).order_by("due_at", "pk")[:limit]
    )
    broken = list(
        promises.filter(
            status=PromiseStatus.BROKEN,
            due_at__gte=now - timedelta(days=GAP_DAYS),
            delivered_late_at__isnull=True,
        ).order_by("due_at", "pk")[:limit]
    )
    open_count = (
        visible_promises(actor).filter(status=PromiseStatus.OPEN, at_risk_at__gt=now).count()
    )
    return Gaps(at_risk, broken, open_count)


def alerts_for(*, actor: Actor, limit: int = 100) -> list[PromiseAlert]:
    """The alerts the actor has not acknowledged: those raised to them, and those
    raised to nobody in particular on customers they may see."""
    actor_require(actor, Permission.PROMISE_VIEW)
    mine = Q(owner__isnull=True)
    if getattr(actor, "pk", None) is not None and getattr(actor, "is_authenticated", False):
        mine |= Q(owner_id=actor.pk)
    return list(
        PromiseAlert.objects.filter(customer_visibility(actor, prefix="promise__customer__"))
        .filter(mine, acknowledged_at__isnull=True)
        .select_related("promise", "promise__customer", "owner")
        .order_by("-raised_at", "-pk")[:limit]
    )


def suggestions_pending(
    *,
    actor: Actor,
    customer_id: int | None = None,
    limit: int = 100,
    group: Sequence[int] | None = None,
) -> list[PromiseSuggestion]:
    actor_require(actor, Permission.PROMISE_VIEW)
    suggestions = PromiseSuggestion.objects.filter(
        customer_visibility(actor, prefix="customer__"), status=SuggestionStatus.PENDING
    )
    if customer_id is not None:
        if group is None:
            group = customer_selectors.customer_group_ids(customer_id=customer_id)
        suggestions = suggestions.filter(customer_id__in=group)
    return list(
        suggestions.select_related("customer", "interaction").order_by("-created_at", "-pk")[:limit]
    )


def suggestion_get(*, actor: Actor, suggestion_id: int) -> PromiseSuggestion:
    actor_require(actor, Permission.PROMISE_VIEW)
    if not 0 < suggestion_id < 2**62:
        raise NotFound(f"there is no suggestion {suggestion_id}")
    suggestion = (
        PromiseSuggestion.objects.filter(customer_visibility(actor, prefix="customer__"))
        .filter(pk=suggestion_id)
        .select_related("customer", "interaction")
        .first()
    )
    if suggestion is None:
        raise NotFound(f"there is no suggestion {suggestion_id}")
    return suggestion


@dataclass(frozen=True)
class LeadTimeRow:
    kind: str
    label: str
    minutes: int
    default: bool


def lead_time_list(*, actor: Actor) -> list[LeadTimeRow]:
    actor_require(actor, Permission.PROMISE_VIEW)
    set_ = dict(LeadTime.objects.values_list("kind", "minutes"))
    return [
        LeadTimeRow(
            kind.value,
            kind.label,
            set_.get(kind.value, DEFAULT_LEAD_MINUTES[kind.value]),
            kind.value not in set_,
        )
        for kind in PromiseKind
    ]


# Keeping rates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeepingReport:
    since: datetime
    until: datetime
    by: str
    overall: keeping.GroupRate | None
    groups: list[keeping.GroupRate]
    over_promising: list[keeping.OverPromise]


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86_400


def keeping_report(
    *, actor: Actor, since: datetime, until: datetime, by: str = "person"
) -> KeepingReport:
    """Keeping rates of the promises due in ``[since, until)``, by team, person or
    kind, each against the rest; and who promises sooner than the company delivers.

    One query over the promises due in the period.
    """
    actor_require(actor, Permission.SERVICE_REPORT_VIEW)
    if by not in GROUPINGS:
        raise ValidationFailed(f"by must be one of {', '.join(GROUPINGS)}", code="bad_grouping")
    if until <= since:
        raise ValidationFailed("the period ends before it starts", code="bad_period")
    rows = (
        visible_promises(actor)
        .filter(due_at__gte=since, due_at__lt=until)
        .values_list(
            "status",
            "kind",
            "made_by_label",
            "team__name",
            "made_at",
            "due_at",
            "kept_at",
            "delivered_late_at",
        )
    )
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    promised: dict[tuple[str, str], list[float]] = defaultdict(list)
    promised_by_group: dict[str, list[float]] = defaultdict(list)
    delivered: dict[str, list[float]] = defaultdict(list)
    kept_by: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for status, kind, person, team, made_at, due_at, kept_at, late_at in rows:
        group = {"team": team or "(no team)", "person": person, "kind": kind}[by]
        count = counts[group]
        count["made"] += 1
        if status in PENDING_STATUSES:
            count["pending"] += 1
        else:
            count[status] += 1
            pair = kept_by[(person, kind)]
            pair[1] += 1
            pair[0] += status == PromiseStatus.KEPT
        if late_at is not None:
            count["delivered_late"] += 1
        days = _days(due_at, made_at)
        promised[(person, kind)].append(days)
        promised_by_group[group].append(days)
        done = kept_at or late_at
        if done is not None:
            delivered[kind].append(_days(done, made_at))
    tallies = {
        name: keeping.Tally(
            made=c["made"],
            pending=c["pending"],
            kept=c[PromiseStatus.KEPT],
            broken=c[PromiseStatus.BROKEN],
            renegotiated=c[PromiseStatus.RENEGOTIATED],
            delivered_late=c["delivered_late"],
        )
        for name, c in counts.items()
    }
    delivered_by_group: dict[str, float] = {}
    if by == "kind":
        delivered_by_group = {
            kind: value
            for kind, values in delivered.items()
            if (value := keeping.median(values)) is not None
        }
    groups = keeping.rates(
        tallies,
        promised_days={
            name: value
            for name, values in promised_by_group.items()
            if (value := keeping.median(values)) is not None
        },
        delivered_days=delivered_by_group,
    )
    total = keeping.Tally()
    for tally in tallies.values():
        total = total + tally
    overall = keeping.rates({"all": total})[0] if tallies else None
    return KeepingReport(
        since=since,
        until=until,
        by=by,
        overall=overall,
        groups=groups,
        over_promising=keeping.over_promising(
            promised, delivered, {k: (v[0], v[1]) for k, v in kept_by.items()}
        ),
    )
