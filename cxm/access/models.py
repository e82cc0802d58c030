from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cxm.access.enums import AuditAction, Role


class Team(models.Model):
    """A group of agents who work the same customers (a region, a segment)."""

    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A console user's role, and for team-scoped roles the teams they work.

    A user without a membership has no role and may do nothing (superusers
    excepted: they act as administrators).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class AuditEvent(models.Model):
    """Who did what to which object, when and from where.

    Append-only for the application: database triggers refuse every UPDATE and
    every DELETE except the retention purge (see ``AuditPurgePermit``). The
    detail holds ids and counts, never a customer's personal data, so that the
    trail survives an erasure without keeping what was erased.
    """

    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditPurgePermit(models.Model):
    """Lets the retention task delete audit rows older than ``before``.

    The database triggers allow a DELETE on the audit table only while a permit
    row covers it; the retention service writes one, purges and removes it in
    the same transaction, so no other code path can delete audit rows.
    """

    before = models.DateTimeField()

    def __str__(self) -> str:
        return f"audit purge before {self.before:%Y-%m-%d}"


class ScheduledRun(models.Model):
    """When each periodic job was last queued, so that several workers queue it once."""

    name = models.CharField(max_length=100, unique=True)
    last_queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} (last queued {self.last_queued_at:%Y-%m-%d %H:%M})"
