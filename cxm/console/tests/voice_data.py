"""A small NPS survey over three months whose good average hides unhappy businesses.

Built with the feedback services, as production builds it: customers are
invited, open the link, answer or say no thanks. 40 business customers answer
mostly 2 to 6, 60 residential ones mostly 9 and 10, so the business segment
(36 answers, the rest 50) is significantly below the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cxm.customers.enums import CustomerKind
from cxm.customers.models import Customer
from cxm.feedback import services
from cxm.feedback.enums import SurveyKind
from cxm.feedback.models import FollowUp, Survey
from cxm.insights import services as insight_services

MONTHS = [
    datetime(2026, 8, 12, 10, tzinfo=UTC),
    datetime(2026, 9, 12, 10, tzinfo=UTC),
    datetime(2026, 10, 12, 10, tzinfo=UTC),
]
BUSINESS_SCORES = [2, 3, 5, 6, 7, 4, 8, 6, 9, 3, 5, 1]
RESIDENTIAL_SCORES = [9, 10, 8, 9, 10, 7, 9, 10, 6, 9]
BUSINESS_COMMENTS = [
    "The invoice was wrong again and nobody called back.",
    "Slow support, the line speed is far below the contract.",
    "Billing errors every month on the invoice.",
    "",
]
RESIDENTIAL_COMMENTS = ["Great service, thank you!", "", "Fast and friendly engineer.", ""]


@dataclass
class VoiceData:
    survey: Survey
    business: list[Customer]
    residential: list[Customer]
    answered: int
    dismissed: int
    displayed_only: int
    invited_only: int

    @property
    def follow_ups(self) -> list[FollowUp]:
        return list(FollowUp.objects.filter(response__survey=self.survey).order_by("due_at", "pk"))


def _customers(kind: str, count: int, prefix: str) -> list[Customer]:
    return [
        Customer.objects.create(display_name=f"{prefix} {n:02d}", kind=kind)
        for n in range(1, count + 1)
    ]


def build_voice_data() -> VoiceData:
    insight_services.topic_save(
        key="billing", name="Billing", any_phrases=["invoice", "billing"], actor=None
    )
    insight_services.topic_save(
        key="speed", name="Speed", any_phrases=["slow", "speed"], actor=None
    )
    insight_services.cache_clear()
    survey = services.survey_create(
        name="Relationship NPS",
        kind=SurveyKind.NPS,
        question="How likely are you to recommend us to a friend or colleague?",
        comment_question="What is the main reason for your score?",
    )
    business = _customers(CustomerKind.BUSINESS, 40, "Business")
    residential = _customers(CustomerKind.RESIDENTIAL, 60, "Home")
    counts = {"answered": 0, "dismissed": 0, "displayed_only": 0, "invited_only": 0}
    # (customers, scores, comments, how many of the last ones dismiss, open only, never open)
    plan = [
        (business, BUSINESS_SCORES, BUSINESS_COMMENTS, 2, 0, 2),
        (residential, RESIDENTIAL_SCORES, RESIDENTIAL_COMMENTS, 4, 3, 3),
    ]
    for customers, scores, comments, dismiss, display_only, never in plan:
        answering = len(customers) - dismiss - display_only - never
        for i, customer in enumerate(customers):
            when = MONTHS[i % len(MONTHS)]
            [invitation] = services.invitations_send(
                survey=survey, customer_ids=[customer.pk], now=when
            ).invited
            if i >= len(customers) - never:
                counts["invited_only"] += 1
                continue
            services.invitation_display(invitation=invitation, now=when + timedelta(hours=1))
            if i < answering:
                services.response_record(
                    invitation=invitation,
                    score=scores[i % len(scores)],
                    comment=comments[i % len(comments)],
                    now=when + timedelta(hours=2),
                )
                counts["answered"] += 1
            elif i < answering + dismiss:
                services.invitation_dismiss(invitation=invitation, now=when + timedelta(hours=2))
                counts["dismissed"] += 1
            else:
                counts["displayed_only"] += 1
    return VoiceData(survey, business, residential, **counts)
