"""Journeys: what each customer bought, how far they got towards its value, and
where they are in the relationship, cradle to grave."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cxm.journeys.enums import Component, Stage, Trigger


class Milestone(models.Model):
    """A step of a product's onboarding, due so many days after the sale.

    Reached when an interaction matching ``evidence_rule`` arrives for a customer
    who bought the product (or when a person records it). The milestone that
    ``marks_value`` is the customer's first value: time to value runs to it.
    """

    product = models.CharField(max_length=100)
    key = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    target_days = models.PositiveIntegerField()
    evidence_rule = models.JSONField(default=dict, blank=True)
    marks_value = models.BooleanField(default=False)

    class Meta:
        ordering = ["product", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="milestone_unique"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(marks_value=True), name="milestone_one_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.name}"


class Purchase(models.Model):
    """A product a customer bought: the start of its onboarding and of time to value."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="purchases"
    )
    product = models.CharField(max_length=100)
    sold_at = models.DateTimeField()
    sold_by_label = models.CharField(max_length=150, blank=True)
    team = models.ForeignKey(
        "access.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="purchases",
    )
    # When the customer stopped having it (cancelled, replaced).
    ended_at = models.DateTimeField(null=True, blank=True)
    source = models.ForeignKey(
        "connectors.Source", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="purchase_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "sold_at"], name="purchase_customer"),
            models.Index(fields=["sold_at"], name="purchase_sold"),
        ]

    def __str__(self) -> str:
        return f"{self.product} for customer {self.customer_id}"


class MilestoneReached(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="reached")
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="reached")
    reached_at = models.DateTimeField()
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)
    recorded_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["reached_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "milestone"], name="milestone_reached_once")
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id} reached on purchase {self.purchase_id}"


class StageRule(models.Model):
    """When a customer moves to a stage: on an interaction matching ``match``, a
    sale, a milestone, or after so many days in a stage; only from ``from_stages``
    (any stage when empty). Rules are tried in ``position`` order; the first that
    applies moves the customer."""

    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    match = models.JSONField(default=dict, blank=True)
    # For a milestone trigger: the milestone's key; blank for any milestone.
    milestone_key = models.CharField(max_length=40, blank=True)
    days = models.PositiveIntegerField(null=True, blank=True)
    from_stages = models.JSONField(default=list, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trigger__in=Trigger.values), name="stage_rule_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(to_stage__in=Stage.values), name="stage_rule_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageVisit(models.Model):
    """A stretch of time a customer spent in one stage: the journey, one row a stage."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="stage_visits"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices)
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # Why: the rule's name, or who set it by hand and their note.
    cause = models.CharField(max_length=300)
    rule = models.ForeignKey(
        StageRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(left_at__isnull=True), name="stage_one_current"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="stage_visit_stage_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "entered_at"], name="stage_visit_customer"),
            models.Index(fields=["stage", "entered_at"], name="stage_visit_stage"),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} in {self.stage} from {self.entered_at:%Y-%m-%d}"


class HealthWeight(models.Model):
    """An administrator's weight for one component of the health score."""

    component = models.CharField(max_length=20, choices=Component.choices, unique=True)
    weight = models.FloatField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="health_weight_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.weight}"
