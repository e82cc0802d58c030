"""The public answer pages behind each invitation's link: no login, no JavaScript.

Whoever holds the link may answer once or say "no thanks"; opening the page
counts as a display, answering as a response, "no thanks" as a dismissal.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from cxm.access.decorators import public_view
from cxm.errors import CXMError, NotFound
from cxm.feedback import services
from cxm.feedback.enums import SCALES, RespondentRole, SurveyKind
from cxm.feedback.models import Invitation

# Words at the two ends of each scale, shown beside the numbers.
ENDS: dict[str, tuple[str, str]] = {
    SurveyKind.NPS: ("Not at all likely", "Extremely likely"),
    SurveyKind.CSAT: ("Very dissatisfied", "Very satisfied"),
    SurveyKind.CES: ("Very difficult", "Very easy"),
}


def _page(
    request: HttpRequest,
    invitation: Invitation,
    *,
    error: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HttpResponse:
    survey = invitation.survey
    low, high = SCALES[survey.kind]
    return render(
        request,
        "feedback/survey.html",
        {
            "invitation": invitation,
            "survey": survey,
            "scale": list(range(low, high + 1)),
            "ends": ENDS[survey.kind],
            "roles": RespondentRole.choices,
            "error": error,
            "values": values or {},
        },
        status=status,
    )


def _closed(request: HttpRequest, message: str, *, status: int = 200) -> HttpResponse:
    return render(request, "feedback/closed.html", {"message": message}, status=status)


@public_view
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_by_token(token)
    except NotFound as exc:
        return _closed(request, exc.message, status=404)
    if request.method == "GET":
        try:
            services.check_open(invitation)
            services.invitation_display(invitation=invitation)
        except CXMError as exc:
            return _closed(request, exc.message)
        return _page(request, invitation)
    values = {
        "score": request.POST.get("score", ""),
        "comment": request.POST.get("comment", ""),
        "role": request.POST.get("role", ""),
    }
    try:
        services.response_record(
            invitation=invitation,
            score=values["score"],
            comment=values["comment"],
            role=values["role"],
        )
    except CXMError as exc:
        if exc.status == 409:
            return _closed(request, exc.message)
        return _page(request, invitation, error=exc.message, status=422, values=values)
    return _closed(request, "Thank you: your answer is recorded.")


@public_view
@require_http_methods(["POST"])
def survey_dismiss(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_by_token(token)
        services.invitation_dismiss(invitation=invitation)
    except NotFound as exc:
        return _closed(request, exc.message, status=404)
    except CXMError as exc:
        return _closed(request, exc.message)
    return _closed(request, "No problem: we will not ask about this again.")
