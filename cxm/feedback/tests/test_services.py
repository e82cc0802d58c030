"""Invitations under the contact policy, answers, dismissals and the closed loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.customers.models import Customer
from cxm.errors import Conflict, ValidationFailed
from cxm.feedback import metrics, policy, services
from cxm.feedback.enums import FollowUpStatus, InvitationStatus, SurveyKind, Trigger
from cxm.feedback.models import FollowUp, Invitation, Response, Survey

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def survey(db: None) -> Survey:
    return services.survey_create(
        name="Relationship", kind=SurveyKind.NPS, question="How likely…?", comment_question="Why?"
    )


def _customers(count: int, **fields: str) -> list[Customer]:
    return [Customer.objects.create(display_name=f"C{i}", **fields) for i in range(count)]


def test_a_customer_is_not_invited_twice_within_the_cooldown_across_surveys(
    survey: Survey,
) -> None:
    other = services.survey_create(name="After support", kind=SurveyKind.CSAT, question="Happy?")
    [customer] = _customers(1)
    first = services.invitations_send(survey=survey, customer_ids=[customer.pk], now=NOW)
    assert len(first.invited) == 1

    again = services.invitations_send(
        survey=other, customer_ids=[customer.pk], now=NOW + timedelta(days=29, hours=23)
    )
    assert again.invited == []
    assert again.held_back == [
        (
            customer.pk,
            "already invited on 2026-11-02; no customer is asked more than once in 30 days",
        )
    ]

    later = services.invitations_send(
        survey=other, customer_ids=[customer.pk], now=NOW + timedelta(days=30, minutes=1)
    )
    assert [i.customer_id for i in later.invited] == [customer.pk]


def test_the_cooldown_follows_the_setting(survey: Survey, settings: object) -> None:
    settings.CXM_SURVEY_COOLDOWN_DAYS = 7  # type: ignore[attr-defined]
    [customer] = _customers(1)
    services.invitations_send(survey=survey, customer_ids=[customer.pk], now=NOW)
    report = services.invitations_send(
        survey=survey, customer_ids=[customer.pk], now=NOW + timedelta(days=8)
    )
    assert len(report.invited) == 1


def test_nobody_with_an_open_complaint_is_invited_and_the_rule_is_pluggable(
    survey: Survey,
) -> None:
    a, b, c = _customers(3)
    # An unhappy answer opens a follow-up: an open complaint until it is closed.
    invitation = services.invitations_send(survey=survey, customer_ids=[a.pk], now=NOW).invited[0]
    services.response_record(invitation=invitation, score=2, now=NOW)

    # Another part of CXM (cases, say) adds its own source of complaints.
    @policy.complaint_source("open case")
    def _cases(ids: list[int]) -> set[int]:
        return {b.pk} & set(ids)

    try:
        csat = services.survey_create(name="CSAT", kind=SurveyKind.CSAT, question="Happy?")
        report = services.invitations_send(
            survey=csat, customer_ids=[a.pk, b.pk, c.pk], now=NOW + timedelta(days=40)
        )
    finally:
        policy._complaint_sources.pop("open case")
    assert [i.customer_id for i in report.invited] == [c.pk]
    assert report.held_back == [
        (
            a.pk,
            "has an open complaint (unresolved survey follow-up); asking now would be tone-deaf",
        ),
        (b.pk, "has an open complaint (open case); asking now would be tone-deaf"),
    ]


def test_daily_caps_per_survey_and_in_all(survey: Survey, settings: object) -> None:
    customers = _customers(10)
    survey.daily_cap = 3
    survey.save()
    report = services.invitations_send(
        survey=survey, customer_ids=[c.pk for c in customers[:5]], now=NOW
    )
    assert len(report.invited) == 3
    assert [reason for _, reason in report.held_back] == [
        "the daily cap of invitations is reached"
    ] * 2
    # The next day the cap starts again.
    report = services.invitations_send(
        survey=survey, customer_ids=[c.pk for c in customers[3:5]], now=NOW + timedelta(days=1)
    )
    assert len(report.invited) == 2

    settings.CXM_SURVEY_DAILY_CAP = 1  # type: ignore[attr-defined]
    other = services.survey_create(name="CES", kind=SurveyKind.CES, question="Easy?")
    report = services.invitations_send(
        survey=other, customer_ids=[c.pk for c in customers[5:]], now=NOW + timedelta(days=2)
    )
    assert len(report.invited) == 1


def test_merged_erased_and_unknown_customers_are_held_back(survey: Survey) -> None:
    kept, merged = _customers(2)
    merged.merged_into = kept
    merged.save()
    erased = Customer.objects.create(display_name="", erased_at=NOW)
    report = services.invitations_send(
        survey=survey,
        customer_ids=[merged.pk, erased.pk, 10**9, kept.pk, kept.pk, -5, 2**64],
        now=NOW,
    )
    assert [i.customer_id for i in report.invited] == [kept.pk]
    assert report.held_back == [
        (merged.pk, f"merged into customer {kept.pk}; invite that customer"),
        (erased.pk, "this customer's data was erased"),
        (10**9, "no such customer"),
        (-5, "no such customer"),
        (2**64, "no such customer"),
    ]


def test_an_invitation_keeps_the_customer_segments_and_the_triggers_extras(
    survey: Survey,
) -> None:
    [customer] = _customers(1, kind="business", city="Leeds")
    invitation = services.invitations_send(
        survey=survey,
        customer_ids=[customer.pk],
        segments={customer.pk: {"plan": "Fibre 500"}},
        now=NOW,
    ).invited[0]
    assert invitation.segments == {
        "kind": "business",
        "region": "Leeds",
        "account_size": "no account",
        "plan": "Fibre 500",
    }
    assert invitation.channel == "web"  # no email or phone known
    assert invitation.expires_at == NOW + timedelta(days=14)
    assert len(invitation.token) >= 40


def test_an_event_sends_the_surveys_waiting_for_it(db: None) -> None:
    csat = services.survey_create(
        name="After support", kind=SurveyKind.CSAT, question="Happy?", triggers=["case_resolved"]
    )
    services.survey_create(
        name="Onboarding", kind=SurveyKind.CES, question="Easy?", triggers=["onboarding_milestone"]
    )
    [customer] = _customers(1)
    invited = services.survey_trigger(
        trigger=Trigger.CASE_RESOLVED, customer_id=customer.pk, now=NOW
    )
    assert [(i.survey_id, i.trigger) for i in invited] == [(csat.pk, "case_resolved")]
    # The same event an hour later asks nobody: the cooldown holds.
    assert (
        services.survey_trigger(
            trigger=Trigger.CASE_RESOLVED, customer_id=customer.pk, now=NOW + timedelta(hours=1)
        )
        == []
    )
    with pytest.raises(ValidationFailed, match="unknown trigger 'birthday'"):
        services.survey_trigger(trigger="birthday", customer_id=customer.pk)


def test_a_survey_refuses_bad_settings(db: None) -> None:
    with pytest.raises(ValidationFailed, match="unknown survey kind 'stars'"):
        services.survey_create(name="x", kind="stars", question="?")
    with pytest.raises(ValidationFailed, match="unknown trigger 'bulk'"):
        services.survey_create(name="x", kind="nps", question="?", triggers=["bulk"])
    with pytest.raises(ValidationFailed, match="needs a name and a question"):
        services.survey_create(name=" ", kind="nps", question="?")


def test_the_journey_of_an_invitation_is_recorded_step_by_step(survey: Survey) -> None:
    [customer] = _customers(1)
    report = services.invitations_send(survey=survey, customer_ids=[customer.pk], now=NOW)
    invitation = report.invited[0]
    assert invitation.status == InvitationStatus.INVITED
    services.invitation_display(invitation=invitation, now=NOW + timedelta(hours=1))
    services.invitation_display(invitation=invitation, now=NOW + timedelta(hours=2))
    invitation.refresh_from_db()
    assert invitation.displayed_at == NOW + timedelta(hours=1)  # the first opening counts
    response = services.response_record(
        invitation=invitation,
        score="9",
        comment="  Quick and friendly  ",
        role="day_to_day",
        now=NOW + timedelta(hours=3),
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.responded_at) == (
        InvitationStatus.RESPONDED,
        NOW + timedelta(hours=3),
    )
    assert (response.score, response.comment, response.role) == (
        9,
        "Quick and friendly",
        "day_to_day",
    )
    assert response.sentiment_label == "positive"
    assert response.sentiment_model
    with pytest.raises(Conflict, match="already been answered"):
        services.response_record(invitation=invitation, score=3)
    with pytest.raises(Conflict, match="already been answered"):
        services.invitation_dismiss(invitation=invitation)
    assert Response.objects.count() == 1
    assert not FollowUp.objects.exists()  # a promoter needs no call back


@pytest.mark.parametrize(
    ("kind", "score", "message"),
    [
        ("nps", "11", "choose a score from 0 to 10"),
        ("nps", "-1", "choose a score from 0 to 10"),
        ("nps", "nine", "choose a score from 0 to 10"),
        ("csat", "0", "choose a score from 1 to 5"),
        ("ces", "8", "choose a score from 1 to 7"),
        ("nps", "", "choose a score from 0 to 10"),
    ],
)
def test_a_score_off_the_scale_is_refused_and_nothing_is_stored(
    db: None, kind: str, score: str, message: str
) -> None:
    survey = services.survey_create(name="S", kind=kind, question="?")
    [customer] = _customers(1)
    invitation = services.invitations_send(survey=survey, customer_ids=[customer.pk]).invited[0]
    with pytest.raises(ValidationFailed, match=message):
        services.response_record(invitation=invitation, score=score)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.INVITED
    assert not Response.objects.exists()


def test_a_closed_invitation_takes_no_answer(survey: Survey) -> None:
    [customer] = _customers(1)
    report = services.invitations_send(survey=survey, customer_ids=[customer.pk], now=NOW)
    invitation = report.invited[0]
    with pytest.raises(Conflict, match="This survey has closed"):
        services.response_record(invitation=invitation, score=8, now=NOW + timedelta(days=15))
    services.invitation_dismiss(invitation=invitation, now=NOW)
    with pytest.raises(Conflict, match="You chose not to answer"):
        services.response_record(invitation=invitation, score=8, now=NOW)


def test_a_dismissal_is_never_a_response_nor_in_any_denominator(survey: Survey) -> None:
    customers = _customers(10)
    invited = services.invitations_send(
        survey=survey, customer_ids=[c.pk for c in customers], now=NOW
    ).invited
    for invitation in invited[:8]:
        services.invitation_display(invitation=invitation, now=NOW)
    for invitation, score in zip(invited[:4], (10, 9, 9, 3), strict=True):
        services.response_record(invitation=invitation, score=score, now=NOW)
    for invitation in invited[4:7]:  # "no thanks", after seeing it
        services.invitation_dismiss(invitation=invitation, now=NOW)
    # A dismissal straight from the invitation (never displayed) is counted as displayed:
    # the customer saw enough to say no.
    services.invitation_dismiss(invitation=invited[9], now=NOW)

    summary = metrics.survey_summary(survey=survey)
    assert summary.n == 4
    assert summary.headline.value == 50.0  # (3 promoters - 1 detractor) / 4 answers
    funnel = summary.funnel
    assert (funnel.invited, funnel.displayed, funnel.responded, funnel.dismissed) == (
        10,
        9,
        4,
        4,
    )
    assert funnel.rates["overall_rate"].value == 40.0  # 4 of 10 invited, dismissals not removed
    assert round(funnel.rates["response_rate"].value, 3) == 44.444  # 4 of 9 displayed


def test_a_detractor_and_an_unhappy_csat_open_a_follow_up_with_owner_and_due_date(
    db: None,
) -> None:
    team = access_services.team_get_or_create(name="North")
    busy = User.objects.create_user("busy")
    access_services.membership_set(user=busy, role=Role.SUPERVISOR, teams=[team])
    free = User.objects.create_user("free")
    access_services.membership_set(user=free, role=Role.SUPERVISOR, teams=[team])
    elsewhere = User.objects.create_user("elsewhere")
    access_services.membership_set(user=elsewhere, role=Role.SUPERVISOR)
    nps = services.survey_create(name="NPS", kind=SurveyKind.NPS, question="?")
    csat = services.survey_create(name="CSAT", kind=SurveyKind.CSAT, question="?")
    customers = _customers(6, team=team)  # type: ignore[arg-type]
    invitations = services.invitations_send(
        survey=nps, customer_ids=[c.pk for c in customers[:4]], now=NOW
    ).invited
    invitations += services.invitations_send(
        survey=csat, customer_ids=[c.pk for c in customers[4:]], now=NOW
    ).invited
    for invitation, score in zip(invitations, (6, 7, 0, 10, 2, 3), strict=True):
        services.response_record(invitation=invitation, score=score, now=NOW)

    follow_ups = list(FollowUp.objects.order_by("pk"))
    assert [(f.reason, f.due_at) for f in follow_ups] == [
        ("NPS 6: a detractor", NOW + timedelta(days=2)),
        ("NPS 0: a detractor", NOW + timedelta(days=2)),
        ("CSAT 2 of 5: dissatisfied", NOW + timedelta(days=2)),
    ]
    # The team's supervisors share the load, fewest open first.
    assert [f.owner.username for f in follow_ups if f.owner] == ["busy", "free", "busy"]


def test_closing_a_follow_up_needs_what_was_done(survey: Survey) -> None:
    [customer] = _customers(1)
    invitation = services.invitations_send(survey=survey, customer_ids=[customer.pk]).invited[0]
    services.response_record(invitation=invitation, score=1)
    follow_up = FollowUp.objects.get()
    with pytest.raises(ValidationFailed, match="say what was done"):
        services.follow_up_close(follow_up=follow_up, outcome="  ", actor=None)
    closed = services.follow_up_close(
        follow_up=follow_up, outcome="Called back; engineer booked for Monday", actor=None, now=NOW
    )
    assert (closed.status, closed.closed_at, closed.closed_by_label) == (
        FollowUpStatus.DONE,
        NOW,
        "CXM",
    )
    with pytest.raises(Conflict, match="already done"):
        services.follow_up_close(follow_up=follow_up, outcome="again", actor=None)
    assert Invitation.objects.count() == 1


def test_a_relationship_survey_sends_a_random_daily_share_of_the_base(db: None) -> None:
    survey = services.survey_create(
        name="Relationship", kind=SurveyKind.NPS, question="?", triggers=["relationship"]
    )
    services.survey_create(name="Ad hoc", kind=SurveyKind.NPS, question="?")
    customers = _customers(200)
    first = services.relationship_waves_send(now=NOW)
    # 200 customers over a 90-day cycle: 3 a day, none asked twice within the cooldown.
    assert first == {"Relationship": 3}
    second = services.relationship_waves_send(now=NOW + timedelta(days=1))
    assert second == {"Relationship": 3}
    invited = list(Invitation.objects.values_list("customer_id", flat=True))
    assert len(set(invited)) == 6
    assert set(invited) <= {c.pk for c in customers}
    assert set(Invitation.objects.values_list("survey_id", flat=True)) == {survey.pk}


def test_comments_and_labelled_texts_go_with_the_interaction_texts_retention(
    survey: Survey, settings: object
) -> None:
    from cxm.access import retention
    from cxm.insights import services as insight_services
    from cxm.insights.models import LabelledText

    settings.CXM_RETAIN_INTERACTION_TEXT_DAYS = 365  # type: ignore[attr-defined]
    settings.CXM_RETAIN_AUDIT_DAYS = None  # type: ignore[attr-defined]
    old, new = _customers(2)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    first = services.invitations_send(survey=survey, customer_ids=[old.pk], now=long_ago)
    services.response_record(invitation=first.invited[0], score=9, comment="Lovely", now=long_ago)
    second = services.invitations_send(survey=survey, customer_ids=[new.pk])
    services.response_record(invitation=second.invited[0], score=9, comment="Still lovely")
    insight_services.sentiment_labels_record(
        labels=[insight_services.LabelIn(label="positive", text="lovely")],
        actor=None,
        now=long_ago,
    )
    insight_services.sentiment_labels_record(
        labels=[insight_services.LabelIn(label="positive", text="still lovely")], actor=None
    )

    counts = retention.retention_apply()

    assert (counts["survey_comments"], counts["labelled_texts"]) == (1, 1)
    assert sorted(Response.objects.values_list("score", "comment")) == [
        (9, ""),
        (9, "Still lovely"),
    ]
    assert list(LabelledText.objects.values_list("text", flat=True)) == ["still lovely"]


def test_a_mean_interval_stays_on_its_scale(db: None) -> None:
    survey = services.survey_create(name="CSAT", kind=SurveyKind.CSAT, question="?")
    customers = _customers(4)
    invited = services.invitations_send(survey=survey, customer_ids=[c.pk for c in customers])
    for invitation, score in zip(invited.invited, (5, 4, 2, 5), strict=True):
        services.response_record(invitation=invitation, score=score)
    headline = metrics.survey_summary(survey=survey).headline
    # The t interval of 5, 4, 2, 5 is 4 ± 3.182 · 1.414 / 2 = 1.750 to 6.250;
    # a CSAT cannot pass 5.
    assert (headline.value, round(headline.low, 3), headline.high) == (4.0, 1.750, 5)


def test_the_relationship_sample_leaves_out_whom_the_policy_holds_back_on_that_day(
    db: None,
) -> None:
    survey = services.survey_create(
        name="Relationship", kind=SurveyKind.NPS, question="?", triggers=["relationship"]
    )
    ann, bob = _customers(2)
    services.invitations_send(survey=survey, customer_ids=[ann.pk], trigger="relationship", now=NOW)

    # The day after, Ann is within the 30 days; long after NOW, neither is.
    assert services.relationship_sample(survey=survey, size=2, now=NOW + timedelta(days=1)) == [
        bob.pk
    ]
    assert sorted(
        services.relationship_sample(survey=survey, size=2, now=NOW + timedelta(days=40))
    ) == sorted([ann.pk, bob.pk])


def test_what_sits_on_a_merged_row_holds_back_the_person_it_was_merged_into(
    survey: Survey,
) -> None:
    ann, ann_again, bob, bob_again, cy = _customers(5)
    # Ann's second profile was asked a week ago; Bob's second profile answered
    # with a complaint still open; then each was found to be the same person.
    services.invitations_send(survey=survey, customer_ids=[ann_again.pk], now=NOW)
    invitation = services.invitations_send(
        survey=survey, customer_ids=[bob_again.pk], now=NOW - timedelta(days=60)
    ).invited[0]
    services.response_record(invitation=invitation, score=1, now=NOW - timedelta(days=60))
    for row, person in ((ann_again, ann), (bob_again, bob)):
        row.merged_into = person
        row.save()

    report = services.invitations_send(
        survey=survey, customer_ids=[ann.pk, bob.pk, cy.pk], now=NOW + timedelta(days=7)
    )

    assert [i.customer_id for i in report.invited] == [cy.pk]
    assert report.held_back == [
        (
            ann.pk,
            "already invited on 2026-11-02; no customer is asked more than once in 30 days",
        ),
        (
            bob.pk,
            "has an open complaint (unresolved survey follow-up); asking now would be tone-deaf",
        ),
    ]


def test_the_relationship_sample_judges_the_base_a_part_at_a_time(
    survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers = _customers(30)
    held = [c.pk for c in customers[::3]]
    services.invitations_send(survey=survey, customer_ids=held, now=NOW)
    later = NOW + timedelta(days=1)
    whole = services.relationship_sample(survey=survey, size=12, seed=7, now=later)

    monkeypatch.setattr(policy, "CHUNK", 4)
    judged: list[int] = []
    real = policy.held_back

    def counted(ids: list[int], *, now: datetime) -> dict[int, str]:
        judged.extend(ids)
        return real(ids, now=now)

    monkeypatch.setattr(policy, "held_back", counted)
    parts = services.relationship_sample(survey=survey, size=3, seed=7, now=later)

    assert len(whole) == 12 and not set(whole) & set(held)
    assert parts == whole[:3]  # the same random order, cut short
    assert len(judged) == 6, judged  # one part of twice the sample was enough, not all 30
