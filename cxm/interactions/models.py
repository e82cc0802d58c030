from __future__ import annotations

from django.db import models
from django.db.models import Q

from cxm.interactions.enums import Channel, Direction


class Interaction(models.Model):
    """One contact between the company and a customer, on any channel.

    Append-only: (source, external_id) identifies it, so a replayed batch
    finds the row already there and changes nothing.
    """

    source = models.ForeignKey(
        "connectors.Source", on_delete=models.PROTECT, related_name="interactions"
    )
    external_id = models.CharField(max_length=255)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="interactions"
    )
    # The identifier through which this interaction reached its customer; an
    # un-merge uses it to send later interactions back to the right person.
    identity = models.ForeignKey(
        "customers.Identity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    occurred_at = models.DateTimeField()
    subject = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField()
    # A notice or a record a system sent (a bill, a reminder, an account change):
    # on the timeline and evidence for promises and journeys, but no case opens for
    # it and it answers none.
    automated = models.BooleanField(default=False, db_default=False)
    # Enrichment of inbound texts at ingest (cxm.insights): the sentiment, the
    # model that gave it, and the keys of the taxonomy's topics that matched.
    sentiment_label = models.CharField(max_length=10, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_model = models.CharField(max_length=40, blank=True)
    topics = models.JSONField(default=list, blank=True)
    # When the enrichment was done (or found nothing to do); None while a large
    # batch's rows wait for the worker.
    enriched_at = models.DateTimeField(null=True, blank=True)
    # When cases took it in (joined or opened a case, answered one, or found
    # none); None until then. Follows enrichment: a case needs the topic.
    routed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="interaction_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="interaction_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="interaction_direction_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline"),
            models.Index(fields=["occurred_at"], name="interaction_occurred"),
            models.Index(
                fields=["id"],
                condition=Q(enriched_at__isnull=True),
                name="interaction_to_enrich",
            ),
            models.Index(
                fields=["occurred_at", "id"],
                condition=Q(routed_at__isnull=True),
                name="interaction_to_route",
            ),
            # The newest inbound texts the learned sentiment model reads unlabelled.
            models.Index(
                fields=["-received_at", "-id"],
                condition=Q(direction=Direction.INBOUND),
                name="interaction_inbound_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} {self.occurred_at:%Y-%m-%d %H:%M}"
