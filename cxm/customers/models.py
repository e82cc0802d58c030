from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cxm.customers.enums import (
    CustomerKind,
    IdentityKind,
    MatchMethod,
    MergeAction,
    MergeProposalStatus,
)


class Account(models.Model):
    """The organisation a business customer belongs to."""

    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """The unified profile: one person, whatever channel they used."""

    display_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(
        max_length=20, choices=CustomerKind.choices, default=CustomerKind.UNKNOWN
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    # A merged customer keeps its row so that an un-merge can bring it back
    # exactly as it was; it points at the customer it now lives in.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )
    # The team that works this customer; agents and supervisors see only their
    # teams' customers and those no team owns yet.
    team = models.ForeignKey(
        "access.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    # Weaker details that probabilistic matching compares; filled from the first
    # interaction that carries them, never overwritten by a later one.
    birth_date = models.DateField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["display_name"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="customer_not_merged_into_self"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or f"Customer {self.pk}"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class Identity(models.Model):
    """A strong identifier (email, phone, CRM id, social handle) of one customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    value_raw = models.CharField(max_length=320)
    value_normalized = models.CharField(max_length=320)
    source = models.ForeignKey(
        "connectors.Source", on_delete=models.PROTECT, related_name="identities"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value_normalized"], name="identity_unique_value"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=IdentityKind.values), name="identity_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["customer", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value_normalized}"


class MergeProposal(models.Model):
    """Two customers that one interaction's identifiers tied together.

    CXM never merges such customers silently: a person reviews the proposal.
    ``customer_low`` always holds the smaller id so that a pair is proposed once.
    """

    customer_low = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_high = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=20, choices=MergeProposalStatus.choices, default=MergeProposalStatus.PENDING
    )
    reason = models.TextField()
    # identifier: one message carried identifiers of both, evidence lists them;
    # probabilistic: the match model scored the pair, evidence lists each
    # comparison's level and weight, score is the match probability.
    method = models.CharField(
        max_length=20, choices=MatchMethod.choices, default=MatchMethod.IDENTIFIER
    )
    score = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=list)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who decided, as the merge history shows it: a user name, an API token's
    # label, or "CXM" for the match model's automatic merges.
    decided_by_label = models.CharField(max_length=150, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer_low", "customer_high"], name="merge_proposal_unique_pair"
            ),
            models.CheckConstraint(
                condition=Q(customer_low__lt=models.F("customer_high")),
                name="merge_proposal_ordered_pair",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"Proposal {self.customer_low_id} + {self.customer_high_id} ({self.status})"


class MergeEvent(models.Model):
    """Audit row for every merge and un-merge: who, when, why, and what moved."""

    action = models.CharField(max_length=10, choices=MergeAction.choices)
    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    reason = models.TextField()
    proposal = models.ForeignKey(
        MergeProposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    moved_identity_ids = models.JSONField(default=list)
    moved_interaction_ids = models.JSONField(default=list)
    # What the merged customer looked like, so an un-merge restores it exactly.
    merged_snapshot = models.JSONField(default=dict)
    undone_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undoes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.merged_id} into {self.survivor_id}"


class MatchRecord(models.Model):
    """A live customer as the match model compares it, with its blocking keys.

    Kept in step with the customer at ingest, merge, un-merge and erasure, so
    that a new customer is compared with the few customers that share a
    blocking key, found through an index, instead of with every customer.
    Empty means unknown.
    """

    customer = models.OneToOneField(
        Customer, primary_key=True, on_delete=models.CASCADE, related_name="match_record"
    )
    first_name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100, blank=True)
    dob = models.CharField(max_length=10, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    email_local = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    # Compound blocking keys; the single-column ones (dob, email_local, phone)
    # are indexed as they are.
    name_key = models.CharField(max_length=110, blank=True)  # surname|first initial
    postcode_key = models.CharField(max_length=30, blank=True)  # postcode|surname initial
    place_key = models.CharField(max_length=210, blank=True)  # first name|city

    class Meta:
        indexes = [
            models.Index(fields=["name_key"], name="match_name_key"),
            models.Index(fields=["dob"], name="match_dob"),
            models.Index(fields=["postcode_key"], name="match_postcode_key"),
            models.Index(fields=["email_local"], name="match_email_local"),
            models.Index(fields=["phone"], name="match_phone"),
            models.Index(fields=["place_key"], name="match_place_key"),
        ]

    def __str__(self) -> str:
        return f"Match record of customer {self.customer_id}"


class MatchModel(models.Model):
    """A match model trained without labels on this deployment's customers.

    The newest one scores new customers at ingest; ``cxm dedupe`` trains one.
    ``parameters`` holds, for each comparison, its column, levels and the m
    and u probability of each level.
    """

    trained_at = models.DateTimeField(auto_now_add=True)
    customers = models.PositiveIntegerField()
    candidate_pairs = models.PositiveBigIntegerField()
    prior = models.FloatField()
    parameters = models.JSONField()

    class Meta:
        ordering = ["-trained_at", "-id"]
        get_latest_by = ["trained_at", "id"]

    def __str__(self) -> str:
        return f"Match model {self.pk} ({self.customers:,} customers)"


class MatchFrequency(models.Model):
    """How common a value is among customers, for term-frequency adjustment:
    agreeing on a rare surname says more than agreeing on a common one."""

    model = models.ForeignKey(MatchModel, on_delete=models.CASCADE, related_name="frequencies")
    column = models.CharField(max_length=30)
    value = models.CharField(max_length=320)
    share = models.FloatField()

    class Meta:
        verbose_name_plural = "match frequencies"
        constraints = [
            models.UniqueConstraint(
                fields=["model", "column", "value"], name="match_frequency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.column}={self.value}: {self.share:.6f}"
