from django.db import models


class SurveyKind(models.TextChoices):
    NPS = "nps", "Net Promoter Score (0-10)"
    CSAT = "csat", "Customer satisfaction (1-5)"
    CES = "ces", "Customer effort (1-7)"


# The answer scale of each kind of survey, both ends included.
SCALES: dict[str, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}


class Trigger(models.TextChoices):
    CASE_RESOLVED = "case_resolved", "Case resolved"
    ONBOARDING_MILESTONE = "onboarding_milestone", "Onboarding milestone reached"
    RELATIONSHIP = "relationship", "Periodic relationship survey"
    BULK = "bulk", "Sent in bulk"


class InvitationStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    DISPLAYED = "displayed", "Opened"
    RESPONDED = "responded", "Answered"
    DISMISSED = "dismissed", "Dismissed"


class RespondentRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", "Decision maker"
    DAY_TO_DAY = "day_to_day", "Day-to-day user"
    OTHER = "other", "Other"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
