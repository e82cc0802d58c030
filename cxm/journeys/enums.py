from django.db import models


class Stage(models.TextChoices):
    """The customer's place in the relationship, cradle to grave."""

    PROSPECT = "prospect", "Prospect"
    SALE = "sale", "Sale"
    ONBOARDING = "onboarding", "Onboarding and installation"
    ADOPTION = "adoption", "Adoption"
    STEADY = "steady", "Steady service"
    RENEWAL = "renewal", "Renewal"
    CHURNED = "churned", "Churned"
    WON_BACK = "won_back", "Won back"


# The order of the stage funnel.
FUNNEL = (
    Stage.PROSPECT,
    Stage.SALE,
    Stage.ONBOARDING,
    Stage.ADOPTION,
    Stage.STEADY,
    Stage.RENEWAL,
)


class Trigger(models.TextChoices):
    """What a stage rule reacts to."""

    INTERACTION = "interaction", "An interaction matching the rule"
    SALE = "sale", "A sale recorded"
    MILESTONE = "milestone", "An onboarding milestone reached"
    DAYS_IN_STAGE = "days_in_stage", "Days spent in the stage"


class Component(models.TextChoices):
    """The parts of the customer health score."""

    PROMISES = "promises", "Promises"
    TIME_TO_VALUE = "time_to_value", "Time to value"
    SENTIMENT = "sentiment", "Sentiment trend"
    CONTACT = "contact", "Contact frequency"
    CASES = "cases", "Open cases"
    SURVEYS = "surveys", "Survey answers"
