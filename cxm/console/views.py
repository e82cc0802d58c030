"""The console: thin views over the selectors and services of customers, interactions,
feedback and insights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify

from cxm.access import privacy
from cxm.access.decorators import console_view, request_ip
from cxm.access.permissions import Permission
from cxm.access.selectors import actor_can
from cxm.cases import selectors as case_selectors
from cxm.console import charts, promise_views
from cxm.customers import selectors, services
from cxm.customers.enums import MergeAction
from cxm.customers.selectors import ChannelCount
from cxm.errors import CXMError, ValidationFailed
from cxm.feedback import metrics
from cxm.feedback import selectors as feedback_selectors
from cxm.feedback import services as feedback_services
from cxm.feedback.enums import FollowUpStatus, SurveyKind
from cxm.insights import selectors as insight_selectors
from cxm.insights import services as insight_services
from cxm.insights.enums import ModelChoice, SentimentLabel
from cxm.interactions import selectors as interaction_selectors
from cxm.interactions.enums import Channel


@console_view(Permission.CUSTOMER_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    return redirect("console:customer-search")


@console_view(Permission.CUSTOMER_VIEW)
def customer_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    customers = selectors.customer_search(
        actor=request.user, query=query, limit=50, with_identities=True
    )
    return render(
        request,
        "console/customer_search.html",
        {
            "query": query,
            "customers": customers,
            "pending_proposals": selectors.merge_proposal_count(actor=request.user),
        },
    )


@console_view(Permission.CUSTOMER_VIEW)
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(actor=request.user, customer_id=customer_id)
    if customer.merged_into_id is not None:
        messages.info(
            request,
            f"{customer} (#{customer.pk}) was merged into {customer.merged_into} "
            f"(#{customer.merged_into_id}); showing the merged profile.",
        )
        return redirect("console:customer-detail", customer_id=customer.merged_into_id)
    channel = request.GET.get("channel") or None
    cursor = request.GET.get("cursor") or None
    try:
        page = interaction_selectors.customer_timeline(
            customer=customer, channel=channel, cursor=cursor, limit=50
        )
    except CXMError as exc:
        messages.error(request, exc.message)
        return redirect("console:customer-detail", customer_id=customer.pk)
    channel_counts = selectors.customer_channel_counts(customer=customer)
    services.customer_read_record(customer=customer, actor=request.user, ip=request_ip(request))
    sees_cases = actor_can(request.user, Permission.CASE_VIEW)
    group = selectors.customer_group_ids(customer_id=customer.pk)
    return render(
        request,
        "console/customer_detail.html",
        {
            "customer": customer,
            "identities": selectors.customer_identities(customer=customer),
            "contact": _contact_summary(channel_counts, selected=channel),
            "channel": channel,
            "cursor": cursor,
            "page": page,
            "merges": selectors.customer_merge_audit(actor=request.user, customer=customer),
            "MERGE": MergeAction.MERGE,
            "sees_cases": sees_cases,
            "cases": case_selectors.customer_cases(
                actor=request.user, customer_id=customer.pk, group=group
            )
            if sees_cases
            else [],
            "standing": case_selectors.customer_standing(
                actor=request.user, customer_id=customer.pk
            )
            if sees_cases
            else None,
            **promise_views.customer_context(request, customer, group),
        },
    )


@dataclass(frozen=True)
class ChannelFilter:
    value: str
    label: str
    count: int
    last_at: datetime | None


@dataclass(frozen=True)
class ContactSummary:
    total: int
    first_at: datetime | None
    last_at: datetime | None
    channels: list[ChannelFilter]


def _contact_summary(counts: list[ChannelCount], *, selected: str | None) -> ContactSummary:
    """The channels the customer used, in the usual channel order, and the selected one."""
    by_channel = {c.channel: c for c in counts}
    channels = []
    for value, label in Channel.choices:
        found = by_channel.get(value)
        if found is not None:
            channels.append(ChannelFilter(value, label, found.count, found.last_at))
        elif value == selected:
            channels.append(ChannelFilter(value, label, 0, None))
    firsts = [c.first_at for c in counts if c.first_at]
    lasts = [c.last_at for c in counts if c.last_at]
    return ContactSummary(
        total=sum(c.count for c in counts),
        first_at=min(firsts, default=None),
        last_at=max(lasts, default=None),
        channels=channels,
    )


@console_view(Permission.CUSTOMER_VIEW)
def merge_proposals(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    if status not in {"pending", "accepted", "rejected"}:
        status = "pending"
    proposals = selectors.merge_proposal_list(actor=request.user, status=status)
    return render(
        request, "console/merge_proposals.html", {"proposals": proposals, "status": status}
    )


@console_view(Permission.CUSTOMER_MERGE)
def merge_proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    review = selectors.merge_proposal_review(actor=request.user, proposal_id=proposal_id)
    return render(
        request,
        "console/merge_proposal.html",
        {
            "review": review,
            "proposal": review.proposal,
            # The largest weight fills its half of the bar; the others are to scale.
            "weight_scale": max((abs(row.weight) for row in review.comparisons), default=0.0),
        },
    )


def _back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    # Django's own check, not a prefix test: browsers read "/\evil.example" as
    # "//evil.example", another site.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


@console_view(Permission.CUSTOMER_MERGE, methods=("POST",))
def merge_proposal_accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = selectors.merge_proposal_get(actor=request.user, proposal_id=proposal_id)
    try:
        event = services.merge_proposal_accept(
            proposal=proposal,
            actor=request.user,
            note=request.POST.get("note", "")[:2000],
            ip=request_ip(request),
        )
    except CXMError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Merged customer {event.merged_id} into customer {event.survivor_id}."
        )
    return _back(request, reverse("console:merge-proposals"))


@console_view(Permission.CUSTOMER_MERGE, methods=("POST",))
def merge_proposal_reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = selectors.merge_proposal_get(actor=request.user, proposal_id=proposal_id)
    try:
        services.merge_proposal_reject(
            proposal=proposal,
            actor=request.user,
            note=request.POST.get("note", "")[:2000],
            ip=request_ip(request),
        )
    except CXMError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Kept apart; this pair will not be proposed again.")
    return _back(request, reverse("console:merge-proposals"))


@console_view(Permission.CUSTOMER_MERGE, methods=("POST",))
def merge_undo(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.merge_event_get(actor=request.user, event_id=event_id)
    try:
        services.customer_unmerge(
            event=event,
            actor=request.user,
            reason=request.POST.get("reason", "")[:2000],
            ip=request_ip(request),
        )
    except CXMError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Un-merged: customer {event.merged_id} has its own profile again."
        )
    return redirect("console:customer-detail", customer_id=event.survivor_id)


@console_view(Permission.PRIVACY_EXPORT)
def customer_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(
        actor=request.user, customer_id=customer_id, permission=Permission.PRIVACY_EXPORT
    )
    document = privacy.customer_export(
        actor=request.user, customer_id=customer.pk, ip=request_ip(request)
    )
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = (
        f'attachment; filename="cxm-customer-{document["customer_id"]}.json"'
    )
    return response


@console_view(Permission.PRIVACY_ERASE, methods=("POST",))
def customer_erase(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = selectors.customer_get(
        actor=request.user, customer_id=customer_id, permission=Permission.PRIVACY_ERASE
    )
    if request.POST.get("confirm", "").strip() != "ERASE":
        messages.error(request, "Type ERASE in the box to confirm; nothing was erased.")
        return redirect("console:customer-detail", customer_id=customer.pk)
    report = privacy.customer_erase(
        actor=request.user,
        customer_id=customer.pk,
        reason=request.POST.get("reason", "")[:500],
        ip=request_ip(request),
    )
    erased = sum(report.counts.values())
    messages.success(
        request,
        f"Erased the personal data of customer {report.customer_id} ({erased} rows changed). "
        "Interaction counts and dates stay.",
    )
    return redirect("console:customer-detail", customer_id=report.customer_id)


# Voice of the customer ---------------------------------------------------------


def _reason(exc: CXMError) -> str:
    """A service's message inside a sentence of the console's own."""
    return exc.message.rstrip(".")


def _query_date(request: HttpRequest, name: str) -> date | None:
    raw = request.GET.get(name, "").strip()[:20]
    if not raw:
        return None
    try:
        parsed = parse_date(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationFailed(f"'{name}' must be a date written YYYY-MM-DD, not '{raw}'")
    return parsed


def _voice_filters(request: HttpRequest) -> metrics.Filters:
    channel = request.GET.get("channel", "").strip()[:40] or None
    if channel is not None and channel not in Channel.values:
        raise ValidationFailed(f"there is no channel '{channel}'")
    return metrics.Filters.parse(
        since=_query_date(request, "since"),
        until=_query_date(request, "until"),
        segment=request.GET.get("segment", "").strip()[:200] or None,
        channel=channel,
    )


def _default_survey(overview: list[dict[str, Any]]) -> int:
    """The active survey with the most answers; any survey when none is active."""
    active = [s for s in overview if s["active"]] or overview
    return int(max(active, key=lambda s: s["answers"])["pk"])


@console_view(Permission.FEEDBACK_VIEW)
def voice(request: HttpRequest) -> HttpResponse:
    overview = metrics.surveys_overview()
    if not overview:
        return render(request, "console/voice.html", {"overview": [], "summary": None})
    raw = request.GET.get("survey", "").strip()
    if raw and not raw.isdigit():
        messages.error(request, f"'{raw[:40]}' is not a survey number.")
        return redirect("console:voice")
    survey = feedback_selectors.survey_get(
        actor=request.user,
        survey_id=int(raw) if raw else _default_survey(overview),
        permission=Permission.FEEDBACK_VIEW,
    )
    try:
        filters = _voice_filters(request)
    except CXMError as exc:
        messages.error(request, f"{_reason(exc)}; showing every answer instead.")
        return redirect(f"{reverse('console:voice')}?survey={survey.pk}")
    summary = metrics.survey_summary(survey=survey, filters=filters, actor=request.user)
    nps = survey.kind == SurveyKind.NPS
    segment_options = sorted({(row.dimension, row.value) for row in summary.funnel_by_segment})
    if filters.segment is not None and filters.segment not in segment_options:
        segment_options.insert(0, filters.segment)
    return render(
        request,
        "console/voice.html",
        {
            "overview": overview,
            "survey": survey,
            "summary": summary,
            "nps": nps,
            "digits": 0 if nps else 2,
            "since": filters.since.isoformat() if filters.since else "",
            "until": filters.until.isoformat() if filters.until else "",
            "segment": "=".join(filters.segment) if filters.segment else "",
            "segment_options": [f"{d}={v}" for d, v in segment_options],
            "channel": filters.channel or "",
            "channels": Channel.choices,
            "min_segment_n": metrics.MIN_SEGMENT_N,
            "distribution": charts.distribution_chart(summary.distribution, nps=nps),
            "trend": charts.trend_chart(
                [
                    charts.PeriodFigure(
                        p.label,
                        p.figure.value,
                        p.figure.low,
                        p.figure.high,
                        None if p.change is None else p.change.significant,
                    )
                    for p in summary.periods
                ],
                scale=charts.NPS_RANGE if nps else summary.scale,
            ),
            "drivers": charts.driver_chart(
                [
                    charts.DriverFigure(d.name, d.weight, d.share_of_r2, d.low, d.high)
                    for d in summary.drivers
                ]
            ),
            "nps_groups": charts.nps_groups(summary.distribution) if nps else [],
            "top_box_from": metrics.TOP_BOX.get(survey.kind),
            "funnel": charts.funnel_chart(
                summary.funnel.invited, summary.funnel.displayed, summary.funnel.responded
            ),
        },
    )


# The closed loop ---------------------------------------------------------------


@console_view(Permission.FOLLOW_UP_WORK)
def follow_ups(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", FollowUpStatus.OPEN)
    if status not in FollowUpStatus.values:
        status = FollowUpStatus.OPEN
    return render(
        request,
        "console/follow_ups.html",
        {
            "follow_ups": feedback_selectors.follow_up_list(
                actor=request.user, status=status, limit=200
            ),
            "status": status,
            "now": timezone.now(),
        },
    )


@console_view(Permission.FOLLOW_UP_WORK, methods=("POST",))
def follow_up_close(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = feedback_selectors.follow_up_get(actor=request.user, follow_up_id=follow_up_id)
    try:
        feedback_services.follow_up_close(
            follow_up=follow_up,
            outcome=request.POST.get("outcome", "")[: feedback_services.MAX_COMMENT + 1],
            actor=request.user,
        )
    except CXMError as exc:
        messages.error(request, f"Follow-up of {follow_up.customer} not closed: {_reason(exc)}.")
    else:
        messages.success(request, f"Closed the follow-up of {follow_up.customer}.")
    return redirect("console:follow-ups")


# Sentiment ---------------------------------------------------------------------

RECENT_TEXTS = 50


@dataclass(frozen=True)
class EvaluationRow:
    measure: str
    baseline: Any
    learned: Any
    n: int | None


def _evaluation_rows(run: dict[str, Any] | None) -> list[EvaluationRow]:
    """Baseline beside learned, measure by measure, from the run's stored evaluations."""
    if run is None:
        return []
    baseline, learned = run["baseline"], run["learned"]
    rows = [EvaluationRow("Accuracy", baseline["accuracy"], learned["accuracy"], baseline["n"])]
    for label in SentimentLabel.values:
        base_class = baseline["per_class"].get(label, {})
        rows.append(
            EvaluationRow(
                f"F1, {label}",
                base_class.get("f1"),
                learned["per_class"].get(label, {}).get("f1"),
                base_class.get("support"),
            )
        )
    rows.append(EvaluationRow("Macro F1", baseline["macro_f1"], learned["macro_f1"], None))
    return rows


@console_view(Permission.SENTIMENT_LABEL)
def sentiment(request: HttpRequest) -> HttpResponse:
    label = request.GET.get("label", "")
    if label not in SentimentLabel.values:
        label = ""
    state = insight_selectors.model_state()
    run = state["run"]
    return render(
        request,
        "console/sentiment.html",
        {
            "interactions": insight_selectors.recent_inbound(
                actor=request.user, label=label, limit=RECENT_TEXTS
            ),
            "label": label,
            "labels": SentimentLabel.choices,
            "state": state,
            "run": run,
            "evaluation": _evaluation_rows(run),
            "trained_at": parse_datetime(run["trained_at"]) if run else None,
            "min_labels": insight_services.MIN_LABELS,
            "chosen": dict(ModelChoice.choices).get(run["chosen"]) if run else None,
        },
    )


@console_view(Permission.SENTIMENT_LABEL, methods=("POST",))
def sentiment_label(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("interaction_id", "")
    if not raw.isdigit():
        messages.error(request, "Choose an interaction to label.")
        return _back(request, reverse("console:sentiment"))
    report = insight_services.sentiment_labels_record(
        labels=[insight_services.LabelIn(request.POST.get("label", ""), interaction_id=int(raw))],
        actor=request.user,
        visible=insight_selectors.visible_interactions(request.user),
    )
    for _, reason in report.errors:
        messages.error(request, f"Label not stored: {reason}.")
    if report.stored:
        messages.success(
            request,
            f"Interaction {raw} labelled {request.POST['label']}"
            + (" (your label replaced the earlier one)." if report.replaced else "."),
        )
    return _back(request, reverse("console:sentiment"))


@console_view(Permission.SENTIMENT_LABEL, methods=("POST",))
def sentiment_train(request: HttpRequest) -> HttpResponse:
    try:
        run = insight_services.sentiment_train()
    except CXMError as exc:
        messages.error(request, f"Not trained: {_reason(exc)}.")
    else:
        messages.success(
            request,
            f"Trained on {run.labels - run.held_out} labels and judged on {run.held_out} "
            f"held back: {run.get_chosen_display()} is in use ({run.why}).",
        )
    return redirect("console:sentiment")


# Topics ------------------------------------------------------------------------


def _phrase_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()][:200]


def _suggested_key(terms: list[str]) -> str:
    return slugify("-".join(terms[:2]))[:60]


def _topics_page(
    request: HttpRequest, *, form: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    suggestions = insight_selectors.suggestion_list(actor=request.user)
    quotes = insight_selectors.quotes(suggestions)
    topics = insight_selectors.topic_list(active_first=True)
    editing = request.GET.get("edit", "")
    if form is None:
        form = {"key": "", "name": "", "any_phrases": "", "all_phrases": "", "none_phrases": ""}
        found = next((t for t in topics if t.key == editing), None)
        if found is not None:
            form = {
                "key": found.key,
                "name": found.name,
                "any_phrases": "\n".join(found.any_phrases),
                "all_phrases": "\n".join(found.all_phrases),
                "none_phrases": "\n".join(found.none_phrases),
            }
    return render(
        request,
        "console/topics.html",
        {
            "topics": topics,
            "form": form,
            "editing": form["key"] and any(t.key == form["key"] for t in topics),
            "suggestions": [
                {
                    "suggestion": s,
                    "quotes": [quotes[pk] for pk in s.quote_ids if pk in quotes],
                    "key": _suggested_key(s.terms),
                    "name": " and ".join(s.terms[:2]).capitalize(),
                }
                for s in suggestions
            ],
        },
        status=status,
    )


@console_view(Permission.TOPIC_MANAGE)
def topics(request: HttpRequest) -> HttpResponse:
    return _topics_page(request)


@console_view(Permission.TOPIC_MANAGE, methods=("POST",))
def topic_save(request: HttpRequest) -> HttpResponse:
    form = {
        name: request.POST.get(name, "")[:5000]
        for name in ("key", "name", "any_phrases", "all_phrases", "none_phrases")
    }
    try:
        topic = insight_services.topic_save(
            key=form["key"],
            name=form["name"],
            any_phrases=_phrase_lines(form["any_phrases"]),
            all_phrases=_phrase_lines(form["all_phrases"]),
            none_phrases=_phrase_lines(form["none_phrases"]),
            actor=request.user,
        )
    except CXMError as exc:
        messages.error(request, f"Topic not saved: {_reason(exc)}.")
        return _topics_page(request, form=form, status=422)
    messages.success(
        request,
        f"Saved the topic {topic.name} ({topic.key}); new texts are tagged with it from now on.",
    )
    return redirect("console:topics")


@console_view(Permission.TOPIC_MANAGE, methods=("POST",))
def topics_discover(request: HttpRequest) -> HttpResponse:
    try:
        found = insight_services.topics_discover()
    except CXMError as exc:
        messages.error(request, f"Nothing discovered: {_reason(exc)}.")
    else:
        if found:
            messages.success(
                request,
                f"{len(found)} suggested topics from recent texts that no topic matched.",
            )
        else:
            messages.info(request, "No group of untagged texts stood out; nothing new to suggest.")
    return redirect("console:topics")


@console_view(Permission.TOPIC_MANAGE, methods=("POST",))
def suggestion_adopt(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    suggestion = insight_selectors.suggestion_get(suggestion_id=suggestion_id)
    try:
        topic = insight_services.topic_suggestion_adopt(
            suggestion=suggestion,
            key=request.POST.get("key", "").strip()[:60],
            name=request.POST.get("name", "").strip()[:120],
            actor=request.user,
        )
    except CXMError as exc:
        messages.error(request, f"Not adopted: {_reason(exc)}.")
    else:
        messages.success(
            request,
            f"Adopted as the topic {topic.name} ({topic.key}); the suggestion's texts it "
            "matches are tagged with it.",
        )
    return redirect("console:topics")
