"""Reads of the cases app: the queue, a case with its clocks and timeline, the fairness audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import BooleanField, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxm.access.enums import Role
from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, customer_visibility
from cxm.cases import fairness
from cxm.cases.enums import QUEUE_STATUSES, SlaMetric
from cxm.cases.models import (
    BusinessCalendar,
    Case,
    CaseEvent,
    Reply,
    SlaClock,
    SlaPolicy,
    Standing,
)
from cxm.customers import selectors as customer_selectors
from cxm.errors import NotFound, ValidationFailed
from cxm.interactions.models import Interaction

QUEUE_PAGE = 50
QUEUE_MAX_PAGE = 200


def visible_cases(actor: Actor) -> QuerySet[Case]:
    actor_require(actor, Permission.CASE_VIEW)
    return Case.objects.filter(customer_visibility(actor, prefix="customer__"))


def queue_order() -> list[Any]:
    """The one rule for everyone: time left before breach, then priority, then time waited."""
    return [
        F("due_at").asc(nulls_last=True),
        "priority",
        F("waiting_since").asc(nulls_last=True),
        "id",
    ]


def _waiting_for_us() -> RawSQL:
    """The queue's statuses, written into the SQL rather than bound as parameters.

    SQLite uses the partial index ``case_queue`` only for a WHERE that repeats the
    index's condition, values and all; with the statuses bound it reads every case
    instead (25 ms at 200,000 cases, and growing with them; bench/queue_pages.py).
    """
    quote = connection.ops.quote_name
    statuses = ", ".join(f"'{status}'" for status in QUEUE_STATUSES)  # constants, not input
    return RawSQL(  # noqa: S611
        f"{quote(Case._meta.db_table)}.{quote('status')} IN ({statuses})",
        (),
        output_field=BooleanField(),
    )


@dataclass(frozen=True)
class QueuePage:
    cases: list[Case]
    total: int
    offset: int
    limit: int


def case_queue(
    *,
    actor: Actor,
    channel: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    offset: int = 0,
    limit: int = QUEUE_PAGE,
) -> QueuePage:
    """The cases waiting for the company, in queue order, one page at a time.

    Each case carries ``at_risk_at``: the earliest moment one of its running
    clocks is (or was) at risk, for the queue to highlight; it never orders it.
    Two queries: the count and the page (customer and assignee joined).
    """
    if not 0 <= offset <= 10_000_000:
        raise ValidationFailed("offset must be between 0 and 10,000,000", code="bad_offset")
    if not 1 <= limit <= QUEUE_MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {QUEUE_MAX_PAGE}", code="bad_limit")
    cases = visible_cases(actor).filter(_waiting_for_us())
    if channel:
        cases = cases.filter(channel=channel)
    if unassigned:
        cases = cases.filter(assignee__isnull=True)
    elif assignee_id is not None:
        cases = cases.filter(assignee_id=assignee_id)
    at_risk = (
        SlaClock.objects.filter(
            case=OuterRef("pk"), stopped_at__isnull=True, paused_at__isnull=True
        )
        .annotate(risk=Coalesce("at_risk_flagged_at", "at_risk_at"))
        .filter(risk__isnull=False)
        .order_by("risk")
        .values("risk")[:1]
    )
    page: list[Case] = list(
        cases.select_related("customer", "assignee")
        .annotate(at_risk_at=Subquery(at_risk))
        .order_by(*queue_order())[offset : offset + limit]
    )
    return QueuePage(page, cases.count(), offset, limit)


def case_get(*, actor: Actor, case_id: int) -> Case:
    """One case the actor may see (NotFound otherwise), for a form to act on."""
    if not 0 < case_id < 2**62:
        raise NotFound(f"no case {case_id}")
    case = visible_cases(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def case_assignees(*, actor: Actor, case: Case) -> list[User]:
    """The active users who may be given the case: those who work its team, and
    administrators (``services.case_assign`` accepts the same)."""
    actor_require(actor, Permission.CASE_VIEW)
    members = User.objects.filter(
        is_active=True, membership__role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR]
    )
    if case.team_id is not None:
        members = members.filter(
            Q(membership__role=Role.ADMINISTRATOR) | Q(membership__teams__id=case.team_id)
        )
    return list(members.distinct().order_by("username"))


@dataclass(frozen=True)
class ClockView:
    metric: str
    label: str
    target_seconds: float
    started_at: datetime
    due_at: datetime | None
    state: str  # running, at risk, breached, paused, met, missed, stopped
    left_seconds: float | None  # wall-clock time left before the breach (running clocks)
    elapsed_seconds: float | None


def _clock_view(clock: SlaClock, now: datetime) -> ClockView:
    if clock.stopped_at is not None:
        if clock.elapsed_seconds is None:
            state = "stopped"
        else:
            state = "met" if clock.elapsed_seconds <= clock.target_seconds else "missed"
    elif clock.paused_at is not None:
        state = "paused"
    elif clock.breached_at is not None or (clock.due_at is not None and clock.due_at <= now):
        state = "breached"
    elif clock.at_risk_flagged_at is not None or (
        clock.at_risk_at is not None and clock.at_risk_at <= now
    ):
        state = "at risk"
    else:
        state = "running"
    left = (
        (clock.due_at - now).total_seconds()
        if clock.due_at is not None and clock.stopped_at is None
        else None
    )
    return ClockView(
        clock.metric,
        SlaMetric(clock.metric).label,
        clock.target_seconds,
        clock.started_at,
        clock.due_at,
        state,
        left,
        clock.elapsed_seconds,
    )


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    clocks: list[ClockView]
    events: list[CaseEvent]
    interactions: list[Interaction]
    replies: dict[int, Reply]  # by interaction id
    standing: Standing | None


def case_detail(*, actor: Actor, case_id: int, now: datetime | None = None) -> CaseDetail:
    now = now or timezone.now()
    if not 0 < case_id < 2**62:
        raise NotFound(f"no case {case_id}")
    case = (
        visible_cases(actor)
        .select_related("customer", "assignee", "policy", "merged_into", "team")
        .prefetch_related(
            Prefetch("clocks", queryset=SlaClock.objects.order_by("started_at", "id")),
            Prefetch("events", queryset=CaseEvent.objects.order_by("at", "id")),
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound(f"no case {case_id}")
    interactions = list(
        Interaction.objects.filter(case_link__case=case).order_by("occurred_at", "id")
    )
    replies = {r.interaction_id: r for r in Reply.objects.filter(case=case)}
    return CaseDetail(
        case=case,
        clocks=[_clock_view(c, now) for c in case.clocks.all()],
        events=list(case.events.all()),
        interactions=interactions,
        replies=replies,
        standing=Standing.objects.filter(customer_id=case.customer_id).first(),
    )


def customer_cases(
    *, actor: Actor, customer_id: int, limit: int = 50, group: Sequence[int] | None = None
) -> list[Case]:
    """The cases of one person: of their profile and of every row merged into it
    (``group``, when the caller has it), where cases opened before the merge stay."""
    if group is None:
        group = customer_selectors.customer_group_ids(customer_id=customer_id)
    return list(
        visible_cases(actor).filter(customer_id__in=group).order_by("-opened_at", "-id")[:limit]
    )


def customer_standing(*, actor: Actor, customer_id: int) -> Standing | None:
    actor_require(actor, Permission.CASE_VIEW)
    return Standing.objects.filter(customer_id=customer_id).first()


def sla_policies(*, actor: Actor) -> list[SlaPolicy]:
    actor_require(actor, Permission.CASE_VIEW)
    return list(SlaPolicy.objects.order_by("channel", "priority"))


def calendars(*, actor: Actor) -> list[BusinessCalendar]:
    actor_require(actor, Permission.CASE_VIEW)
    return list(BusinessCalendar.objects.select_related("team").order_by("team__name"))


# The fairness audit ---------------------------------------------------------------------

INFLUENCE_ORDER = tuple(name for name, _ in fairness.INFLUENCE_TIERS)
VALUE_ORDER = ("unknown", *(name for name, _ in fairness.VALUE_TIERS))
HIGH_INFLUENCE = INFLUENCE_ORDER[-2:]
HIGH_VALUE = VALUE_ORDER[-1:]


@dataclass(frozen=True)
class FairnessAudit:
    since: datetime
    until: datetime
    audits: dict[str, dict[str, fairness.Audit]]  # by grouping, then by measure


def fairness_audit(
    *, actor: Actor, days: int = 90, channel: str | None = None, now: datetime | None = None
) -> FairnessAudit:
    """First response and resolution by influence tier and by account-value tier.

    Cases opened in the period; first responses and resolutions in business
    seconds, as their clocks counted them. One query.
    """
    actor_require(actor, Permission.SERVICE_REPORT_VIEW)
    if not 1 <= days <= 3660:
        raise ValidationFailed("days must be between 1 and 3660", code="bad_days")
    now = now or timezone.now()
    since = now - timedelta(days=days)
    cases = visible_cases(actor).filter(opened_at__gte=since, opened_at__lt=now)
    if channel:
        cases = cases.filter(channel=channel)
    rows = list(
        cases.values_list(
            "influence_tier", "value_tier", "first_response_seconds", "resolution_seconds"
        )
    )
    audits: dict[str, dict[str, fairness.Audit]] = {}
    for grouping, column, order, high in (
        ("influence", 0, INFLUENCE_ORDER, HIGH_INFLUENCE),
        ("account_value", 1, VALUE_ORDER, HIGH_VALUE),
    ):
        audits[grouping] = {}
        for measure, value_column in (("first_response", 2), ("resolution", 3)):
            times: dict[str, list[float]] = {tier: [] for tier in order}
            for row in rows:
                seconds = row[value_column]
                if seconds is not None:
                    times.setdefault(str(row[column]), []).append(float(seconds))
            audits[grouping][measure] = fairness.audit(times, order=list(times), high=high)
    return FairnessAudit(since, now, audits)
