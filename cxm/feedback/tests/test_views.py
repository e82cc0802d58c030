"""The public answer page: no login, no JavaScript, every outcome a page of its own."""

from __future__ import annotations

import pytest
from django.test import Client

from cxm.customers.models import Customer
from cxm.feedback import services
from cxm.feedback.enums import InvitationStatus, SurveyKind
from cxm.feedback.models import FollowUp, Invitation, Response


@pytest.fixture
def invitation(db: None) -> Invitation:
    survey = services.survey_create(
        name="Relationship",
        kind=SurveyKind.NPS,
        question="How likely are you to recommend Northvale?",
        comment_question="What is the main reason for your score?",
    )
    customer = Customer.objects.create(display_name="Ada")
    return services.invitations_send(survey=survey, customer_ids=[customer.pk]).invited[0]


def _url(invitation: Invitation, suffix: str = "") -> str:
    return f"/s/{invitation.token}/{suffix}"


def test_opening_the_link_shows_the_survey_and_counts_one_display(invitation: Invitation) -> None:
    client = Client()
    page = client.get(_url(invitation))
    assert page.status_code == 200
    html = page.content.decode()
    assert "How likely are you to recommend Northvale?" in html
    assert html.count('type="radio" name="score"') == 11
    assert "What is the main reason for your score?" in html
    assert "Day-to-day user" in html
    assert "<script" not in html
    client.get(_url(invitation))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DISPLAYED
    assert invitation.displayed_at is not None


def test_an_answer_is_recorded_once(invitation: Invitation) -> None:
    client = Client()
    client.get(_url(invitation))
    page = client.post(
        _url(invitation),
        {"score": "4", "comment": "Still no answer after three calls", "role": "day_to_day"},
    )
    assert page.status_code == 200
    assert "your answer is recorded" in page.content.decode()
    response = Response.objects.get()
    assert (response.score, response.role) == (4, "day_to_day")
    assert response.sentiment_label == "negative"
    assert FollowUp.objects.get().reason == "NPS 4: a detractor"

    again = client.post(_url(invitation), {"score": "10"})
    assert "already been answered" in again.content.decode()
    assert Response.objects.count() == 1
    assert "already been answered" in client.get(_url(invitation)).content.decode()


def test_a_bad_answer_is_shown_back_with_the_reason_and_the_text_kept(
    invitation: Invitation,
) -> None:
    page = Client().post(_url(invitation), {"score": "12", "comment": "Keep my words"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "choose a score from 0 to 10" in html
    assert "Keep my words" in html
    assert not Response.objects.exists()
    page = Client().post(_url(invitation), {"score": "7", "role": "boss"})
    assert page.status_code == 422
    assert "choose your role from" in page.content.decode()


def test_no_thanks_is_a_dismissal_not_an_answer(invitation: Invitation) -> None:
    client = Client()
    client.get(_url(invitation))
    page = client.post(_url(invitation, "dismiss/"))
    assert "we will not ask about this again" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DISMISSED
    assert not Response.objects.exists()
    later = client.post(_url(invitation), {"score": "9"})
    assert "You chose not to answer" in later.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%00", "a%00b", "é"])
def test_an_unknown_link_is_a_plain_404_page(db: None, token: str) -> None:
    page = Client().get(f"/s/{token}/")
    assert page.status_code == 404
    assert "not one CXM sent" in page.content.decode()
    assert Client().post(f"/s/{token}/dismiss/").status_code == 404


def test_an_expired_link_says_so_and_records_no_display(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.invited_at)
    page = Client().get(_url(invitation))
    assert "This survey has closed" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.displayed_at is None


def test_the_form_works_with_csrf_checks_on(invitation: Invitation) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(_url(invitation))
    token = client.cookies["csrftoken"].value
    assert page.status_code == 200
    answered = client.post(_url(invitation), {"score": "8", "csrfmiddlewaretoken": token})
    assert answered.status_code == 200
    assert Response.objects.get().score == 8
