"""Reads of journeys: a customer's stages and onboarding, the onboardings that
stall, time to value, the stage funnel with each stage's experience, and the
customer health score with its components."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, F, OuterRef, Q, Subquery

from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, customer_visibility
from cxm.cases.models import Case, SlaClock
from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Customer
from cxm.errors import NotFound, ValidationFailed
from cxm.feedback import stats as feedback_stats
from cxm.feedback.enums import SurveyKind
from cxm.feedback.models import Response
from cxm.interactions.enums import Direction
from cxm.interactions.models import Interaction
from cxm.journeys import health, survival
from cxm.journeys.enums import FUNNEL, Stage
from cxm.journeys.models import (
    HealthWeight,
    Milestone,
    MilestoneReached,
    Purchase,
    StageRule,
    StageVisit,
)
from cxm.promises.enums import PromiseStatus
from cxm.promises.models import Promise

DAY = 86_400.0
# Onboardings and journeys looked at: the sales of the last year.
ONBOARDING_DAYS = 365
PROMISE_DAYS = 180
SENTIMENT_DAYS = 90
CONTACT_DAYS = 30
SURVEY_DAYS = 365


def stuck_days() -> int:
    return int(getattr(settings, "CXM_ONBOARDING_STUCK_DAYS", 21))


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / DAY


# Onboarding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneState:
    milestone: Milestone
    due_at: datetime
    reached_at: datetime | None
    state: str  # reached | reached late | behind | stuck | to come | not recorded


@dataclass(frozen=True)
class Onboarding:
    purchase: Purchase
    milestones: list[MilestoneState]
    # "" (no milestones), on_track, behind, stuck, reached (first value)
    state: str
    behind: MilestoneState | None  # the earliest milestone past its due date
    value_target_days: float | None
    value_days: float | None


def onboarding_of(
    purchase: Purchase,
    milestones: Sequence[Milestone],
    reached: Mapping[int, datetime],
    as_of: datetime,
) -> Onboarding:
    """Where a purchase's onboarding stands at ``as_of``: each milestone reached (on
    time or late), behind (past due), stuck (behind, with nothing reached for
    ``CXM_ONBOARDING_STUCK_DAYS``) or to come."""
    rows: list[MilestoneState] = []
    progress = purchase.sold_at
    for milestone in milestones:
        at = reached.get(milestone.pk)
        if at is not None and at <= as_of:
            progress = max(progress, at)
    behind: MilestoneState | None = None
    value_target = value_days = None
    value_reached = any(
        m.marks_value and m.pk in reached and reached[m.pk] <= as_of for m in milestones
    )
    for milestone in milestones:
        due = purchase.sold_at + timedelta(days=milestone.target_days)
        at = reached.get(milestone.pk)
        if at is not None and at <= as_of:
            state = "reached" if at <= due else "reached late"
            if milestone.marks_value:
                value_target = float(milestone.target_days)
                value_days = _days(at, purchase.sold_at)
        elif value_reached:
            # Value came without this step being seen: nothing to chase.
            state = "not recorded"
        elif due < as_of:
            state = "stuck" if _days(as_of, progress) > stuck_days() else "behind"
        else:
            state = "to come"
        row = MilestoneState(milestone, due, at if at is not None and at <= as_of else None, state)
        if state in ("behind", "stuck") and behind is None:
            behind = row
        rows.append(row)
    if not milestones:
        overall = ""
    elif value_reached:
        overall = "reached"
    elif behind is not None:
        overall = behind.state
    else:
        overall = "on_track"
    return Onboarding(purchase, rows, overall, behind, value_target, value_days)


def _milestones_by_product(products: Iterable[str]) -> dict[str, list[Milestone]]:
    by_product: dict[str, list[Milestone]] = defaultdict(list)
    for milestone in Milestone.objects.filter(product__in=set(products)).order_by(
        "product", "position", "pk"
    ):
        by_product[milestone.product].append(milestone)
    return by_product


def _reached(purchase_ids: Iterable[int]) -> dict[int, dict[int, datetime]]:
    reached: dict[int, dict[int, datetime]] = defaultdict(dict)
    for purchase_id, milestone_id, at in MilestoneReached.objects.filter(
        purchase_id__in=list(purchase_ids)
    ).values_list("purchase_id", "milestone_id", "reached_at"):
        reached[purchase_id][milestone_id] = at
    return reached


def onboardings(purchases: Sequence[Purchase], as_of: datetime) -> list[Onboarding]:
    milestones = _milestones_by_product(p.product for p in purchases)
    reached = _reached(p.pk for p in purchases)
    return [
        onboarding_of(p, milestones.get(p.product, []), reached.get(p.pk, {}), as_of)
        for p in purchases
    ]


@dataclass(frozen=True)
class Journey:
    visits: list[StageVisit]
    current: StageVisit | None
    onboardings: list[Onboarding]


def customer_journey(*, customer: Customer, group: Sequence[int], now: datetime) -> Journey:
    """A customer's stages, oldest first, and the onboarding of what they bought.

    ``customer``: found through ``customers.selectors.customer_get`` by the caller
    (who may see it); ``group``: its rows (``customer_group_ids``), root first.
    """
    visits = list(
        StageVisit.objects.filter(customer_id__in=group)
        .select_related("rule")
        .order_by("entered_at", "pk")
    )
    current = next((v for v in visits if v.left_at is None and v.customer_id == customer.pk), None)
    purchases = list(Purchase.objects.filter(customer_id__in=group).order_by("-sold_at", "-pk"))
    return Journey(visits, current, onboardings(purchases, now))


@dataclass(frozen=True)
class StalledOnboarding:
    onboarding: Onboarding
    customer: Customer
    milestone: MilestoneState  # the earliest one past due
    late_days: float


def onboardings_stalled(
    *, actor: Actor, now: datetime, limit: int = 200
) -> list[StalledOnboarding]:
    """Onboardings behind or stuck (sales of the last year, not ended), the most
    overdue first: for the gaps page, beside the promises."""
    actor_require(actor, Permission.PROMISE_VIEW)
    products = set(Milestone.objects.values_list("product", flat=True))
    purchases = list(
        Purchase.objects.filter(customer_visibility(actor, prefix="customer__"))
        .filter(
            product__in=products,
            sold_at__gte=now - timedelta(days=ONBOARDING_DAYS),
            ended_at__isnull=True,
            customer__merged_into__isnull=True,
        )
        .select_related("customer")
    )
    stalled = []
    for onboarding in onboardings(purchases, now):
        if onboarding.behind is not None and onboarding.state in ("behind", "stuck"):
            stalled.append(
                StalledOnboarding(
                    onboarding,
                    onboarding.purchase.customer,
                    onboarding.behind,
                    _days(now, onboarding.behind.due_at),
                )
            )
    stalled.sort(key=lambda s: (s.milestone.due_at, s.onboarding.purchase.pk))
    return stalled[:limit]


@dataclass(frozen=True)
class ValueGroup:
    name: str
    figures: survival.TimeToValue
    target_days: float | None  # the value milestone's target (the median, over products)


TTV_GROUPINGS = ("kind", "product", "team")


def time_to_value_report(
    *, actor: Actor, since: datetime, until: datetime, now: datetime, by: str = "kind"
) -> list[ValueGroup]:
    """Time to first value of the sales in ``[since, until)``, by customer kind,
    product or team, counting those still waiting (Kaplan-Meier)."""
    actor_require(actor, Permission.SERVICE_REPORT_VIEW)
    if by not in TTV_GROUPINGS:
        raise ValidationFailed(f"by must be one of {', '.join(TTV_GROUPINGS)}", code="bad_grouping")
    value_milestones = {m.product: m for m in Milestone.objects.filter(marks_value=True)}
    purchases = list(
        Purchase.objects.filter(customer_visibility(actor, prefix="customer__"))
        .filter(sold_at__gte=since, sold_at__lt=until, product__in=list(value_milestones))
        .select_related("customer", "team")
    )
    reached = {
        purchase_id: at
        for purchase_id, at in MilestoneReached.objects.filter(
            purchase__in=[p.pk for p in purchases], milestone__marks_value=True
        ).values_list("purchase_id", "reached_at")
    }
    done: dict[str, list[float]] = defaultdict(list)
    waiting: dict[str, list[float]] = defaultdict(list)
    targets: dict[str, list[float]] = defaultdict(list)
    for purchase in purchases:
        name = {
            "kind": purchase.customer.get_kind_display(),
            "product": purchase.product,
            "team": purchase.team.name if purchase.team else "(no team)",
        }[by]
        targets[name].append(float(value_milestones[purchase.product].target_days))
        at = reached.get(purchase.pk)
        if at is not None and at <= now:
            done[name].append(max(_days(at, purchase.sold_at), 0.0))
        else:
            end = min(now, purchase.ended_at or now)
            waiting[name].append(max(_days(end, purchase.sold_at), 0.0))
    groups = []
    for name in sorted(set(done) | set(waiting)):
        target_list = sorted(targets[name])
        groups.append(
            ValueGroup(
                name,
                survival.time_to_value(done[name], waiting[name]),
                target_list[len(target_list) // 2] if target_list else None,
            )
        )
    return groups


# The stage funnel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StageRow:
    stage: str
    label: str
    entered: int  # visits begun in the period
    current: int  # customers in the stage now
    time_in_stage: survival.TimeToValue  # days, those still in it counted as waiting
    next_stages: list[tuple[str, int]]  # where the visits begun in the period went next
    churned_next: int
    stalled: int  # in the stage now for longer than the 90th percentile of those who left it
    sentiment: feedback_stats.Interval  # mean of the customers' messages in the stage
    nps: feedback_stats.NpsInterval | None
    csat: feedback_stats.Interval | None
    contacts_per_customer_month: float | None


@dataclass(frozen=True)
class JourneyOutcome:
    """A journey judged whole: who left, by what happened earlier on the way."""

    label: str
    with_it: feedback_stats.Interval  # churned, in %
    without_it: feedback_stats.Interval
    difference: feedback_stats.Difference


@dataclass(frozen=True)
class JourneyReport:
    since: datetime
    until: datetime
    stages: list[StageRow]
    outcomes: list[JourneyOutcome] = field(default_factory=list)


def _stage_at(customer_field: str, moment_field: str) -> Subquery:
    return Subquery(
        StageVisit.objects.filter(
            customer_id=OuterRef(customer_field), entered_at__lte=OuterRef(moment_field)
        )
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=OuterRef(moment_field)))
        .order_by("-entered_at")
        .values("stage")[:1]
    )


def _sample_sd(row: Mapping[str, Any]) -> float:
    n, mean, squares = row["n"], row["mean"], row["squares"]
    if n < 2:
        return 0.0
    return math.sqrt(max(squares - mean * mean, 0.0) * n / (n - 1))


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    position = share * (len(values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def journey_report(
    *, actor: Actor, since: datetime, until: datetime, now: datetime
) -> JourneyReport:
    """The stage funnel of ``[since, until)`` with each stage's experience: how long
    customers stay, where they go, who stalls, how they feel and what they say.

    A handful of queries, whatever the number of customers: visits, the
    sentiment and contacts by stage, the survey answers by stage.
    """
    actor_require(actor, Permission.SERVICE_REPORT_VIEW)
    if until <= since:
        raise ValidationFailed("the period ends before it starts", code="bad_period")
    visible = customer_visibility(actor, prefix="customer__")
    visits = list(
        StageVisit.objects.filter(visible)
        .filter(Q(left_at__isnull=True) | Q(left_at__gte=since), entered_at__lt=until)
        .values_list("pk", "customer_id", "stage", "entered_at", "left_at")
        .order_by("customer_id", "entered_at", "pk")
    )
    # The stage each visit led to (the customer's next visit).
    led_to: dict[int, str] = {}
    for first, second in itertools.pairwise(visits):
        if first[1] == second[1]:
            led_to[first[0]] = second[2]
    durations_done: dict[str, list[float]] = defaultdict(list)
    durations_open: dict[str, list[float]] = defaultdict(list)
    entered: Counter[str] = Counter()
    current: Counter[str] = Counter()
    went: dict[str, Counter[str]] = defaultdict(Counter)
    customer_days: dict[str, float] = defaultdict(float)
    for pk, _customer, stage, entered_at, left_at in visits:
        end = left_at or now
        customer_days[stage] += max(_days(min(end, until), max(entered_at, since)), 0.0)
        if left_at is None:
            current[stage] += 1
            durations_open[stage].append(max(_days(now, entered_at), 0.0))
        else:
            durations_done[stage].append(max(_days(left_at, entered_at), 0.0))
        if since <= entered_at < until:
            entered[stage] += 1
            if pk in led_to:
                went[stage][led_to[pk]] += 1
    sentiment = {
        row["stage"]: row
        for row in Interaction.objects.filter(visible)
        .filter(
            direction=Direction.INBOUND,
            occurred_at__gte=since,
            occurred_at__lt=until,
            sentiment_score__isnull=False,
        )
        .annotate(stage=_stage_at("customer_id", "occurred_at"))
        .values("stage")
        .annotate(
            n=Count("pk"),
            mean=Avg("sentiment_score"),
            # A mean of squares rather than StdDev: SQLite's sample deviation of a
            # single value fails instead of being undefined.
            squares=Avg(F("sentiment_score") * F("sentiment_score")),
        )
    }
    contacts = {
        row["stage"]: row["n"]
        for row in Interaction.objects.filter(visible)
        .filter(direction=Direction.INBOUND, occurred_at__gte=since, occurred_at__lt=until)
        .annotate(stage=_stage_at("customer_id", "occurred_at"))
        .values("stage")
        .annotate(n=Count("pk"))
    }
    answers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for stage, kind, score in (
        Response.objects.filter(visible)
        .filter(created_at__gte=since, created_at__lt=until)
        .annotate(stage=_stage_at("customer_id", "created_at"))
        .values_list("stage", "survey__kind", "score")
    ):
        answers[(stage or "", kind)].append(score)
    rows = []
    for stage in [*FUNNEL, Stage.CHURNED, Stage.WON_BACK]:
        done = durations_done.get(stage, [])
        found = sentiment.get(stage)
        nps_scores = answers.get((stage, SurveyKind.NPS), [])
        csat_scores = answers.get((stage, SurveyKind.CSAT), [])
        threshold = _percentile(done, 0.9)
        rows.append(
            StageRow(
                stage=stage,
                label=Stage(stage).label,
                entered=entered[stage],
                current=current[stage],
                time_in_stage=survival.time_to_value(done, durations_open.get(stage, [])),
                next_stages=went[stage].most_common(),
                churned_next=went[stage][Stage.CHURNED],
                stalled=sum(
                    1
                    for d in durations_open.get(stage, [])
                    if threshold is not None and d > threshold
                )
                if stage not in (Stage.STEADY, Stage.CHURNED)
                else 0,
                sentiment=feedback_stats.mean_interval_from_summary(
                    mean=found["mean"], sd=_sample_sd(found), n=found["n"]
                )
                if found
                else feedback_stats.mean_interval([]),
                nps=feedback_stats.nps_of(feedback_stats.nps_counts(nps_scores))
                if nps_scores
                else None,
                csat=feedback_stats.mean_interval([float(s) for s in csat_scores])
                if csat_scores
                else None,
                contacts_per_customer_month=(
                    contacts.get(stage, 0) / (customer_days[stage] / 30)
                    if customer_days[stage] >= 30
                    else None
                ),
            )
        )
    return JourneyReport(since, until, rows, _outcomes(actor, since, until))


def _outcomes(actor: Actor, since: datetime, until: datetime) -> list[JourneyOutcome]:
    """Of the customers who bought in the period, the share who later churned, with
    and without a broken promise on the way, and with onboarding late or on time."""
    visible = customer_visibility(actor, prefix="customer__")
    purchases = list(Purchase.objects.filter(visible).filter(sold_at__gte=since, sold_at__lt=until))
    buyers = {p.customer_id for p in purchases}
    if not buyers:
        return []
    churned = set(
        StageVisit.objects.filter(customer_id__in=buyers, stage=Stage.CHURNED).values_list(
            "customer_id", flat=True
        )
    )
    broken = set(
        Promise.objects.filter(customer_id__in=buyers, status=PromiseStatus.BROKEN).values_list(
            "customer_id", flat=True
        )
    )
    # Late: a milestone reached after its target, or not reached by it while the
    # customer still had the product (those who never got there count too).
    milestones = _milestones_by_product(p.product for p in purchases)
    reached = _reached(p.pk for p in purchases)
    late = set()
    for purchase in purchases:
        as_of = min(until, purchase.ended_at) if purchase.ended_at else until
        states = onboarding_of(
            purchase, milestones.get(purchase.product, []), reached.get(purchase.pk, {}), as_of
        ).milestones
        if any(m.state in ("reached late", "behind", "stuck") for m in states):
            late.add(purchase.customer_id)
    outcomes = []
    for label, marked in (
        ("a promise broken", broken),
        ("an onboarding milestone late", late),
    ):
        with_it = buyers & marked
        without = buyers - marked
        a = len(with_it & churned)
        b = len(without & churned)
        outcomes.append(
            JourneyOutcome(
                label,
                feedback_stats.proportion_interval(a, len(with_it)),
                feedback_stats.proportion_interval(b, len(without)),
                feedback_stats.proportion_difference(a, len(with_it), b, len(without)),
            )
        )
    return outcomes


# Health ---------------------------------------------------------------------------------


def health_weights() -> dict[str, float]:
    weights = dict(health.DEFAULT_WEIGHTS)
    weights.update(dict(HealthWeight.objects.values_list("component", "weight")))
    return weights


def _owners(customer_ids: Sequence[int]) -> dict[int, int]:
    owner = {pk: pk for pk in customer_ids}
    owner.update(customer_selectors.customers_absorbed(root_ids=customer_ids))
    return owner


def health_facts(
    *, customer_ids: Sequence[int], as_of: datetime, owners: Mapping[int, int] | None = None
) -> dict[int, health.Facts]:
    """What the health score looks at for each customer (with the rows merged into
    them), using only what was known at ``as_of``: the same facts for the customer
    page now and for a backtest in the past. A fixed number of queries.

    ``owners``: every customer row mapped to the customer it belongs to, when the
    caller knows it already.
    """
    owner = dict(owners) if owners is not None else _owners(customer_ids)
    ids = list(owner)
    facts: dict[int, dict[str, Any]] = {pk: {} for pk in customer_ids}

    window = as_of - timedelta(days=PROMISE_DAYS)
    for customer_id, _made_at, at_risk_at, due_at, kept_at, broken_at, renegotiated_at in (
        Promise.objects.filter(customer_id__in=ids, made_at__lte=as_of)
        .filter(Q(made_at__gte=window) | Q(due_at__gte=window))
        .values_list(
            "customer_id",
            "made_at",
            "at_risk_at",
            "due_at",
            "kept_at",
            "broken_at",
            "renegotiated_at",
        )
    ):
        f = facts[owner[customer_id]]
        f["promises_made"] = f.get("promises_made", 0) + 1
        if broken_at is not None and window <= broken_at <= as_of:
            f["promises_broken"] = f.get("promises_broken", 0) + 1
        settled = [t for t in (kept_at, broken_at, renegotiated_at) if t is not None and t <= as_of]
        if not settled and at_risk_at <= as_of < due_at:
            f["promises_at_risk"] = f.get("promises_at_risk", 0) + 1

    purchases = list(
        Purchase.objects.filter(
            customer_id__in=ids,
            sold_at__lte=as_of,
            sold_at__gte=as_of - timedelta(days=ONBOARDING_DAYS),
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))
        .order_by("sold_at", "pk")
    )
    for onboarding in onboardings(purchases, as_of):
        if not onboarding.state:
            continue
        # The latest purchase with milestones speaks for the customer.
        f = facts[owner[onboarding.purchase.customer_id]]
        f["onboarding"] = onboarding.state
        f["behind_milestone"] = onboarding.behind.milestone.name if onboarding.behind else ""
        f["value_target_days"] = onboarding.value_target_days
        f["value_days"] = onboarding.value_days

    recent_from = as_of - timedelta(days=SENTIMENT_DAYS)
    before_from = recent_from - timedelta(days=SENTIMENT_DAYS)
    for customer_id, recent_n, recent_mean, previous_mean in (
        Interaction.objects.filter(
            customer_id__in=ids,
            direction=Direction.INBOUND,
            occurred_at__gte=before_from,
            occurred_at__lt=as_of,
            sentiment_score__isnull=False,
        )
        .values("customer_id")
        .annotate(
            recent_n=Count("pk", filter=Q(occurred_at__gte=recent_from)),
            recent=Avg("sentiment_score", filter=Q(occurred_at__gte=recent_from)),
            previous=Avg("sentiment_score", filter=Q(occurred_at__lt=recent_from)),
        )
        .values_list("customer_id", "recent_n", "recent", "previous")
    ):
        f = facts[owner[customer_id]]
        # Rows merged into one customer: weigh their means by their counts.
        n = f.get("sentiment_messages", 0)
        if recent_mean is not None:
            f["sentiment_recent"] = (
                (f.get("sentiment_recent") or 0.0) * n + recent_mean * recent_n
            ) / (n + recent_n)
            f["sentiment_messages"] = n + recent_n
        if previous_mean is not None and f.get("sentiment_previous") is None:
            f["sentiment_previous"] = previous_mean

    for customer_id, n in (
        Interaction.objects.filter(
            customer_id__in=ids,
            direction=Direction.INBOUND,
            automated=False,  # the customer's contacts, not a system's records
            occurred_at__gte=as_of - timedelta(days=CONTACT_DAYS),
            occurred_at__lt=as_of,
        )
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    ):
        f = facts[owner[customer_id]]
        f["contacts_30d"] = f.get("contacts_30d", 0) + n

    open_cases = list(
        Case.objects.filter(customer_id__in=ids, opened_at__lte=as_of, merged_into__isnull=True)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=as_of))
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=as_of))
        .values_list("pk", "customer_id")
    )
    breached = set(
        SlaClock.objects.filter(
            case_id__in=[pk for pk, _ in open_cases], breached_at__lte=as_of
        ).values_list("case_id", flat=True)
    )
    for pk, customer_id in open_cases:
        f = facts[owner[customer_id]]
        f["open_cases"] = f.get("open_cases", 0) + 1
        if pk in breached:
            f["breached_cases"] = f.get("breached_cases", 0) + 1

    latest: dict[int, dict[str, tuple[datetime, int]]] = defaultdict(dict)
    for customer_id, kind, score, at in Response.objects.filter(
        customer_id__in=ids,
        created_at__lte=as_of,
        created_at__gte=as_of - timedelta(days=SURVEY_DAYS),
    ).values_list("customer_id", "survey__kind", "score", "created_at"):
        mine = latest[owner[customer_id]]
        if kind not in mine or mine[kind][0] < at:
            mine[kind] = (at, score)
    for customer_id, answers in latest.items():
        facts[customer_id]["surveys"] = {kind: score for kind, (_, score) in answers.items()}

    return {pk: health.Facts(**values) for pk, values in facts.items()}


def customer_health(*, customer: Customer, group: Sequence[int], now: datetime) -> health.Health:
    """The health score of a customer the caller found visible (``customer_get``),
    over its rows ``group``."""
    if customer.merged_into_id is not None:
        raise NotFound(f"customer {customer.pk} was merged into {customer.merged_into_id}")
    owners = dict.fromkeys(group, customer.pk)
    facts = health_facts(customer_ids=[customer.pk], as_of=now, owners=owners)[customer.pk]
    return health.score(facts, health_weights())


# Settings ---------------------------------------------------------------------------------


def milestone_list(*, actor: Actor) -> list[Milestone]:
    actor_require(actor, Permission.PROMISE_VIEW)
    return list(Milestone.objects.order_by("product", "position", "pk"))


def stage_rule_list(*, actor: Actor) -> list[StageRule]:
    actor_require(actor, Permission.PROMISE_VIEW)
    return list(StageRule.objects.order_by("position", "pk"))


def health_weight_list(*, actor: Actor) -> dict[str, float]:
    actor_require(actor, Permission.PROMISE_VIEW)
    return health_weights()
