"""Cases: how interactions become cases, how their service-level clocks run, and
what agents do to them. Every change writes a timeline event (``CaseEvent``).

Interactions reach cases after enrichment (a case needs the topic and the
sentiment): ``interactions_route`` takes the enriched interactions that no case
has seen yet, oldest first, so that a history imported in bulk builds the same
cases, with the same clocks and breaches, as the live stream would have.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.access.models import Membership, Team
from cxm.access.permissions import Permission
from cxm.access.selectors import Actor, actor_require, customer_visibility
from cxm.cases import fairness, hours
from cxm.cases.enums import (
    OPEN_STATUSES,
    TRANSITIONS,
    CaseStatus,
    DeliveryStatus,
    EventKind,
    Severity,
    SlaMetric,
    Urgency,
)
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
from cxm.cases.priority import priority as issue_priority
from cxm.connectors.models import Source
from cxm.customers import selectors as customer_selectors
from cxm.customers.models import Customer
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.interactions import reactions
from cxm.interactions.enums import Channel, Direction
from cxm.interactions.models import Interaction

RECONTACT_DAYS = 7
CONSOLE_SOURCE = "cxm-console"
SOCIAL_KEYS = {
    "followers": ("followers", "followers_count", "follower_count"),
    "reach": ("reach", "audience", "impressions"),
    "reshares": ("reshares", "retweets", "shares", "reposts"),
}
VALUE_KEYS = ("account_value", "annual_value", "lifetime_value")


# Calendars and policies --------------------------------------------------------


class Calendars:
    """The calendars of the teams, read once per routing batch or sweep."""

    def __init__(self) -> None:
        self._by_team: dict[int | None, hours.Calendar] = {}
        self._default: hours.Calendar | None = None
        for team_id, definition in BusinessCalendar.objects.values_list("team_id", "definition"):
            calendar = hours.Calendar.from_dict(definition)
            if team_id is None:
                self._default = calendar
            else:
                self._by_team[team_id] = calendar

    def for_team(self, team_id: int | None) -> hours.Calendar:
        if team_id is not None and team_id in self._by_team:
            return self._by_team[team_id]
        return self._default or hours.Calendar.always_open()


def calendar_set(
    *, actor: Actor, team_id: int | None, definition: Mapping[str, Any]
) -> BusinessCalendar:
    """A team's business hours (or the company default with no team), validated."""
    actor_require(actor, Permission.SLA_MANAGE)
    if team_id is not None and not (
        0 < team_id < 2**62 and Team.objects.filter(pk=team_id).exists()
    ):
        raise NotFound(f"no team {team_id}")
    try:
        calendar = hours.Calendar.from_dict(definition)
    except hours.CalendarError as error:
        raise ValidationFailed(str(error), code="bad_calendar") from None
    row, _ = BusinessCalendar.objects.update_or_create(
        team_id=team_id, defaults={"definition": calendar.to_dict()}
    )
    return row


@dataclass(frozen=True)
class PolicyIn:
    channel: str
    priority: int
    first_response_minutes: int
    next_response_minutes: int
    resolution_minutes: int
    at_risk_share: float = 0.75


def sla_policy_set(*, actor: Actor, policy: PolicyIn) -> SlaPolicy:
    actor_require(actor, Permission.SLA_MANAGE)
    if policy.channel not in Channel.values:
        raise ValidationFailed(f"unknown channel '{policy.channel}'", code="bad_channel")
    if policy.priority not in (1, 2, 3, 4):
        raise ValidationFailed("priority must be 1 (urgent) to 4 (low)", code="bad_priority")
    for name in ("first_response_minutes", "next_response_minutes", "resolution_minutes"):
        value = getattr(policy, name)
        if not 1 <= value <= 525_600:
            raise ValidationFailed(
                f"{name.replace('_', ' ')} must be between 1 minute and a year", code="bad_target"
            )
    if not 0 < policy.at_risk_share < 1:
        raise ValidationFailed(
            "at_risk_share must be between 0 and 1 (e.g. 0.75: at risk after 75% of the target)",
            code="bad_share",
        )
    if policy.first_response_minutes > policy.resolution_minutes:
        raise ValidationFailed(
            "the first response target cannot be longer than the resolution target",
            code="bad_target",
        )
    row, _ = SlaPolicy.objects.update_or_create(
        channel=policy.channel,
        priority=policy.priority,
        defaults={
            "first_response_minutes": policy.first_response_minutes,
            "next_response_minutes": policy.next_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "at_risk_share": policy.at_risk_share,
        },
    )
    return row


def sla_policy_delete(*, actor: Actor, channel: str, priority: int) -> None:
    actor_require(actor, Permission.SLA_MANAGE)
    if channel not in Channel.values or priority not in (1, 2, 3, 4):
        raise NotFound(f"no service-level policy for {channel[:20]!r} P{str(priority)[:5]}")
    deleted, _ = SlaPolicy.objects.filter(channel=channel, priority=priority).delete()
    if not deleted:
        raise NotFound(f"no service-level policy for {channel} P{priority}")


# Standing: influence and value ---------------------------------------------------


def _number(attributes: Mapping[str, Any], keys: Iterable[str]) -> int | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and 0 <= value < 10**15:
            return int(value)
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 16:
            return int(value.strip())
    return None


def _standing_observe(
    standings: dict[int, Standing], customer_id: int, channel: str, attributes: Mapping[str, Any]
) -> Standing | None:
    """Record the reach and value an interaction carries; the largest seen is kept."""
    social = (
        {name: _number(attributes, keys) for name, keys in SOCIAL_KEYS.items()}
        if channel == Channel.SOCIAL
        else {}
    )
    value = None
    for key in VALUE_KEYS:
        raw = attributes.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            continue
        if value.is_finite() and 0 <= value < Decimal("1e12"):
            break
        value = None
    if not any(v is not None for v in social.values()) and value is None:
        return standings.get(customer_id)
    standing = standings.get(customer_id)
    if standing is None:
        standing = Standing.objects.filter(customer_id=customer_id).first() or Standing(
            customer_id=customer_id
        )
        standings[customer_id] = standing
    for name, seen in social.items():
        if seen is not None:
            setattr(standing, name, max(seen, getattr(standing, name) or 0))
    if value is not None:
        standing.account_value = value
    standing.influence_score = fairness.influence_score(
        followers=standing.followers, reach=standing.reach, reshares=standing.reshares
    )
    standing.influence_tier = fairness.influence_tier(standing.influence_score)
    standing.value_tier = fairness.value_tier(
        float(standing.account_value) if standing.account_value is not None else None
    )
    standing.save()
    return standing


# Clocks ----------------------------------------------------------------------------


def _event(case: Case, kind: str, at: datetime, *, actor: Actor = None, **detail: Any) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=at,
        actor_label=access_services.actor_label(actor)[:200],
        detail=detail,
    )


def _clock_start(
    case: Case, metric: str, at: datetime, calendar: hours.Calendar
) -> SlaClock | None:
    policy = case.policy
    if policy is None:
        return None
    target = policy.target_minutes(metric) * 60.0
    return SlaClock.objects.create(
        case=case,
        metric=metric,
        target_seconds=target,
        at_risk_share=policy.at_risk_share,
        started_at=at,
        due_at=hours.add(calendar, at, target),
        at_risk_at=hours.add(calendar, at, target * policy.at_risk_share),
    )


def _clock_catch_up(clock: SlaClock, now: datetime) -> None:
    """Record the at-risk moment and the breach if they have passed by ``now``."""
    changed = False
    if (
        clock.at_risk_at is not None
        and clock.at_risk_flagged_at is None
        and clock.at_risk_at <= now
        and (clock.due_at is None or clock.at_risk_at < clock.due_at)
    ):
        clock.at_risk_flagged_at = clock.at_risk_at
        _event(
            clock.case,
            EventKind.SLA_AT_RISK,
            clock.at_risk_at,
            metric=clock.metric,
            due_at=clock.due_at.isoformat() if clock.due_at else None,
        )
        changed = True
    if clock.due_at is not None and clock.breached_at is None and clock.due_at <= now:
        clock.breached_at = clock.due_at
        _event(
            clock.case,
            EventKind.SLA_BREACHED,
            clock.due_at,
            metric=clock.metric,
            target_minutes=round(clock.target_seconds / 60),
        )
        changed = True
    if changed:
        clock.save(update_fields=["at_risk_flagged_at", "breached_at"])


def _elapsed(clock: SlaClock, at: datetime, calendar: hours.Calendar) -> float:
    """Business seconds the clock has counted by ``at`` (pauses excluded)."""
    if clock.paused_at is not None:
        return clock.target_seconds - (clock.remaining_seconds or 0.0)
    assert clock.due_at is not None
    if at <= clock.due_at:
        return clock.target_seconds - hours.between(calendar, at, clock.due_at)
    return clock.target_seconds + hours.between(calendar, clock.due_at, at)


def _clock_stop(clock: SlaClock, at: datetime, calendar: hours.Calendar, *, met: bool) -> None:
    _clock_catch_up(clock, at)
    clock.elapsed_seconds = _elapsed(clock, at, calendar) if met else None
    clock.stopped_at = at
    clock.save(update_fields=["elapsed_seconds", "stopped_at"])
    if met and clock.elapsed_seconds is not None and clock.breached_at is None:
        _event(
            clock.case,
            EventKind.SLA_MET,
            at,
            metric=clock.metric,
            elapsed_minutes=round(clock.elapsed_seconds / 60, 1),
        )


def _clock_pause(clock: SlaClock, at: datetime, calendar: hours.Calendar) -> None:
    _clock_catch_up(clock, at)
    clock.remaining_seconds = clock.target_seconds - _elapsed(clock, at, calendar)
    clock.paused_at = at
    clock.due_at = None
    clock.at_risk_at = None
    clock.save(update_fields=["remaining_seconds", "paused_at", "due_at", "at_risk_at"])


def _clock_resume(clock: SlaClock, at: datetime, calendar: hours.Calendar) -> None:
    remaining = clock.remaining_seconds or 0.0
    clock.due_at = hours.add(calendar, at, remaining) if remaining > 0 else at
    risk_left = remaining - clock.target_seconds * (1 - clock.at_risk_share)
    clock.at_risk_at = (
        None
        if clock.at_risk_flagged_at is not None
        else (hours.add(calendar, at, risk_left) if risk_left > 0 else at)
    )
    clock.paused_at = None
    clock.remaining_seconds = None
    clock.stopped_at = None
    clock.save(
        update_fields=["due_at", "at_risk_at", "paused_at", "remaining_seconds", "stopped_at"]
    )


def _running(case: Case) -> list[SlaClock]:
    return list(SlaClock.objects.filter(case=case, stopped_at__isnull=True).select_related("case"))


def _due_refresh(case: Case) -> None:
    """The queue's key: the earliest due time among the case's running clocks."""
    case.due_at = SlaClock.objects.filter(
        case=case, stopped_at__isnull=True, due_at__isnull=False
    ).aggregate(due=Min("due_at"))["due"]


def _priority_refresh(case: Case, now: datetime) -> None:
    waited = (now - case.waiting_since).total_seconds() if case.waiting_since else 0.0
    case.priority = issue_priority(
        severity=case.severity,
        urgency=case.urgency,
        sentiment=case.sentiment,
        waited_seconds=waited,
    )


def _topic_severity(topic: str) -> str:
    mapping: Mapping[str, str] = getattr(settings, "CXM_CASE_TOPIC_SEVERITY", {})
    severity = mapping.get(topic, Severity.NORMAL)
    return severity if severity in Severity.values else Severity.NORMAL


# Routing -------------------------------------------------------------------------


@dataclass
class RouteReport:
    routed: int = 0
    opened: int = 0
    joined: int = 0
    answered: int = 0
    unrouted: int = 0  # outbound interactions with no open case to answer
    automated: int = 0  # notices and records a system sent: no case is theirs
    case_ids: set[int] = field(default_factory=set)


def interactions_route(*, ids: Sequence[int] | None = None, limit: int = 2000) -> RouteReport:
    """Bring enriched, not yet routed interactions into cases, oldest first.

    Idempotent: an interaction is routed once (``routed_at``), so a task run
    twice or a sweep after a task does nothing more.
    """
    report = RouteReport()
    waiting = Interaction.objects.filter(routed_at__isnull=True, enriched_at__isnull=False)
    if ids is not None:
        waiting = waiting.filter(pk__in=list(ids))
    with transaction.atomic():
        rows = list(
            waiting.select_for_update(skip_locked=True, of=("self",))
            .order_by("occurred_at", "id")
            .only(
                "id",
                "customer_id",
                "channel",
                "direction",
                "occurred_at",
                "subject",
                "body",
                "attributes",
                "automated",
                "topics",
                "sentiment_score",
                "customer__team_id",
            )
            .select_related("customer")[:limit]
        )
        if not rows:
            return report
        calendars = Calendars()
        policies = {(p.channel, p.priority): p for p in SlaPolicy.objects.all()}
        standings: dict[int, Standing] = {}
        groups = _customer_groups({i.customer_id for i in rows})
        for interaction in rows:
            _route_one(
                interaction, groups[interaction.customer_id], calendars, policies, standings, report
            )
        routed_ids = [i.pk for i in rows]
        now = timezone.now()
        Interaction.objects.filter(pk__in=routed_ids).update(routed_at=now)
        # Promises and journeys see the same interactions, in the same order.
        reactions.react(routed_ids, now=now)
        report.routed = len(rows)
    return report


def interactions_route_all(*, chunk: int = 2000) -> int:
    total = 0
    while done := interactions_route(limit=chunk).routed:
        total += done
    return total


def _customer_groups(customer_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each customer's rows: itself and every row merged into it, whose open cases
    (opened before the merge) a new message joins or answers."""
    groups = {pk: [pk] for pk in customer_ids}
    for absorbed, root in customer_selectors.customers_absorbed(root_ids=list(groups)).items():
        groups[root].append(absorbed)
    return groups


def _route_one(
    interaction: Interaction,
    group: Sequence[int],
    calendars: Calendars,
    policies: Mapping[tuple[str, int], SlaPolicy],
    standings: dict[int, Standing],
    report: RouteReport,
) -> None:
    if interaction.automated:
        # A bill, a reminder, an account change: nobody asked, nobody answered.
        report.automated += 1
        return
    customer = interaction.customer
    standing = _standing_observe(
        standings, customer.pk, interaction.channel, interaction.attributes or {}
    )
    calendar = calendars.for_team(customer.team_id)
    if interaction.direction == Direction.INBOUND:
        topic = interaction.topics[0] if interaction.topics else ""
        case = (
            Case.objects.filter(
                customer_id__in=group,
                status__in=OPEN_STATUSES,
                topic=topic,
                merged_into__isnull=True,
            )
            .order_by("-last_message_at", "-id")
            .first()
        )
        if case is None:
            case = _case_open(interaction, topic, standing, policies, calendar)
            report.opened += 1
        else:
            _case_join(case, interaction, calendar)
            report.joined += 1
    else:
        case = _case_answered_by(interaction, group)
        if case is None:
            report.unrouted += 1
            return
        _case_answer(case, interaction, calendar)
        report.answered += 1
    CaseInteraction.objects.create(case=case, interaction=interaction)
    report.case_ids.add(case.pk)


def _case_open(
    interaction: Interaction,
    topic: str,
    standing: Standing | None,
    policies: Mapping[tuple[str, int], SlaPolicy],
    calendar: hours.Calendar,
) -> Case:
    text = (interaction.subject or interaction.body or "").strip().splitlines()
    return _case_create(
        customer=interaction.customer,
        channel=interaction.channel,
        topic=topic,
        subject=text[0] if text else "",
        severity=_topic_severity(topic),
        sentiment=interaction.sentiment_score,
        at=interaction.occurred_at,
        standing=standing,
        policies=policies,
        calendar=calendar,
        opened={"interaction": interaction.pk},
    )


def _case_create(
    *,
    customer: Customer,
    channel: str,
    topic: str,
    subject: str,
    severity: str,
    sentiment: float | None,
    at: datetime,
    standing: Standing | None,
    policies: Mapping[tuple[str, int], SlaPolicy],
    calendar: hours.Calendar,
    opened: Mapping[str, Any],
    messages: int = 1,
) -> Case:
    previous = (
        Case.objects.filter(
            customer_id=customer.pk,
            resolved_at__isnull=False,
            resolved_at__gte=at - timedelta(days=RECONTACT_DAYS),
            resolved_at__lte=at,
        )
        .order_by("-resolved_at")
        .first()
    )
    case = Case(
        customer=customer,
        team_id=customer.team_id,
        channel=channel,
        last_channel=channel,
        topic=topic,
        subject=subject[:300],
        severity=severity,
        sentiment=sentiment,
        opened_at=at,
        waiting_since=at,
        last_message_at=at,
        messages=messages,
        influence_tier=standing.influence_tier if standing else "none",
        value_tier=standing.value_tier if standing else "unknown",
        recontact_of=previous,
    )
    _priority_refresh(case, at)
    case.policy = policies.get((case.channel, case.priority))
    case.save()
    _event(
        case,
        EventKind.OPENED,
        at,
        **opened,
        channel=case.channel,
        topic=topic,
        priority=case.priority,
    )
    _clock_start(case, SlaMetric.FIRST_RESPONSE, at, calendar)
    _clock_start(case, SlaMetric.RESOLUTION, at, calendar)
    _due_refresh(case)
    rotation = (
        RoundRobin.objects.filter(team_id=case.team_id, enabled=True).first()
        if case.team_id is not None
        else None
    )
    if rotation is not None:
        _round_robin(case, rotation, at)
    case.save()
    return case


@transaction.atomic
def case_open_for(
    *,
    customer_id: int,
    channel: str,
    topic: str,
    subject: str,
    severity: str = Severity.HIGH,
    at: datetime,
    reason: Mapping[str, Any],
) -> Case:
    """A case CXM opens itself for an issue no message raised (a promise broken):
    the company owes the customer the first contact, under the same service
    levels, priority rules and queue as any other case. No interaction joins it
    until someone writes."""
    if channel not in Channel.values:
        raise ValidationFailed(f"unknown channel '{channel[:20]}'", code="bad_channel")
    if severity not in Severity.values:
        raise ValidationFailed(f"unknown severity '{severity[:20]}'", code="bad_severity")
    customer = Customer.objects.get(pk=_customer_root(customer_id))
    calendar = Calendars().for_team(customer.team_id)
    policies = {(p.channel, p.priority): p for p in SlaPolicy.objects.filter(channel=channel)}
    standing = Standing.objects.filter(customer_id=customer.pk).first()
    return _case_create(
        customer=customer,
        channel=channel,
        topic=topic,
        subject=subject,
        severity=severity,
        sentiment=None,
        at=at,
        standing=standing,
        policies=policies,
        calendar=calendar,
        opened=dict(reason),
        messages=0,
    )


def _catch_up(case: Case, at: datetime) -> list[SlaClock]:
    clocks = _running(case)
    for clock in clocks:
        _clock_catch_up(clock, at)
    return clocks


def _case_join(case: Case, interaction: Interaction, calendar: hours.Calendar) -> None:
    at = max(interaction.occurred_at, case.last_message_at)
    clocks = _catch_up(case, at)
    if interaction.channel != case.last_channel:
        case.handoffs += 1
    case.last_channel = interaction.channel
    case.messages += 1
    case.last_message_at = at
    if interaction.sentiment_score is not None:
        case.sentiment = interaction.sentiment_score
    _event(case, EventKind.MESSAGE, at, interaction=interaction.pk, channel=interaction.channel)
    if case.status == CaseStatus.WAITING:
        _status_change(case, CaseStatus.OPEN, at, None, calendar, clocks, note="the customer wrote")
        clocks = _running(case)
    if case.waiting_since is None:
        case.waiting_since = at
        if case.first_response_at is not None and not any(
            c.metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE) for c in clocks
        ):
            _clock_start(case, SlaMetric.NEXT_RESPONSE, at, calendar)
    _priority_refresh(case, at)
    _due_refresh(case)
    case.save()


def _customer_root(customer_id: int) -> int:
    """The profile a customer row was merged into, through every merge; itself if none."""
    return customer_selectors.customer_group_ids(customer_id=customer_id)[0]


def _case_answered_by(interaction: Interaction, group: Sequence[int]) -> Case | None:
    """The case an outbound interaction answers: the one it names, else the customer's
    open case on its channel last written to, else their open case last written to
    (of any of ``group``, the customer's rows)."""
    open_cases = Case.objects.filter(
        customer_id__in=group, status__in=OPEN_STATUSES, merged_into__isnull=True
    )
    named = (interaction.attributes or {}).get("case_id")
    if isinstance(named, int) and not isinstance(named, bool) and 0 < named < 2**62:
        case = open_cases.filter(pk=named).first()
        if case is not None:
            return case
    return (
        open_cases.filter(channel=interaction.channel).order_by("-last_message_at", "-id").first()
        or open_cases.order_by("-last_message_at", "-id").first()
    )


def _case_answer(case: Case, interaction: Interaction, calendar: hours.Calendar) -> None:
    at = max(interaction.occurred_at, case.opened_at)
    clocks = _catch_up(case, at)
    for clock in clocks:
        if (
            clock.metric in (SlaMetric.FIRST_RESPONSE, SlaMetric.NEXT_RESPONSE)
            and clock.paused_at is None
        ):
            _clock_stop(clock, at, calendar, met=True)
            if clock.metric == SlaMetric.FIRST_RESPONSE:
                case.first_response_seconds = clock.elapsed_seconds
    if case.first_response_at is None:
        case.first_response_at = at
        if case.first_response_seconds is None and case.policy is None:
            case.first_response_seconds = hours.between(calendar, case.opened_at, at)
    if interaction.channel != case.last_channel:
        case.handoffs += 1
    case.last_channel = interaction.channel
    case.replies += 1
    case.waiting_since = None
    _event(case, EventKind.REPLY, at, interaction=interaction.pk, channel=interaction.channel)
    if case.status == CaseStatus.NEW:
        case.status = CaseStatus.OPEN
        _event(case, EventKind.STATUS, at, old=CaseStatus.NEW, new=CaseStatus.OPEN)
    _priority_refresh(case, at)
    _due_refresh(case)
    case.save()


# Status ------------------------------------------------------------------------------


def _status_change(
    case: Case,
    new: str,
    at: datetime,
    actor: Actor,
    calendar: hours.Calendar,
    clocks: list[SlaClock],
    *,
    note: str = "",
) -> None:
    old = case.status
    if new == CaseStatus.WAITING:
        for clock in clocks:
            if clock.paused_at is None:
                _clock_pause(clock, at, calendar)
    elif old == CaseStatus.WAITING and new == CaseStatus.OPEN:
        for clock in clocks:
            if clock.paused_at is not None:
                _clock_resume(clock, at, calendar)
    elif new == CaseStatus.RESOLVED:
        for clock in clocks:
            if clock.metric == SlaMetric.RESOLUTION:
                if clock.paused_at is not None:
                    _clock_resume(clock, at, calendar)
                _clock_stop(clock, at, calendar, met=True)
                case.resolution_seconds = clock.elapsed_seconds
            else:
                _clock_stop(clock, at, calendar, met=False)
        case.resolved_at = at
        case.waiting_since = None
    elif old == CaseStatus.RESOLVED and new == CaseStatus.OPEN:
        resolution = (
            SlaClock.objects.filter(case=case, metric=SlaMetric.RESOLUTION).order_by("-id").first()
        )
        if resolution is not None and resolution.elapsed_seconds is not None:
            resolution.remaining_seconds = resolution.target_seconds - resolution.elapsed_seconds
            resolution.elapsed_seconds = None
            resolution.save(update_fields=["remaining_seconds", "elapsed_seconds"])
            _clock_resume(resolution, at, calendar)
        case.resolved_at = None
        case.resolution_seconds = None
    elif new == CaseStatus.CLOSED:
        case.closed_at = at
    case.status = new
    _event(case, EventKind.STATUS, at, actor=actor, old=old, new=new, note=note)


def case_status_set(
    *, actor: Actor, case_id: int, status: str, note: str = "", now: datetime | None = None
) -> Case:
    actor_require(actor, Permission.CASE_WORK)
    now = now or timezone.now()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if status not in CaseStatus.values:
            raise ValidationFailed(
                f"unknown status '{status}'; one of {', '.join(CaseStatus.values)}",
                code="bad_status",
            )
        if "\x00" in note:
            raise ValidationFailed("the note contains a NUL character", code="bad_text")
        if case.merged_into_id is not None:
            raise Conflict(f"case {case.pk} was merged into case {case.merged_into_id}")
        if status == case.status:
            return case
        if status not in TRANSITIONS[case.status]:
            raise Conflict(
                f"a {CaseStatus(case.status).label.lower()} case cannot become "
                f"{CaseStatus(status).label.lower()}",
                code="bad_transition",
            )
        calendar = Calendars().for_team(case.team_id)
        clocks = _catch_up(case, now)
        _status_change(case, status, now, actor, calendar, clocks, note=note[:500])
        _priority_refresh(case, now)
        _due_refresh(case)
        case.save()
        if status == CaseStatus.RESOLVED:
            transaction.on_commit(partial(_survey_after_resolution, case.customer_id, case.channel))
    return case


def _survey_after_resolution(customer_id: int, channel: str) -> None:
    from cxm.feedback import services as feedback_services

    feedback_services.survey_trigger(
        trigger="case_resolved", customer_id=customer_id, segments={"channel": channel}
    )


def _case_for_update(actor: Actor, case_id: int) -> Case:
    if not 0 < case_id < 2**62:
        raise NotFound(f"no case {case_id}")
    case = (
        Case.objects.select_for_update(of=("self",))
        .filter(customer_visibility(actor, prefix="customer__"), pk=case_id)
        .select_related("policy", "customer")
        .first()
    )
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def case_triage(
    *,
    actor: Actor,
    case_id: int,
    severity: str | None = None,
    urgency: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Set what the issue is (severity, urgency); priority and targets follow from it."""
    actor_require(actor, Permission.CASE_WORK)
    now = now or timezone.now()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if severity is not None and severity not in Severity.values:
            raise ValidationFailed(
                f"unknown severity '{severity}'; one of {', '.join(Severity.values)}",
                code="bad_severity",
            )
        if urgency is not None and urgency not in Urgency.values:
            raise ValidationFailed(
                f"unknown urgency '{urgency}'; one of {', '.join(Urgency.values)}",
                code="bad_urgency",
            )
        old = case.priority
        case.severity = severity or case.severity
        case.urgency = urgency or case.urgency
        _priority_refresh(case, now)
        if case.priority != old:
            policy = SlaPolicy.objects.filter(channel=case.channel, priority=case.priority).first()
            calendar = Calendars().for_team(case.team_id)
            case.policy = policy
            # The targets follow the new priority, counted from when each clock started.
            for clock in _catch_up(case, now):
                if policy is None or clock.paused_at is not None:
                    continue
                target = policy.target_minutes(clock.metric) * 60.0
                clock.target_seconds = target
                clock.at_risk_share = policy.at_risk_share
                clock.due_at = hours.add(calendar, clock.started_at, target)
                if clock.at_risk_flagged_at is None:
                    clock.at_risk_at = hours.add(
                        calendar, clock.started_at, target * policy.at_risk_share
                    )
                clock.save()
                _clock_catch_up(clock, now)
            _event(
                case,
                EventKind.PRIORITY,
                now,
                actor=actor,
                old=old,
                new=case.priority,
                severity=case.severity,
                urgency=case.urgency,
            )
        _due_refresh(case)
        case.save()
    return case


# Assignment ----------------------------------------------------------------------------


def _agents_of(team_id: int | None) -> list[int]:
    if team_id is None:
        return []
    return list(
        Membership.objects.filter(
            teams__id=team_id, role__in=[Role.AGENT, Role.SUPERVISOR], user__is_active=True
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _round_robin(case: Case, rotation: RoundRobin, at: datetime) -> None:
    agents = _agents_of(case.team_id)
    if not agents:
        return
    after = [a for a in agents if rotation.last_user_id is None or a > rotation.last_user_id]
    chosen = after[0] if after else agents[0]
    case.assignee_id = chosen
    rotation.last_user_id = chosen
    rotation.save(update_fields=["last_user"])
    _event(case, EventKind.ASSIGNED, at, user=chosen, how="round robin")


def case_assign(
    *, actor: Actor, case_id: int, user_id: int | None, now: datetime | None = None
) -> Case:
    """Assign a case by hand (``user_id``), or by the team's rotation when it is None."""
    actor_require(actor, Permission.CASE_WORK)
    now = now or timezone.now()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if user_id is None:
            rotation, _ = (
                RoundRobin.objects.select_for_update().get_or_create(team_id=case.team_id)
                if case.team_id
                else (None, False)
            )
            if rotation is None or not _agents_of(case.team_id):
                raise Conflict("the case's team has no agents to assign it to", code="no_agents")
            _round_robin(case, rotation, now)
        else:
            if not 0 < user_id < 2**62:
                raise ValidationFailed(f"no active console user {user_id}", code="bad_user")
            member = Membership.objects.filter(
                user_id=user_id, user__is_active=True, role__in=Role.values
            ).first()
            if member is None:
                raise ValidationFailed(f"no active console user {user_id}", code="bad_user")
            team_scoped = member.role in (Role.AGENT, Role.SUPERVISOR)
            if (
                case.team_id is not None
                and team_scoped
                and not member.teams.filter(pk=case.team_id).exists()
            ):
                raise ValidationFailed("that user does not work this case's team", code="bad_user")
            case.assignee_id = user_id
            _event(case, EventKind.ASSIGNED, now, actor=actor, user=user_id, how="by hand")
        case.save()
    return case


def round_robin_set(*, actor: Actor, team_id: int, enabled: bool) -> RoundRobin:
    actor_require(actor, Permission.SLA_MANAGE)
    rotation, _ = RoundRobin.objects.update_or_create(
        team_id=team_id, defaults={"enabled": enabled}
    )
    return rotation


# Replies -------------------------------------------------------------------------------


def case_reply(*, actor: Actor, case_id: int, body: str, now: datetime | None = None) -> Reply:
    """An agent answers: an outbound interaction on the case's channel, queued for delivery."""
    actor_require(actor, Permission.CASE_WORK)
    body = body.strip()
    now = now or timezone.now()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if not body:
            raise ValidationFailed("the answer is empty", code="empty_reply")
        if len(body) > 20_000:
            raise ValidationFailed("the answer is longer than 20,000 characters", code="too_long")
        if "\x00" in body:
            raise ValidationFailed("the answer contains a NUL character", code="bad_text")
        if case.status not in OPEN_STATUSES:
            raise Conflict(
                f"case {case.pk} is {CaseStatus(case.status).label.lower()}; reopen it to answer",
                code="case_not_open",
            )
        source, _ = Source.objects.get_or_create(
            name=CONSOLE_SOURCE, defaults={"description": "Answers written in the CXM console"}
        )
        interaction = Interaction.objects.create(
            source=source,
            external_id=f"reply-{uuid.uuid4()}",
            customer_id=case.customer_id,
            channel=case.channel,
            direction=Direction.OUTBOUND,
            occurred_at=now,
            body=body,
            attributes={"case_id": case.pk},
            received_at=now,
            enriched_at=now,
            routed_at=now,
        )
        _case_answer(case, interaction, Calendars().for_team(case.team_id))
        CaseInteraction.objects.create(case=case, interaction=interaction)
        reply = Reply.objects.create(
            case=case,
            interaction=interaction,
            author=actor if getattr(actor, "is_authenticated", False) else None,
            author_label=access_services.actor_label(actor)[:200],
            delivery_status=DeliveryStatus.QUEUED,
            status_at=now,
        )
    return reply


# Split and merge -------------------------------------------------------------------------


def _recount(case: Case) -> None:
    rows = list(
        Interaction.objects.filter(case_link__case=case)
        .order_by("occurred_at", "id")
        .values_list("direction", "channel", "occurred_at")
    )
    case.messages = sum(1 for d, _, _ in rows if d == Direction.INBOUND)
    case.replies = len(rows) - case.messages
    case.handoffs = sum(1 for a, b in pairwise(rows) if a[1] != b[1])
    if rows:
        case.last_channel = rows[-1][1]
        inbound = [at for d, _, at in rows if d == Direction.INBOUND]
        case.last_message_at = inbound[-1] if inbound else rows[-1][2]


def case_split(
    *, actor: Actor, case_id: int, interaction_ids: Sequence[int], now: datetime | None = None
) -> Case:
    """Move some of a case's interactions into a new case (a second issue in one thread)."""
    actor_require(actor, Permission.CASE_WORK)
    now = now or timezone.now()
    wanted = {i for i in interaction_ids if isinstance(i, int) and 0 < i < 2**62}
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if not wanted:
            raise ValidationFailed("choose the interactions to move to the new case", code="empty")
        if case.status not in OPEN_STATUSES:
            raise Conflict("only an open case can be split", code="case_not_open")
        links = list(CaseInteraction.objects.filter(case=case).select_related("interaction"))
        moving = [link for link in links if link.interaction_id in wanted]
        if len(moving) != len(wanted):
            raise ValidationFailed(
                "some of those interactions are not in this case", code="bad_ids"
            )
        if len(moving) == len(links):
            raise ValidationFailed("a split must leave at least one interaction", code="bad_ids")
        first = min(moving, key=lambda link: (link.interaction.occurred_at, link.interaction_id))
        calendar = Calendars().for_team(case.team_id)
        new = Case.objects.create(
            customer_id=case.customer_id,
            team_id=case.team_id,
            channel=first.interaction.channel,
            last_channel=first.interaction.channel,
            topic=case.topic,
            subject=(first.interaction.subject or first.interaction.body or "")[:300].split("\n")[
                0
            ],
            severity=case.severity,
            urgency=case.urgency,
            priority=case.priority,
            sentiment=case.sentiment,
            policy=case.policy,
            opened_at=first.interaction.occurred_at,
            waiting_since=now,
            last_message_at=first.interaction.occurred_at,
            influence_tier=case.influence_tier,
            value_tier=case.value_tier,
            split_from=case,
            assignee_id=case.assignee_id,
        )
        CaseInteraction.objects.filter(pk__in=[link.pk for link in moving]).update(case=new)
        _recount(case)
        _recount(new)
        _event(new, EventKind.OPENED, now, actor=actor, split_from=case.pk)
        # The new issue's clocks start now: it was not known to be a separate issue before.
        _clock_start(new, SlaMetric.FIRST_RESPONSE, now, calendar)
        _clock_start(new, SlaMetric.RESOLUTION, now, calendar)
        _due_refresh(new)
        new.save()
        _event(
            case, EventKind.SPLIT, now, actor=actor, new_case=new.pk, interactions=sorted(wanted)
        )
        case.save()
    return new


def case_merge(*, actor: Actor, case_id: int, into_id: int, now: datetime | None = None) -> Case:
    """Fold one case into another of the same customer (two threads about one issue)."""
    actor_require(actor, Permission.CASE_WORK)
    now = now or timezone.now()
    with transaction.atomic():
        case = _case_for_update(actor, case_id)
        if case_id == into_id:
            raise ValidationFailed("a case cannot be merged into itself", code="same_case")
        if not 0 < into_id < 2**62:
            raise ValidationFailed("name the case to merge this one into", code="no_target")
        into = _case_for_update(actor, into_id)
        if case.customer_id != into.customer_id and _customer_root(
            case.customer_id
        ) != _customer_root(into.customer_id):
            raise Conflict("only cases of the same customer can be merged", code="other_customer")
        if case.merged_into_id is not None or into.merged_into_id is not None:
            raise Conflict("one of these cases is merged already", code="merged")
        if into.status == CaseStatus.CLOSED:
            raise Conflict(f"case {into.pk} is closed", code="case_not_open")
        CaseInteraction.objects.filter(case=case).update(case=into)
        for clock in SlaClock.objects.filter(case=case, stopped_at__isnull=True):
            clock.stopped_at = now
            clock.save(update_fields=["stopped_at"])
        case.merged_into = into
        old = case.status
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        case.due_at = None
        _event(case, EventKind.MERGED, now, actor=actor, into=into.pk, old=old)
        case.save()
        _recount(into)
        if case.opened_at < into.opened_at:
            into.opened_at = case.opened_at
        if case.waiting_since and (
            into.waiting_since is None or case.waiting_since < into.waiting_since
        ):
            into.waiting_since = case.waiting_since
        _event(into, EventKind.MERGED, now, actor=actor, absorbed=case.pk)
        _priority_refresh(into, now)
        _due_refresh(into)
        into.save()
    return into


# The sweep -----------------------------------------------------------------------------------


def sla_sweep(*, now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """Flag the clocks that became at risk and record the breaches, as of now."""
    now = now or timezone.now()
    flagged = breached = 0
    with transaction.atomic():
        for clock in (
            SlaClock.objects.filter(
                Q(at_risk_at__lte=now, at_risk_flagged_at__isnull=True)
                | Q(due_at__lte=now, breached_at__isnull=True),
                stopped_at__isnull=True,
            )
            .select_related("case")
            .order_by("id")[:limit]
        ):
            was_flagged, was_breached = clock.at_risk_flagged_at, clock.breached_at
            _clock_catch_up(clock, now)
            flagged += was_flagged is None and clock.at_risk_flagged_at is not None
            breached += was_breached is None and clock.breached_at is not None
        waiting = Case.objects.filter(status__in=OPEN_STATUSES, waiting_since__isnull=False)
        repriced = 0
        for case in waiting.filter(waiting_since__lte=now - timedelta(days=1)).only(
            "id", "severity", "urgency", "sentiment", "waiting_since", "priority"
        )[:limit]:
            old = case.priority
            _priority_refresh(case, now)
            if case.priority != old:
                Case.objects.filter(pk=case.pk).update(priority=case.priority)
                _event(
                    case,
                    EventKind.PRIORITY,
                    now,
                    old=old,
                    new=case.priority,
                    why="waited a day or more",
                )
                repriced += 1
    return {"at_risk": flagged, "breached": breached, "repriced": repriced}
