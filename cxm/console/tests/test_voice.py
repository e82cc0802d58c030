"""The voice-of-the-customer pages, through Django's test client: the dashboard,
the closed loop, sentiment corrections and the topic taxonomy."""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from cxm.access import services as access_services
from cxm.access.enums import Role
from cxm.access.models import Team
from cxm.console.tests.voice_data import VoiceData, build_voice_data
from cxm.customers.models import Customer
from cxm.feedback import services as feedback_services
from cxm.feedback.enums import FollowUpStatus, SurveyKind
from cxm.feedback.models import FollowUp
from cxm.insights import sentiment as sentiment_model
from cxm.insights.models import LabelledText, SentimentModelRun, Topic, TopicSuggestion
from cxm.interactions.enums import Direction
from cxm.interactions.models import Interaction

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase"


def text_of(response: Any) -> str:
    """The page's text without tags, whitespace squashed, as a reader sees it."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def section(response: Any, element_id: str) -> str:
    """The text of the page from the element with ``element_id`` to the next section."""
    page = response.content.decode()
    start = page.index(f'id="{element_id}"')
    end = page.find("<section", start)
    text = re.sub(r"<[^>]+>", " ", page[start : end if end > 0 else None])
    return re.sub(r"\s+", " ", html.unescape(text))


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def north(db: None) -> Team:
    return access_services.team_get_or_create(name="North")


@pytest.fixture
def clients(north: Team) -> dict[str, Client]:
    """A signed-in client for each role, the team-scoped ones in the north team."""
    out = {}
    for role in Role.values:
        user = User.objects.create_user(f"{role}-user", password=PASSWORD)
        access_services.membership_set(user=user, role=role, teams=[north])
        client = Client()
        client.force_login(user)
        out[role] = client
    return out


@pytest.fixture
def data(db: None) -> VoiceData:
    return build_voice_data()


# --------------------------------------------------------------------------
# Who may use what
# --------------------------------------------------------------------------

PAGES = {
    "/voice/": {Role.SUPERVISOR, Role.ANALYST, Role.EXECUTIVE, Role.ADMINISTRATOR},
    "/follow-ups/": {Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR},
    "/sentiment/": {Role.ANALYST, Role.ADMINISTRATOR},
    "/topics/": {Role.ANALYST, Role.ADMINISTRATOR},
}
ACTIONS = {
    "/follow-ups/999999/close/": {Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR},
    "/sentiment/label/": {Role.ANALYST, Role.ADMINISTRATOR},
    "/sentiment/train/": {Role.ANALYST, Role.ADMINISTRATOR},
    "/topics/save/": {Role.ANALYST, Role.ADMINISTRATOR},
    "/topics/discover/": {Role.ANALYST, Role.ADMINISTRATOR},
    "/topics/suggestions/999999/adopt/": {Role.ANALYST, Role.ADMINISTRATOR},
}


@pytest.mark.parametrize("url", [*PAGES, *ACTIONS])
def test_anonymous_visitor_is_sent_to_sign_in(client: Client, url: str) -> None:
    response = client.post(url) if url in ACTIONS else client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", list(PAGES))
def test_each_page_is_for_the_roles_with_its_permission(
    clients: dict[str, Client], url: str
) -> None:
    statuses = {role: client.get(url).status_code for role, client in clients.items()}

    assert {role for role, status in statuses.items() if status == 200} == PAGES[url]
    assert {status for role, status in statuses.items() if role not in PAGES[url]} == {403}


@pytest.mark.parametrize("url", list(ACTIONS))
def test_each_action_is_refused_to_the_roles_without_its_permission(
    clients: dict[str, Client], url: str
) -> None:
    for role, client in clients.items():
        if role not in ACTIONS[url]:
            assert client.post(url).status_code == 403, role
    allowed = clients[sorted(ACTIONS[url])[0]]
    assert allowed.get(url).status_code == 405


def test_the_menu_shows_each_role_its_pages(clients: dict[str, Client]) -> None:
    def menu(role: str) -> list[str]:
        markup = clients[role].get("/customers/").content.decode()
        nav = markup[markup.index("<nav>") : markup.index("</nav>")]
        return re.findall(r'href="(/(?:voice|follow-ups|sentiment|topics)/)"', nav)

    assert menu(Role.AGENT) == ["/follow-ups/"]
    assert menu(Role.SUPERVISOR) == ["/voice/", "/follow-ups/"]
    assert menu(Role.ANALYST) == ["/voice/", "/sentiment/", "/topics/"]
    assert menu(Role.EXECUTIVE) == ["/voice/"]
    assert menu(Role.ADMINISTRATOR) == ["/voice/", "/follow-ups/", "/sentiment/", "/topics/"]


# --------------------------------------------------------------------------
# The dashboard
# --------------------------------------------------------------------------


def test_without_a_survey_the_dashboard_says_how_to_start(clients: dict[str, Client]) -> None:
    response = clients[Role.ANALYST].get("/voice/")

    assert response.status_code == 200
    assert "No survey yet" in text_of(response)


def test_the_headline_never_comes_without_its_interval_and_n(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.EXECUTIVE].get("/voice/")

    headline = section(response, "headline")
    assert "NPS +7 95% CI -12 to +25, n=86" in headline
    assert "Relationship NPS" in headline


def test_the_distribution_draws_every_score_coloured_by_nps_class(
    clients: dict[str, Client], data: VoiceData
) -> None:
    markup = clients[Role.ANALYST].get("/voice/").content.decode()

    bars = re.findall(r'<rect class="bar (\w+)" data-score="(\d+)" data-count="(\d+)"', markup)
    assert [(int(score), css) for css, score, _ in bars] == [
        (0, "detractor"),
        (1, "detractor"),
        (2, "detractor"),
        (3, "detractor"),
        (4, "detractor"),
        (5, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ]
    # Business: 36 answers cycling through 2,3,5,6,7,4,8,6,9,3,5,1; homes: 50 through
    # 9,10,8,9,10,7,9,10,6,9.
    assert [int(count) for _, _, count in bars] == [0, 3, 3, 6, 3, 6, 11, 8, 8, 23, 15]
    assert "Detractors (0-6): 32 (37%)" in markup
    assert "Promoters (9-10): 38 (44%)" in markup


def test_the_business_segment_is_flagged_below_the_rest(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.SUPERVISOR].get("/voice/")

    markup = response.content.decode()
    flagged = re.findall(r'<tr class="below" data-segment="([^"]+)"', markup)
    assert flagged == ["kind=business"]
    segments = section(response, "segments")
    assert (
        "kind = business -67 95% CI -82 to -41, n=36 +60 -127 (95% CI -146 to -91) "
        "significantly below the rest (adjusted p<0.001)"
    ) in segments
    assert "kind = residential +60 95% CI +38 to +75, n=50" in segments
    assert "significantly above the rest" in segments


def test_the_funnel_keeps_dismissals_apart(clients: dict[str, Client], data: VoiceData) -> None:
    response = clients[Role.ANALYST].get("/voice/")

    funnel = section(response, "funnel")
    assert "Invited 100" in funnel
    assert "Displayed 95" in funnel
    assert "Responded 86" in funnel
    assert "Responded of displayed 91% (95% CI 83% to 95%, of 95)" in funnel
    assert "Dismissed: 6" in funnel
    assert "never counted as an answer" in funnel
    by_segment = section(response, "funnel-by-segment")
    assert "kind = business 40 38 36 2 90% (95% CI 76% to 97%, of 40)" in by_segment


def test_each_change_says_whether_it_is_significant_and_no_line_joins_the_months(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.ANALYST].get("/voice/")

    trend = section(response, "trend")
    assert "Aug 2026 0 95% CI -30 to +30, n=29 first month shown" in trend
    assert "Sep 2026 +14 95% CI -18 to +43, n=29 +14 (95% CI -30 to +55): " in trend
    assert "no significant change (p=0.57)" in trend
    assert "no significant change (p=0.79)" in trend
    markup = response.content.decode()
    svg = markup[markup.index('id="trend"') : markup.index('id="periods"')]
    assert svg.count('<circle class="point"') == 3
    assert svg.count('<rect class="band"') == 3
    assert "<polyline" not in svg and "<path" not in svg


def test_weighting_and_representativeness_are_shown_beside_the_raw_figure(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.ANALYST].get("/voice/")

    weighting = section(response, "weighting")
    assert "As answered (unweighted) +7 95% CI -12 to +25, n=86" in weighting
    assert "Weighted to the base on kind, region, account_size +9" in weighting
    assert "Design effect 1.00" in weighting
    assert "kind 0.1 1 p=0.72 no evidence that respondents differ from the base" in weighting


def test_respondents_unlike_the_base_are_called_out(
    clients: dict[str, Client], data: VoiceData
) -> None:
    # 300 more business customers who were never asked: the respondents, 36 businesses
    # of 86, no longer look like a base that is mostly businesses.
    Customer.objects.bulk_create(
        Customer(display_name=f"Firm {n}", kind="business") for n in range(300)
    )

    weighting = section(clients[Role.ANALYST].get("/voice/"), "weighting")

    assert "respondents differ from the customer base" in weighting


def test_drivers_are_drawn_with_their_intervals(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.ANALYST].get("/voice/")

    drivers = section(response, "drivers")
    assert "kind: business 90%" in drivers
    assert "topic: billing 10%" in drivers
    markup = response.content.decode()
    assert markup.count('<rect class="driver-bar"') == 2
    assert markup.count('<line class="whisker"') == 6


def test_verbatims_carry_their_sentiment_and_topics(
    clients: dict[str, Client], data: VoiceData
) -> None:
    verbatims = section(clients[Role.ANALYST].get("/voice/"), "verbatims")

    assert "negative -0.73 billing The invoice was wrong again and nobody called back." in (
        verbatims
    )


def test_the_segment_filter_narrows_every_figure(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.ANALYST].get(f"/voice/?survey={data.survey.pk}&segment=kind=business")

    assert "NPS -67 95% CI -82 to -41, n=36" in section(response, "headline")
    assert '<option value="kind=business" selected>' in response.content.decode()
    assert "Clear the filters" in text_of(response)


def test_the_period_and_channel_filters_narrow_the_answers(
    clients: dict[str, Client], data: VoiceData
) -> None:
    august = clients[Role.ANALYST].get("/voice/?since=2026-08-01&until=2026-08-31")
    by_email = clients[Role.ANALYST].get("/voice/?channel=email")

    assert "n=29" in section(august, "headline")
    assert "Invited 34" in section(august, "funnel")
    assert "NPS — no answers, n=0" in section(by_email, "headline")
    assert "No answers in this selection." in text_of(by_email)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "segment=plan",
            "segment 'plan' is not dimension=value with a dimension among kind, region, "
            "account_size, plan, journey_stage, channel, role; showing every answer instead.",
        ),
        (
            "segment=colour=red",
            "segment 'colour=red' is not dimension=value with a dimension among kind, region, "
            "account_size, plan, journey_stage, channel, role; showing every answer instead.",
        ),
        (
            "since=2026-13-01",
            "'since' must be a date written YYYY-MM-DD, not '2026-13-01'; "
            "showing every answer instead.",
        ),
        (
            "since=2026-10-01&until=2026-09-01",
            "'since' is after 'until'; showing every answer instead.",
        ),
        ("channel=pigeon", "there is no channel 'pigeon'; showing every answer instead."),
    ],
)
def test_a_bad_filter_gets_a_message_not_an_error(
    clients: dict[str, Client], data: VoiceData, query: str, message: str
) -> None:
    response = clients[Role.ANALYST].get(f"/voice/?survey={data.survey.pk}&{query}", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"/voice/?survey={data.survey.pk}", 302)]
    assert messages_of(response) == [message]
    assert "n=86" in section(response, "headline")


def test_a_survey_that_is_not_there_is_404_and_a_word_is_a_message(
    clients: dict[str, Client], data: VoiceData
) -> None:
    assert clients[Role.ANALYST].get("/voice/?survey=999999").status_code == 404
    response = clients[Role.ANALYST].get("/voice/?survey=nps", follow=True)
    assert messages_of(response) == ["'nps' is not a survey number."]


def test_a_csat_survey_shows_its_mean_and_top_box_and_one_answer_has_no_interval(
    clients: dict[str, Client],
) -> None:
    survey = feedback_services.survey_create(
        name="After support", kind=SurveyKind.CSAT, question="How satisfied were you?"
    )
    customers = [Customer.objects.create(display_name=f"C{n}") for n in range(4)]
    invited = feedback_services.invitations_send(
        survey=survey, customer_ids=[c.pk for c in customers]
    ).invited
    for invitation, score in zip(invited, [5, 4, 2, 5], strict=True):
        feedback_services.response_record(invitation=invitation, score=score)

    response = clients[Role.ANALYST].get(f"/voice/?survey={survey.pk}")
    markup = response.content.decode()

    headline = section(response, "headline")
    assert "4.00 95% CI 1.75 to 5.00, n=4" in headline  # cut to the 1-5 scale
    assert "75% (95% CI 29% to 97%, of 4) answered 4 or more." in headline
    assert markup.count('<rect class="bar score"') == 5
    assert "too few answers for an interval, n=1" not in markup

    one = clients[Role.ANALYST].get(f"/voice/?survey={survey.pk}&segment=kind=unknown")
    assert one.status_code == 200


def test_the_chooser_lists_every_survey_and_the_busiest_active_one_is_shown_first(
    clients: dict[str, Client], data: VoiceData
) -> None:
    feedback_services.survey_create(name="After support", kind=SurveyKind.CSAT, question="How?")

    response = clients[Role.ANALYST].get("/voice/")

    markup = response.content.decode()
    assert re.findall(r"<option value=\"\d+\"(?: selected)?>([^<]+)</option>", markup)[:2] == [
        "After support (CSAT, 0 answers)",
        "Relationship NPS (NPS, 86 answers)",
    ]
    assert "Relationship NPS" in section(response, "headline")


# --------------------------------------------------------------------------
# The closed loop
# --------------------------------------------------------------------------


def test_open_follow_ups_are_listed_by_due_date_and_marked_overdue(
    clients: dict[str, Client], data: VoiceData
) -> None:
    response = clients[Role.SUPERVISOR].get("/follow-ups/")

    markup = response.content.decode()
    rows = re.findall(r'<tr id="follow-up-(\d+)" class="(\w*)"', markup)
    follow_ups = data.follow_ups
    # 36 business answers of 6 or less but for the 7s, 8s and 9s, and the homes' 6s.
    assert len(follow_ups) == 32
    assert [int(pk) for pk, _ in rows] == [f.pk for f in follow_ups]
    assert {css for _, css in rows} == {"overdue"}  # all due in the autumn of 2026
    first = follow_ups[0]
    row = section(response, f"follow-up-{first.pk}")
    assert f"{first.customer} #{first.customer_id}" in row
    assert "overdue" in row
    assert first.reason in row
    assert f'href="/customers/{first.customer_id}/"' in markup


def test_closing_a_follow_up_needs_what_was_done(
    clients: dict[str, Client], data: VoiceData
) -> None:
    follow_up = data.follow_ups[0]
    client = clients[Role.AGENT]

    refused = client.post(f"/follow-ups/{follow_up.pk}/close/", {"outcome": "  "}, follow=True)

    assert refused.redirect_chain == [("/follow-ups/", 302)]
    assert messages_of(refused) == [
        f"Follow-up of {follow_up.customer} not closed: say what was done for the customer "
        "(the call, the fix, the answer)."
    ]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.OPEN

    closed = client.post(
        f"/follow-ups/{follow_up.pk}/close/",
        {"outcome": "Called back; credited the fee"},
        follow=True,
    )

    assert messages_of(closed) == [f"Closed the follow-up of {follow_up.customer}."]
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.outcome == "Called back; credited the fee"
    assert follow_up.closed_by_label == "agent-user"
    assert f'id="follow-up-{follow_up.pk}"' not in closed.content.decode()

    again = client.post(f"/follow-ups/{follow_up.pk}/close/", {"outcome": "Twice"}, follow=True)
    assert messages_of(again) == [
        f"Follow-up of {follow_up.customer} not closed: this follow-up is already done."
    ]
    done = client.get("/follow-ups/?status=done")
    assert "Called back; credited the fee" in section(done, f"follow-up-{follow_up.pk}")


def test_another_teams_follow_up_is_neither_listed_nor_closed(
    clients: dict[str, Client], data: VoiceData, north: Team
) -> None:
    south = access_services.team_get_or_create(name="South")
    theirs, ours = data.follow_ups[:2]
    Customer.objects.filter(pk=theirs.customer_id).update(team=south)
    Customer.objects.filter(pk=ours.customer_id).update(team=north)

    page = clients[Role.AGENT].get("/follow-ups/").content.decode()
    response = clients[Role.AGENT].post(f"/follow-ups/{theirs.pk}/close/", {"outcome": "Done"})

    assert f'id="follow-up-{ours.pk}"' in page
    assert f'id="follow-up-{theirs.pk}"' not in page
    assert str(theirs.customer) not in page
    assert response.status_code == 404
    assert FollowUp.objects.get(pk=theirs.pk).status == FollowUpStatus.OPEN
    # The administrator sees every team.
    assert (
        f'id="follow-up-{theirs.pk}"'
        in clients[Role.ADMINISTRATOR].get("/follow-ups/").content.decode()
    )


# --------------------------------------------------------------------------
# Sentiment
# --------------------------------------------------------------------------


@pytest.fixture
def ann_texts(ann: Customer) -> list[Interaction]:
    """Ann Lee's inbound messages with text, newest first."""
    return list(
        Interaction.objects.filter(customer=ann, direction=Direction.INBOUND)
        .exclude(subject="", body="")
        .order_by("-occurred_at")
    )


def test_recent_texts_show_their_sentiment_and_a_form_to_correct_it(
    clients: dict[str, Client], ann_texts: list[Interaction]
) -> None:
    # A record a system sent is nobody's words: nothing to judge or correct.
    Interaction.objects.filter(pk=ann_texts[-1].pk).update(automated=True)
    response = clients[Role.ANALYST].get("/sentiment/")

    markup = response.content.decode()
    rows = re.findall(r'<tr id="interaction-(\d+)">', markup)
    assert [int(pk) for pk in rows] == [i.pk for i in ann_texts[:-1]]
    chat = ann_texts[0]
    row = section(response, f"interaction-{chat.pk}")
    assert "The line is fine now, thanks!" in row
    assert f"{chat.sentiment_label} {chat.sentiment_score:+.2f} {chat.sentiment_model}" in row
    assert "Never trained: the baseline is in use." in section(response, "model")
    assert "0 labels from analysts so far; a learned model is judged from 60." in section(
        response, "model"
    )


def test_a_correction_is_stored_with_what_cxm_said_before(
    clients: dict[str, Client], ann_texts: list[Interaction]
) -> None:
    sms = next(i for i in ann_texts if i.external_id == "SM-5501")
    client = clients[Role.ANALYST]

    response = client.post(
        "/sentiment/label/",
        {"interaction_id": sms.pk, "label": "negative", "next": "/sentiment/?label=neutral"},
        follow=True,
    )

    assert response.redirect_chain == [("/sentiment/?label=neutral", 302)]
    assert messages_of(response) == [f"Interaction {sms.pk} labelled negative."]
    label = LabelledText.objects.get(interaction=sms)
    assert (label.label, label.predicted, label.labelled_by_label) == (
        "negative",
        sms.sentiment_label,
        "analyst-user",
    )
    again = client.post("/sentiment/label/", {"interaction_id": sms.pk, "label": "neutral"})
    assert again["Location"] == "/sentiment/"
    assert LabelledText.objects.get(interaction=sms).label == "neutral"
    page = client.get("/sentiment/")
    assert "labelled neutral by analyst-user" in section(page, f"interaction-{sms.pk}")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"label": "furious"},
            "Label not stored: label 'furious' is not one of negative, neutral, positive.",
        ),
        (
            {"label": "negative", "interaction_id": "999999"},
            "Label not stored: no interaction 999999.",
        ),
        ({"label": "negative", "interaction_id": ""}, "Choose an interaction to label."),
    ],
)
def test_a_bad_correction_is_a_message(
    clients: dict[str, Client], ann_texts: list[Interaction], form: dict[str, str], message: str
) -> None:
    form = {"interaction_id": str(ann_texts[0].pk), **form}

    response = clients[Role.ANALYST].post("/sentiment/label/", form, follow=True)

    assert messages_of(response) == [message]
    assert LabelledText.objects.count() == 0


def test_training_with_too_few_labels_says_so(
    clients: dict[str, Client], ann_texts: list[Interaction]
) -> None:
    response = clients[Role.ANALYST].post("/sentiment/train/", follow=True)

    assert messages_of(response) == [
        "Not trained: 0 labels so far; a model needs at least 60 to be judged fairly."
    ]
    assert SentimentModelRun.objects.count() == 0


def test_the_last_training_shows_both_models_with_intervals_and_n(
    clients: dict[str, Client], db: None
) -> None:
    truth = ["negative"] * 12 + ["neutral"] * 10 + ["positive"] * 8
    baseline = sentiment_model.evaluate(truth, ["negative"] * 30, seed=0)
    learned = sentiment_model.evaluate(truth, truth[:20] + ["positive"] * 10, seed=0)
    SentimentModelRun.objects.create(
        trained_at=timezone.now(),
        last_label_id=100,
        labels=100,
        held_out=30,
        baseline=dataclasses.asdict(baseline),
        learned=dataclasses.asdict(learned),
        chosen="baseline",
        why="macro-F1 on 30 held-back labels: learned 0.900, baseline 0.180",
    )

    model = section(clients[Role.ANALYST].get("/sentiment/"), "model")

    assert "on 100 labels, of which 30 were held back" in model
    assert (
        "Accuracy 0.40 (95% CI 0.25 to 0.58) 0.93 (95% CI 0.79 to 0.98) 30 "
        "F1, negative 0.57 (95% CI 0.38 to 0.72) 1.00 (95% CI 1.00 to 1.00) 12 "
        "F1, neutral 0.00 (95% CI 0.00 to 0.00) 0.89 (95% CI 0.70 to 1.00) 10 "
        "F1, positive 0.00 (95% CI 0.00 to 0.00) 0.89 (95% CI 0.67 to 1.00) 8 "
        "Macro F1 0.19 (95% CI 0.13 to 0.24) 0.93 (95% CI 0.80 to 1.00)"
    ) in model
    assert baseline.accuracy.value == pytest.approx(12 / 30)
    assert learned.accuracy.value == pytest.approx(28 / 30)


# --------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------


def test_an_analyst_adds_then_edits_a_topic(clients: dict[str, Client], db: None) -> None:
    client = clients[Role.ANALYST]

    added = client.post(
        "/topics/save/",
        {"key": "billing", "name": "Billing", "any_phrases": "invoice\n  bill \n\n"},
        follow=True,
    )

    assert messages_of(added) == [
        "Saved the topic Billing (billing); new texts are tagged with it from now on."
    ]
    topic = Topic.objects.get(key="billing")
    assert topic.any_phrases == ["invoice", "bill"]
    edit = client.get("/topics/?edit=billing")
    assert "Edit billing" in section(edit, "topic-form")
    assert "invoice\nbill</textarea>" in edit.content.decode()

    client.post(
        "/topics/save/",
        {"key": "billing", "name": "Bills", "any_phrases": "invoice", "none_phrases": "bill of"},
    )
    topic.refresh_from_db()
    assert (topic.name, topic.any_phrases, topic.none_phrases) == (
        "Bills",
        ["invoice"],
        ["bill of"],
    )
    assert "Bills any of: invoice none of: bill of" in section(client.get("/topics/"), "taxonomy")


def test_a_bad_topic_is_refused_with_the_reason_and_the_form_kept(
    clients: dict[str, Client], db: None
) -> None:
    response = clients[Role.ANALYST].post(
        "/topics/save/", {"key": "Billing Issues!", "name": "", "any_phrases": "invoice"}
    )

    assert response.status_code == 422
    [message] = messages_of(response)
    assert message.startswith("Topic not saved: the topic needs a name")
    assert 'value="Billing Issues!"' in response.content.decode()
    assert Topic.objects.count() == 0


def test_discovering_topics_says_what_it_found(
    clients: dict[str, Client], ann_texts: list[Interaction]
) -> None:
    response = clients[Role.ANALYST].post("/topics/discover/", follow=True)

    assert response.redirect_chain == [("/topics/", 302)]
    [message] = messages_of(response)
    found = TopicSuggestion.objects.count()
    if found:
        assert message == f"{found} suggested topics from recent texts that no topic matched."
    else:
        assert message == "No group of untagged texts stood out; nothing new to suggest."


@pytest.fixture
def suggestion(ann_texts: list[Interaction]) -> TopicSuggestion:
    dropping = [i for i in ann_texts if "drop" in f"{i.subject} {i.body}".lower()]
    return TopicSuggestion.objects.create(
        discovered_at=timezone.now(),
        terms=["dropping", "connection"],
        phrases=["dropping", "drops"],
        size=len(dropping),
        interaction_ids=[i.pk for i in dropping],
        quote_ids=[i.pk for i in dropping[:2]],
    )


def test_a_suggestion_is_shown_with_quotes_and_adopted_in_one_click(
    clients: dict[str, Client], suggestion: TopicSuggestion
) -> None:
    client = clients[Role.ANALYST]
    page = client.get("/topics/")

    card = section(page, f"suggestion-{suggestion.pk}")
    assert "dropping, connection · 2 texts" in card
    assert "Still dropping tonight, any news?" in card
    markup = page.content.decode()
    assert 'name="key" value="dropping-connection"' in markup
    assert 'name="name" value="Dropping and connection"' in markup

    response = client.post(
        f"/topics/suggestions/{suggestion.pk}/adopt/",
        {"key": "dropping-connection", "name": "Dropping and connection"},
        follow=True,
    )

    assert messages_of(response) == [
        "Adopted as the topic Dropping and connection (dropping-connection); the suggestion's "
        "texts it matches are tagged with it."
    ]
    topic = Topic.objects.get(key="dropping-connection")
    suggestion.refresh_from_db()
    assert suggestion.adopted == topic
    tagged = [
        pk
        for pk, topics in Interaction.objects.order_by("pk").values_list("pk", "topics")
        if "dropping-connection" in topics
    ]
    assert tagged == sorted(suggestion.interaction_ids)
    assert "Adopted as Dropping and connection" in section(response, f"suggestion-{suggestion.pk}")

    again = client.post(
        f"/topics/suggestions/{suggestion.pk}/adopt/",
        {"key": "other", "name": "Other"},
        follow=True,
    )
    assert messages_of(again) == ["Not adopted: this suggestion was adopted already."]


def test_adopting_under_a_key_in_use_is_a_message(
    clients: dict[str, Client], suggestion: TopicSuggestion
) -> None:
    clients[Role.ANALYST].post(
        "/topics/save/", {"key": "dropping", "name": "Dropping", "any_phrases": "drop"}, follow=True
    )

    response = clients[Role.ANALYST].post(
        f"/topics/suggestions/{suggestion.pk}/adopt/",
        {"key": "dropping", "name": "Dropping"},
        follow=True,
    )

    assert messages_of(response) == [
        "Not adopted: a topic 'dropping' exists already; choose another key."
    ]
    suggestion.refresh_from_db()
    assert suggestion.adopted is None


def test_an_unknown_suggestion_is_404(clients: dict[str, Client], db: None) -> None:
    response = clients[Role.ANALYST].post("/topics/suggestions/999999/adopt/", {"key": "k"})

    assert response.status_code == 404
