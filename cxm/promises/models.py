"""The promise ledger: what the company committed to each customer, and what became of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cxm.interactions.enums import Channel
from cxm.promises.enums import (
    AlertKind,
    PromiseEventKind,
    PromiseKind,
    PromiseStatus,
    SuggestionStatus,
)


class Promise(models.Model):
    """Something the company committed to a customer, with its due date and evidence.

    Open until kept (the evidence arrived by the due date), broken (the date
    passed without it, or someone said it cannot be kept) or renegotiated (new
    terms agreed before the date, held by the promise ``replaced_by`` points to).
    At risk from ``at_risk_at``: the due date minus the kind's lead time in the
    team's business hours.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="promises"
    )
    kind = models.CharField(max_length=20, choices=PromiseKind.choices)
    title = models.CharField(max_length=200)
    terms = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=PromiseStatus.choices, default=PromiseStatus.OPEN
    )
    made_at = models.DateTimeField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises_made",
    )
    # Who made it, as recorded: a console user's name, or the name an order or
    # CRM system sent. Keeping rates by person group on this.
    made_by_label = models.CharField(max_length=150)
    team = models.ForeignKey(
        "access.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="promises"
    )
    # Who is alerted when it is at risk or broken.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises_owned",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    # The order, quote or contract it is written in.
    document = models.CharField(max_length=200, blank=True)
    # The interaction in which it was made, when CXM has it.
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promises",
    )
    due_at = models.DateTimeField()
    at_risk_at = models.DateTimeField()
    # What will show it kept, in words, and as a rule on interactions
    # (``cxm.interactions.rules``) that keeps it when such an interaction arrives.
    evidence = models.CharField(max_length=500, blank=True)
    evidence_rule = models.JSONField(default=dict, blank=True)
    kept_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    # Set when CXM broke it at its due date (rather than a person): evidence dated
    # before the due date that arrives late may still keep it.
    broken_automatically = models.BooleanField(default=False)
    # When what was promised came after all, too late to keep the promise.
    delivered_late_at = models.DateTimeField(null=True, blank=True)
    # The interaction that kept it or showed it delivered late.
    evidence_interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome_note = models.CharField(max_length=1000, blank=True)
    renegotiated_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    # The case opened for the customer when it broke.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="promises"
    )
    # Where an order or CRM system sent it from; (source, external_id) makes a
    # replayed import create nothing new.
    source = models.ForeignKey(
        "connectors.Source", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PromiseStatus.values), name="promise_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=PromiseKind.values), name="promise_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("made_at")), name="promise_due_after_made"
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="promise_unique_external_id",
            ),
        ]
        indexes = [
            # The sweep: pending promises by the moment they turn at risk, then due.
            models.Index(fields=["at_risk_at"], condition=Q(status="open"), name="promise_to_flag"),
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=["open", "at_risk"]),
                name="promise_to_break",
            ),
            models.Index(fields=["customer", "status"], name="promise_customer"),
            models.Index(fields=["due_at", "kind"], name="promise_due"),
        ]

    def __str__(self) -> str:
        return f"Promise {self.pk}: {self.title}"


class PromiseEvent(models.Model):
    """The promise's timeline: made, at risk, kept, broken, renegotiated, alerts."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=PromiseEventKind.choices)
    actor_label = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["promise", "at"], name="promise_event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} of promise {self.promise_id}"


class PromiseAlert(models.Model):
    """A promise at risk or broken, raised to its owner until they acknowledge it."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    raised_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="promise_alerts",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["promise", "kind"], name="promise_alert_once"),
        ]
        indexes = [
            models.Index(
                fields=["owner", "raised_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="promise_alert_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert on promise {self.promise_id}"


class PromiseSuggestion(models.Model):
    """A commitment CXM found in what an agent wrote, waiting for a person to confirm it."""

    interaction = models.ForeignKey(
        "interactions.Interaction", on_delete=models.CASCADE, related_name="promise_suggestions"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="promise_suggestions"
    )
    kind = models.CharField(max_length=20, choices=PromiseKind.choices)
    quote = models.CharField(max_length=500)
    # None when the text named no date CXM could read; the agent gives one.
    due_at = models.DateTimeField(null=True, blank=True)
    made_by_label = models.CharField(max_length=150, blank=True)
    status = models.CharField(
        max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    promise = models.OneToOneField(
        Promise, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestion"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["interaction", "kind"], name="suggestion_once"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="suggestion_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} suggested from interaction {self.interaction_id}"


class LeadTime(models.Model):
    """How much business time before the due date a promise of this kind is at risk."""

    kind = models.CharField(max_length=20, choices=PromiseKind.choices, unique=True)
    minutes = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.kind}: {self.minutes} business minutes"
