from __future__ import annotations

from django.db import models
from django.db.models import Q

from cxm.interactions.enums import Channel


class CharterEntry(models.Model):
    """One line of the public channel charter: how to reach us there, when, for what,
    and how fast we promise to answer (in business time)."""

    channel = models.CharField(max_length=20, choices=Channel.choices, unique=True)
    name = models.CharField(max_length=100)
    how_to_reach = models.CharField(max_length=300)
    # A business calendar (``cxm.cases.hours`` JSON form): when the channel is staffed.
    hours = models.JSONField()
    handles = models.TextField(help_text="What problems this channel is the right place for.")
    does_not_handle = models.TextField(blank=True)
    target_first_response_minutes = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "channel"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_first_response_minutes__gt=0),
                name="charter_target_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name
