from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cxm.cases.enums import (
    CaseStatus,
    DeliveryStatus,
    EventKind,
    Priority,
    Severity,
    SlaMetric,
    Urgency,
)
from cxm.interactions.enums import Channel


class BusinessCalendar(models.Model):
    """A team's opening hours, time zone and public holidays (``cxm.cases.hours``).

    The row without a team is the default for cases no team owns; with no row
    at all, service-level clocks run round the clock.
    """

    team = models.OneToOneField(
        "access.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar"
    )
    definition = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team"], name="calendar_one_default", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"calendar of {self.team or 'the company'}"


class SlaPolicy(models.Model):
    """The response and resolution targets for one channel and priority, in business time."""

    channel = models.CharField(max_length=20, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField()
    next_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    # A clock is "at risk" once this share of its target has passed.
    at_risk_share = models.FloatField(default=0.75)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "priority"], name="sla_policy_unique"),
            models.CheckConstraint(
                condition=Q(at_risk_share__gt=0) & Q(at_risk_share__lt=1),
                name="sla_policy_at_risk_share_range",
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0)
                & Q(next_response_minutes__gt=0)
                & Q(resolution_minutes__gt=0),
                name="sla_policy_targets_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} P{self.priority}"

    def target_minutes(self, metric: str) -> int:
        return int(getattr(self, f"{metric}_minutes"))


class Standing(models.Model):
    """What CXM knows of a customer's reach and value: shown to inform, never used to rank.

    Followers, reach and re-shares are the largest seen at ingest on social
    channels; the account value comes from CRM or billing lines.
    """

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="standing"
    )
    followers = models.BigIntegerField(null=True, blank=True)
    reach = models.BigIntegerField(null=True, blank=True)
    reshares = models.BigIntegerField(null=True, blank=True)
    influence_score = models.FloatField(default=0.0)
    influence_tier = models.CharField(max_length=20, default="none")
    account_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    value_tier = models.CharField(max_length=20, default="unknown")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"standing of customer {self.customer_id}"


class Case(models.Model):
    """One customer issue: the interactions about it, its status and its service-level clocks."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="cases"
    )
    team = models.ForeignKey(
        "access.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    topic = models.CharField(max_length=60, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    # The latest sentiment of what the customer wrote on this case (-1..1).
    sentiment = models.FloatField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    opened_at = models.DateTimeField()
    # Since when the customer has been waiting for an answer; None once answered.
    waiting_since = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The earliest due time of the running clocks: the queue's first key.
    due_at = models.DateTimeField(null=True, blank=True)
    # Business seconds, set when the clock stops (for the charter, scorecards and audit).
    first_response_seconds = models.FloatField(null=True, blank=True)
    resolution_seconds = models.FloatField(null=True, blank=True)
    # Tiers at the time the case opened, so that the audit compares like with like.
    influence_tier = models.CharField(max_length=20, default="none")
    value_tier = models.CharField(max_length=20, default="unknown")
    messages = models.PositiveIntegerField(default=0)  # the customer's inbound messages
    replies = models.PositiveIntegerField(default=0)
    # Changes of channel between consecutive interactions of the case.
    handoffs = models.PositiveIntegerField(default=0)
    last_channel = models.CharField(max_length=20, choices=Channel.choices)
    # The customer's previous case, when this one came within 7 days of its resolution.
    recontact_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="recontacts"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="absorbed"
    )
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="split_into"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1) & Q(priority__lte=4), name="case_priority_valid"
            ),
        ]
        indexes = [
            # The queue: time left before breach, then priority, then time waited.
            models.Index(
                fields=["due_at", "priority", "waiting_since", "id"],
                condition=Q(status__in=["new", "open"]),
                name="case_queue",
            ),
            models.Index(fields=["customer", "status"], name="case_customer_status"),
            models.Index(fields=["opened_at", "channel"], name="case_opened"),
            models.Index(fields=["assignee", "status"], name="case_assignee"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"


class CaseInteraction(models.Model):
    """An interaction's place in a case (each belongs to at most one)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    interaction = models.OneToOneField(
        "interactions.Interaction", on_delete=models.CASCADE, related_name="case_link"
    )

    class Meta:
        indexes = [models.Index(fields=["case", "interaction"], name="case_link_case")]

    def __str__(self) -> str:
        return f"interaction {self.interaction_id} in case {self.case_id}"


class SlaClock(models.Model):
    """One service-level target of a case, counted in its team's business time.

    Running while ``due_at`` is set and ``stopped_at`` is not; paused (waiting on
    the customer) with the business time left kept in ``remaining_seconds``.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(max_length=20, choices=SlaMetric.choices)
    target_seconds = models.FloatField()
    at_risk_share = models.FloatField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    remaining_seconds = models.FloatField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.FloatField(null=True, blank=True)
    at_risk_flagged_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(stopped_at__isnull=True, breached_at__isnull=True),
                name="sla_clock_to_breach",
            ),
            # Running clocks, breached or not: the few of the open cases among every
            # clock ever started (the charter's first responses past their target).
            models.Index(
                fields=["due_at"], condition=Q(stopped_at__isnull=True), name="sla_clock_running"
            ),
            models.Index(
                fields=["at_risk_at"],
                condition=Q(stopped_at__isnull=True, at_risk_flagged_at__isnull=True),
                name="sla_clock_to_flag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of case {self.case_id}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None

    @property
    def met(self) -> bool | None:
        if self.stopped_at is None or self.elapsed_seconds is None:
            return None
        return self.elapsed_seconds <= self.target_seconds


class CaseEvent(models.Model):
    """The case's timeline: every change of status, owner, priority or clock."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor_label = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class Reply(models.Model):
    """An agent's answer from the console: an outbound interaction and its delivery."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sent_replies")
    interaction = models.OneToOneField(
        "interactions.Interaction", on_delete=models.CASCADE, related_name="reply"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200)
    delivery_status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    status_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reply on case {self.case_id} ({self.delivery_status})"


class RoundRobin(models.Model):
    """Where automatic assignment stands in each team's rotation."""

    team = models.OneToOneField("access.Team", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=False)
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"rotation of {self.team}"
