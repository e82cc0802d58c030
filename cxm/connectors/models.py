from __future__ import annotations

from django.db import models
from django.db.models import Q


class Source(models.Model):
    """A system that sends CXM data: a helpdesk, a phone switch, the CRM, a file."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TokenScope(models.TextChoices):
    INGEST = "ingest", "Ingest only"
    READ = "read", "Read"
    ADMIN = "admin", "Admin"


class ApiToken(models.Model):
    """A bearer token owned by a source. Only the SHA-256 of the secret is kept."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="tokens")
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.INGEST)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # None: until revoked. A rotated token keeps working until its grace ends.
    expires_at = models.DateTimeField(null=True, blank=True)
    rotated_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotated_from"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=TokenScope.values), name="token_scope_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.source.name}, {self.scope})"


class ImportRun(models.Model):
    """Progress of one ``cxm import`` of one file, committed with each chunk.

    A run that was interrupted starts again from ``byte_offset``; the rejected
    rows file is cut back to ``rejects_offset`` so nothing is written twice.
    """

    path = models.CharField(max_length=1000)
    fingerprint = models.CharField(max_length=64)
    file_format = models.CharField(max_length=10)
    byte_offset = models.BigIntegerField(default=0)
    line_number = models.BigIntegerField(default=0)
    rejects_offset = models.BigIntegerField(default=0)
    accepted = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["path", "fingerprint"], name="import_run_unique_file")
        ]

    def __str__(self) -> str:
        return f"Import of {self.path}"
