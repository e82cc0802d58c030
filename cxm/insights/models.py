"""What analysts teach CXM about its customers' language, and what it learned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cxm.insights.enums import ModelChoice, SentimentLabel


class LabelledText(models.Model):
    """An analyst's sentiment for one text: a correction or a fresh label.

    The text is kept as it was labelled, so that a model can be refitted from
    the labels alone; it is erased with the customer it came from.
    """

    interaction = models.OneToOneField(
        "interactions.Interaction",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labelled_text",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="labelled_texts",
    )
    text = models.TextField()
    label = models.CharField(max_length=10, choices=SentimentLabel.choices)
    # What CXM said before the correction, so that its mistakes can be counted.
    predicted = models.CharField(max_length=10, blank=True)
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    labelled_by_label = models.CharField(max_length=150)
    labelled_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(label__in=SentimentLabel.values), name="labelled_text_label_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:40]}"


class SentimentModelRun(models.Model):
    """One training of the learned model, judged on labels it did not see."""

    trained_at = models.DateTimeField()
    # The labels with an id up to this one existed; the split below is drawn from them.
    last_label_id = models.BigIntegerField()
    labels = models.PositiveIntegerField()
    held_out = models.PositiveIntegerField()
    seed = models.IntegerField(default=0)
    baseline = models.JSONField()  # the evaluation of the baseline on the held-out labels
    learned = models.JSONField()  # and of the learned model
    chosen = models.CharField(max_length=10, choices=ModelChoice.choices)
    why = models.CharField(max_length=300)

    class Meta:
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"sentiment model {self.pk} ({self.chosen})"


class Topic(models.Model):
    """One entry of the taxonomy: a rule over words and phrases."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    any_phrases = models.JSONField(default=list)
    all_phrases = models.JSONField(default=list, blank=True)
    none_phrases = models.JSONField(default=list, blank=True)
    near = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class TopicSuggestion(models.Model):
    """A cluster of texts no topic matched, offered as a new topic.

    It keeps the ids of its texts, not the texts: its quotes are read from the
    interactions when shown, so an erasure removes them here too.
    """

    discovered_at = models.DateTimeField()
    terms = models.JSONField()
    phrases = models.JSONField()  # the rule that adopting it would create
    size = models.PositiveIntegerField()
    interaction_ids = models.JSONField()
    quote_ids = models.JSONField()
    adopted = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    dismissed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-discovered_at", "-size", "id"]

    def __str__(self) -> str:
        return ", ".join(self.terms[:3])
