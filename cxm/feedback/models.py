"""Surveys and what became of each invitation.

An invitation moves invited -> displayed -> responded, or to dismissed; each
step keeps its own time, so the funnel can be counted and a dismissal never
passes for an answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cxm.feedback.enums import (
    FollowUpStatus,
    InvitationStatus,
    RespondentRole,
    SurveyKind,
    Trigger,
)
from cxm.interactions.enums import Channel


class Survey(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SurveyKind.choices)
    question = models.CharField(max_length=500)
    # Optional free text after the score ("What is the main reason for your score?").
    comment_question = models.CharField(max_length=500, blank=True)
    ask_role = models.BooleanField(default=True)
    # Events that send this survey by themselves; bulk sends need none.
    triggers = models.JSONField(default=list, blank=True)
    # At most this many invitations a day for this survey (the global cap also applies).
    daily_cap = models.PositiveIntegerField(null=True, blank=True)
    # An invitation's link stops taking answers after this many days.
    answer_days = models.PositiveIntegerField(default=14)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SurveyKind.values), name="survey_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="survey_invitations"
    )
    # The secret in the answer link: whoever holds it may answer once, no login.
    token = models.CharField(max_length=64, unique=True)
    trigger = models.CharField(max_length=30, choices=Trigger.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # The customer's segments when invited (kind, region, account size, and what
    # the trigger knew: plan, journey stage), so that later changes to the
    # customer do not move old answers between segments.
    segments = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.INVITED
    )
    invited_at = models.DateTimeField()
    displayed_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InvitationStatus.values), name="invitation_status_valid"
            ),
            # An answer and a dismissal exclude each other.
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(dismissed_at__isnull=True),
                name="invitation_answered_or_dismissed",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-invited_at"], name="invitation_customer"),
            models.Index(fields=["survey", "invited_at"], name="invitation_survey"),
            models.Index(fields=["invited_at"], name="invitation_day"),
        ]

    def __str__(self) -> str:
        return f"{self.survey} to customer {self.customer_id}"


class Response(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="survey_responses"
    )
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    role = models.CharField(max_length=20, choices=RespondentRole.choices, blank=True)
    sentiment_label = models.CharField(max_length=10, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    sentiment_model = models.CharField(max_length=40, blank=True)
    topics = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=10), name="response_score_range"
            ),
        ]
        indexes = [models.Index(fields=["survey", "created_at"], name="response_survey")]

    def __str__(self) -> str:
        return f"{self.score} on {self.survey}"


class FollowUp(models.Model):
    """The closed loop: a detractor or an unhappy CSAT gets a call back."""

    response = models.OneToOneField(Response, on_delete=models.PROTECT, related_name="follow_up")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="survey_follow_ups"
    )
    reason = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_follow_ups",
    )
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    # What was done, in the words of whoever closed it.
    outcome = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who closed it, also when that was an API token.
    closed_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.OPEN) | ~Q(outcome=""),
                name="follow_up_done_says_what",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="follow_up_queue")]

    def __str__(self) -> str:
        return f"Follow-up of {self.response}"
