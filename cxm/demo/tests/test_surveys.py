"""Northvale's surveys: a headline NPS that looks good and hides unhappy businesses,
respondents who are not the base, a real funnel and a closed loop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from cxm.customers.models import Customer
from cxm.customers.resolution import model_cache_clear
from cxm.demo import services, surveys
from cxm.feedback import metrics, stats
from cxm.feedback.enums import FollowUpStatus, SurveyKind
from cxm.feedback.models import FollowUp, Invitation, Response, Survey

NOW = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
# Large enough for the business segment to be tested (30 answers and more).
CUSTOMERS, INTERACTIONS = 800, 8000


# First in the file: it needs a database without the module's demo, which is
# loaded when the first test that asks for it runs.
@pytest.mark.django_db
def test_a_small_demo_gets_fewer_answers_and_loads_once() -> None:
    assert not Survey.objects.exists(), "ran after the module's demo was loaded"
    loaded = services.demo_load(customers=60, interactions=800, now=NOW, cases=False)
    assert loaded.surveys.surveys == 3
    assert 0 < loaded.surveys.responded < 100
    counts = (Invitation.objects.count(), Response.objects.count(), FollowUp.objects.count())

    again = services.demo_load(customers=60, interactions=800, now=NOW, cases=False)

    assert again.surveys.existing
    assert counts == (
        Invitation.objects.count(),
        Response.objects.count(),
        FollowUp.objects.count(),
    )


@pytest.fixture(scope="module")
def loaded(django_db_setup: None, django_db_blocker: Any) -> Iterator[services.DemoLoaded]:
    """One demo for the module, in a transaction rolled back at its end.

    Each test runs in a savepoint inside it, so what a test changes goes too.
    """
    with django_db_blocker.unblock(), override_settings(CXM_PHONE_REGION="GB"):
        model_cache_clear()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # The surveys need no cases, and the module loads faster without them.
            yield services.demo_load(
                customers=CUSTOMERS, interactions=INTERACTIONS, now=NOW, cases=False
            )
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            model_cache_clear()


def nps_summary() -> metrics.Summary:
    return metrics.survey_summary(survey=Survey.objects.get(name=surveys.NPS_NAME))


def fingerprint() -> list[tuple[Any, ...]]:
    """Everything the load decided, without the secret tokens and database ids."""
    return sorted(
        Invitation.objects.values_list(
            "survey__name",
            "customer_id",
            "trigger",
            "channel",
            "status",
            "invited_at",
            "displayed_at",
            "response__score",
            "response__comment",
            "response__role",
            "response__follow_up__status",
            "response__follow_up__outcome",
        )
    )


@pytest.mark.django_db
def test_three_surveys_with_months_of_answers(loaded: services.DemoLoaded) -> None:
    assert loaded.surveys == surveys.SurveysLoaded(
        surveys=3,
        invited=1347,
        held_back=246,
        displayed=834,
        responded=539,
        dismissed=137,
        follow_ups_open=10,
        follow_ups_closed=88,
        existing=False,
    )
    kinds = dict(Survey.objects.values_list("name", "kind"))
    assert kinds == {
        surveys.NPS_NAME: SurveyKind.NPS,
        surveys.CSAT_NAME: SurveyKind.CSAT,
        surveys.CES_NAME: SurveyKind.CES,
    }
    nps = Survey.objects.get(name=surveys.NPS_NAME)
    assert nps.comment_question and nps.ask_role
    # Seven monthly waves, the first over six months ago, none in the future.
    waves = sorted({i.date() for i in nps.invitations.values_list("invited_at", flat=True)})
    assert len(waves) == len(surveys.WAVE_DAYS_AGO) == 7
    assert (NOW.date() - waves[0]).days == 203
    assert not Response.objects.filter(created_at__gt=NOW).exists()
    assert Response.objects.filter(survey__kind=SurveyKind.CSAT).count() > 50


@pytest.mark.django_db
def test_the_contact_policy_held_within_and_across_surveys(loaded: services.DemoLoaded) -> None:
    assert loaded.surveys.held_back > 0
    by_customer: dict[int, list[datetime]] = {}
    for customer_id, when in Invitation.objects.values_list("customer_id", "invited_at"):
        by_customer.setdefault(customer_id, []).append(when)
    gaps = [
        (b - a).days
        for times in by_customer.values()
        for a, b in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    assert gaps and min(gaps) >= 30


@pytest.mark.django_db
def test_a_good_headline_hides_unhappy_business_customers(loaded: services.DemoLoaded) -> None:
    summary = nps_summary()
    assert isinstance(summary.headline, stats.NpsInterval)
    assert summary.n == 373
    assert round(summary.headline.value, 1) == 35.9
    assert summary.headline.value > 20

    findings = {(f.segment, f.value): f for f in summary.segments}
    business = findings[("kind", "business")]
    assert business.below
    assert business.score.n == 45
    assert isinstance(business.score, stats.NpsInterval)
    assert business.score.value < -20

    # Within business, the staff who use the service every day answer worse than
    # those who chose it.
    roles: dict[str, list[int]] = {}
    for score, role in Response.objects.filter(
        survey__name=surveys.NPS_NAME, customer__kind="business"
    ).values_list("score", "role"):
        roles.setdefault(role, []).append(score)
    day_to_day = stats.nps_counts(roles["day_to_day"])
    deciders = stats.nps_counts(roles["decision_maker"])
    assert stats.nps_of(day_to_day).value < stats.nps_of(deciders).value - 20


@pytest.mark.django_db
def test_respondents_over_represent_the_happy_home_town(loaded: services.DemoLoaded) -> None:
    summary = nps_summary()
    weighting = summary.weighting
    assert weighting is not None and weighting.weighted is not None
    assert weighting.weighted.value < weighting.unweighted.value - 5
    assert weighting.tests["region"].p_value < 0.05
    assert weighting.tests["kind"].p_value < 0.05

    # The home town is the largest residential town, and half the respondents.
    towns = Counter(
        Customer.objects.filter(merged_into__isnull=True, kind="residential")
        .exclude(city="")
        .values_list("city", flat=True)
    )
    home = towns.most_common(1)[0][0]
    answered = Counter(
        seg["region"]
        for seg in Response.objects.filter(survey__name=surveys.NPS_NAME).values_list(
            "invitation__segments", flat=True
        )
    )
    base = (
        sum(towns.values())
        + Customer.objects.filter(
            merged_into__isnull=True, kind__in=("business", "unknown")
        ).count()
    )
    assert answered[home] / summary.n > 2 * towns[home] / base


@pytest.mark.django_db
def test_the_funnel_has_openings_answers_and_dismissals(loaded: services.DemoLoaded) -> None:
    funnel = nps_summary().funnel
    assert funnel.invited > funnel.displayed > funnel.responded > 0
    assert funnel.dismissed > 0
    assert (funnel.invited, funnel.displayed, funnel.responded, funnel.dismissed) == (
        893,
        565,
        373,
        90,
    )


@pytest.mark.django_db
def test_comments_fit_the_score_and_carry_sentiment_and_topics(
    loaded: services.DemoLoaded,
) -> None:
    commented = Response.objects.filter(survey__name=surveys.NPS_NAME).exclude(comment="")
    detractors = commented.filter(score__lte=6)
    promoters = commented.filter(score__gte=9)
    assert detractors.filter(sentiment_label="negative").count() > detractors.count() / 2
    assert promoters.filter(sentiment_label="positive").count() > promoters.count() / 2
    topics = Counter(t for ts in commented.values_list("topics", flat=True) for t in ts)
    assert {"waiting", "outages", "engineers", "reliability"} <= set(topics)
    business_words = ("office", "account manager", "SLA", "hosted voice", "static IP")
    business = detractors.filter(customer__kind="business").values_list("comment", flat=True)
    assert any(word in text for text in business for word in business_words)


@pytest.mark.django_db
def test_old_follow_ups_are_closed_and_recent_ones_open(loaded: services.DemoLoaded) -> None:
    done = FollowUp.objects.filter(status=FollowUpStatus.DONE)
    open_ = FollowUp.objects.filter(status=FollowUpStatus.OPEN)
    assert done.exists() and open_.exists()
    assert not done.filter(outcome="").exists()
    assert all(f.closed_at is not None and f.created_at < f.closed_at < NOW for f in done)
    old = FollowUp.objects.filter(created_at__lt=NOW - timedelta(days=30))
    assert old.filter(status=FollowUpStatus.DONE).count() > 0.8 * old.count()
    assert open_.filter(due_at__lt=NOW).exists()  # overdue


@pytest.mark.django_db
def test_loading_again_adds_nothing(loaded: services.DemoLoaded) -> None:
    before = (Survey.objects.count(), Invitation.objects.count(), Response.objects.count())
    again = surveys.demo_surveys_load(seed=42, now=NOW)
    assert again.existing
    assert (again.surveys, again.invited, again.responded) == (3, *before[1:])
    assert before == (Survey.objects.count(), Invitation.objects.count(), Response.objects.count())


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_surveys(loaded: services.DemoLoaded) -> None:
    first = fingerprint()
    FollowUp.objects.all().delete()
    Response.objects.all().delete()
    Invitation.objects.all().delete()
    Survey.objects.all().delete()

    again = surveys.demo_surveys_load(seed=42, now=NOW)

    assert again == loaded.surveys
    assert fingerprint() == first
