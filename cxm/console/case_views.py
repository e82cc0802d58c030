"""The console's pages of fair and transparent response: the queue, a case and what
agents do to it, the fairness audit, the channel scorecards and the public channel
charter. Thin views over the selectors and services of cases and channels, the
same ones the API calls."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cxm.access.decorators import console_view, public_view
from cxm.access.permissions import Permission
from cxm.access.selectors import actor_can
from cxm.cases import fairness
from cxm.cases import selectors as case_selectors
from cxm.cases import services as case_services
from cxm.cases.api import AUDIT_METHOD
from cxm.cases.enums import (
    OPEN_STATUSES,
    TRANSITIONS,
    CaseStatus,
    EventKind,
    Priority,
    Severity,
    SlaMetric,
    Urgency,
)
from cxm.cases.models import Case, CaseEvent
from cxm.channels import selectors as channel_selectors
from cxm.channels import services as channel_services
from cxm.channels.api import TIME_BASIS
from cxm.channels.models import CharterEntry
from cxm.errors import CXMError, NotFound, ValidationFailed
from cxm.interactions.enums import Channel

QUEUE_RULE = "time left before breach, then priority, then time waited — the same for everyone"
TIER_NOTE = "Shown to inform the answer; it never orders the queue"
STANDING_NOTE = "shown to inform the answer; never changes the queue order"


def _reason(exc: CXMError) -> str:
    return exc.message.rstrip(".")


def _clause(exc: CXMError) -> str:
    """A service's message, capitalised, to start a sentence of the console's own."""
    text = _reason(exc)
    return f"{text[:1].upper()}{text[1:]}"


def _sentence(exc: CXMError) -> str:
    return f"{_clause(exc)}."


def _whole(raw: str, name: str, *, default: int) -> int:
    """A whole number from a query or form field; ``default`` when left empty."""
    raw = raw.strip()[:12]
    if not raw:
        return default
    if not raw.isdigit():
        raise ValidationFailed(f"{name} must be a whole number, not '{raw}'")
    return int(raw)


def _channel_param(request: HttpRequest) -> str | None:
    channel = request.GET.get("channel", "").strip()[:40] or None
    if channel is not None and channel not in Channel.values:
        raise ValidationFailed(f"there is no channel '{channel}'")
    return channel


# The queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    case: Case
    state: str  # breached, at risk, running, or "" with no running target
    left_seconds: float | None
    waited_seconds: float | None


def _queue_row(case: Case, now: datetime) -> QueueRow:
    left = (case.due_at - now).total_seconds() if case.due_at is not None else None
    at_risk_at: datetime | None = getattr(case, "at_risk_at", None)
    if left is None:
        state = ""
    elif left <= 0:
        state = "breached"
    elif at_risk_at is not None and at_risk_at <= now:
        state = "at risk"
    else:
        state = "running"
    waited = (now - case.waiting_since).total_seconds() if case.waiting_since else None
    return QueueRow(case, state, left, waited)


@console_view(Permission.CASE_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    who = request.GET.get("who", "")
    if who not in ("mine", "unassigned"):
        who = ""
    try:
        channel = _channel_param(request)
        offset = _whole(request.GET.get("offset", ""), "offset", default=0)
        limit = _whole(request.GET.get("limit", ""), "limit", default=case_selectors.QUEUE_PAGE)
        page = case_selectors.case_queue(
            actor=request.user,
            channel=channel,
            assignee_id=request.user.pk if who == "mine" else None,
            unassigned=who == "unassigned",
            offset=offset,
            limit=limit,
        )
    except CXMError as exc:
        messages.error(request, f"{_clause(exc)}; showing the whole queue.")
        return redirect("console:queue")
    now = timezone.now()
    filters = {"channel": channel or "", "who": who}

    def link(**changes: Any) -> str:
        query = {k: v for k, v in {**filters, **changes}.items() if v not in ("", None)}
        return "?" + urlencode(query) if query else "?"

    end = page.offset + len(page.cases)
    size = "" if limit == case_selectors.QUEUE_PAGE else limit
    return render(
        request,
        "console/queue.html",
        {
            "rule": QUEUE_RULE,
            "tier_note": TIER_NOTE,
            "rows": [_queue_row(c, now) for c in page.cases],
            "page": page,
            "first": page.offset + 1 if page.cases else page.offset,
            "end": end,
            "previous": link(offset=max(0, page.offset - page.limit) or "", limit=size)
            if page.offset
            else None,
            "next": link(offset=end, limit=size) if end < page.total else None,
            "channel": channel or "",
            "channels": Channel.choices,
            "who": who,
            "who_links": [
                ("", "Everyone's", link(who="", offset="")),
                ("mine", "Mine", link(who="mine", offset="")),
                ("unassigned", "Unassigned", link(who="unassigned", offset="")),
            ],
        },
    )


# A case ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    event: CaseEvent
    label: str
    text: str
    case_link: int | None
    note: str


def _label(choices: list[tuple[Any, str]], value: Any) -> str:
    """The label of a stored choice; the value itself when it is not one."""
    labels: dict[Any, str] = dict(choices)
    return str(labels.get(value, value))


def _user_name(value: Any, names: dict[int, str]) -> str:
    if isinstance(value, int):
        return names.get(value, f"user #{value}")
    return "someone"


def _event_line(event: CaseEvent, names: dict[int, str]) -> EventLine:
    """An event of the timeline as a person reads it."""
    d: dict[str, Any] = event.detail if isinstance(event.detail, dict) else {}
    kind = event.kind
    text, link, note = "", None, ""
    if kind == EventKind.OPENED:
        if d.get("split_from"):
            text, link = "split from case", d["split_from"]
        else:
            text = f"on {_label(Channel.choices, d.get('channel'))}"
            text += f", topic {d['topic']}" if d.get("topic") else ", no topic"
            text += f", {_label(Priority.choices, d['priority'])}" if d.get("priority") else ""
    elif kind in (EventKind.MESSAGE, EventKind.REPLY):
        text = f"on {_label(Channel.choices, d.get('channel'))}" if d.get("channel") else ""
    elif kind == EventKind.STATUS:
        text = (
            f"{_label(CaseStatus.choices, d.get('old'))} → "
            f"{_label(CaseStatus.choices, d.get('new'))}"
        )
        note = str(d.get("note") or "")
    elif kind == EventKind.PRIORITY:
        text = (
            f"{_label(Priority.choices, d.get('old'))} → {_label(Priority.choices, d.get('new'))} "
            f"(severity {d.get('severity')}, urgency {d.get('urgency')})"
        )
    elif kind == EventKind.ASSIGNED:
        text = f"to {_user_name(d.get('user'), names)}, {d.get('how', 'by hand')}"
    elif kind == EventKind.SPLIT:
        moved = d.get("interactions") or []
        text = f"{len(moved)} interaction{'s' if len(moved) != 1 else ''} moved to case"
        link = d.get("new_case")
    elif kind == EventKind.MERGED:
        if d.get("into"):
            text, link = "into case", d["into"]
        else:
            text, link = "absorbed case", d.get("absorbed")
    elif kind == EventKind.SLA_AT_RISK:
        text = _label(SlaMetric.choices, d.get("metric"))
    elif kind == EventKind.SLA_BREACHED:
        metric = _label(SlaMetric.choices, d.get("metric"))
        text = f"{metric} (target {d.get('target_minutes')} min)"
    elif kind == EventKind.SLA_MET:
        text = (
            f"{_label(SlaMetric.choices, d.get('metric'))} in "
            f"{d.get('elapsed_minutes')} business min"
        )
    label = _label(EventKind.choices, kind)
    return EventLine(event, label, text, link if isinstance(link, int) else None, note)


CASE_FORM = {"reply": "", "status": "", "note": "", "into": "", "user_id": ""}


def _case_page(
    request: HttpRequest,
    case_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = case_selectors.case_detail(actor=request.user, case_id=case_id)
    case = detail.case
    can_work = actor_can(request.user, Permission.CASE_WORK)
    assignees: list[User] = (
        case_selectors.case_assignees(actor=request.user, case=case) if can_work else []
    )
    names = {u.pk: u.get_username() for u in assignees}
    if case.assignee is not None:
        names[case.assignee.pk] = case.assignee.get_username()
    return render(
        request,
        "console/case.html",
        {
            "case": case,
            "detail": detail,
            "standing": detail.standing,
            "standing_note": STANDING_NOTE,
            "tier_note": TIER_NOTE,
            "interactions": [(i, detail.replies.get(i.pk)) for i in detail.interactions],
            "events": [_event_line(e, names) for e in reversed(detail.events)],
            "can_work": can_work,
            "is_open": case.status in OPEN_STATUSES and case.merged_into_id is None,
            "next_statuses": [
                (value, label)
                for value, label in CaseStatus.choices
                if value in TRANSITIONS[case.status]
            ],
            "severities": Severity.choices,
            "urgencies": Urgency.choices,
            "assignees": assignees,
            "form": {**CASE_FORM, **(form or {})},
            "errors": errors or {},
        },
        status=status,
    )


@console_view(Permission.CASE_VIEW)
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_page(request, case_id)


def _failed(
    request: HttpRequest, case_id: int, field: str, exc: CXMError, form: dict[str, str]
) -> HttpResponse:
    """The case again, with the form as it was sent and the service's reason beside it.

    A case named in the form that is not there (a merge target) is a mistake in the
    form, 422: the page itself was found.
    """
    status = 422 if isinstance(exc, NotFound) else exc.status
    return _case_page(request, case_id, form=form, errors={field: _sentence(exc)}, status=status)


def _back_to(case_id: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("console:case", kwargs={"case_id": case_id}) + anchor)


@console_view(Permission.CASE_WORK, methods=("POST",))
def case_reply(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    body = request.POST.get("body", "")[:20_001]
    try:
        case_services.case_reply(actor=request.user, case_id=case.pk, body=body)
    except CXMError as exc:
        return _failed(request, case.pk, "reply", exc, {"reply": body})
    messages.success(
        request, f"Answer queued for delivery on {Channel(case.channel).label.lower()}."
    )
    return _back_to(case.pk, "#interactions")


@console_view(Permission.CASE_WORK, methods=("POST",))
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    status = request.POST.get("status", "")[:40]
    note = request.POST.get("note", "")[:500]
    try:
        changed = case_services.case_status_set(
            actor=request.user, case_id=case.pk, status=status, note=note
        )
    except CXMError as exc:
        return _failed(request, case.pk, "status", exc, {"status": status, "note": note})
    messages.success(request, f"Case {case.pk} is now {changed.get_status_display().lower()}.")
    return _back_to(case.pk)


@console_view(Permission.CASE_WORK, methods=("POST",))
def case_triage(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    try:
        changed = case_services.case_triage(
            actor=request.user,
            case_id=case.pk,
            severity=request.POST.get("severity", "")[:20] or None,
            urgency=request.POST.get("urgency", "")[:20] or None,
        )
    except CXMError as exc:
        return _failed(request, case.pk, "triage", exc, {})
    messages.success(
        request,
        f"Severity {changed.get_severity_display().lower()}, urgency "
        f"{changed.get_urgency_display().lower()}: {changed.get_priority_display()}.",
    )
    return _back_to(case.pk)


@console_view(Permission.CASE_WORK, methods=("POST",))
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    how = request.POST.get("how", "")
    raw_user = request.POST.get("user_id", "")[:20]
    try:
        if how == "me":
            user_id: int | None = request.user.pk
        elif how == "round_robin":
            user_id = None
        elif how == "user":
            user_id = _whole(raw_user, "the user", default=0)
            if not user_id:
                raise ValidationFailed("choose the person to assign the case to")
        else:
            raise ValidationFailed("choose how to assign the case")
        changed = case_services.case_assign(actor=request.user, case_id=case.pk, user_id=user_id)
    except CXMError as exc:
        return _failed(request, case.pk, "assign", exc, {"user_id": raw_user})
    assignee = changed.assignee.get_username() if changed.assignee else "nobody"
    messages.success(request, f"Case {case.pk} is assigned to {assignee}.")
    return _back_to(case.pk)


@console_view(Permission.CASE_WORK, methods=("POST",))
def case_merge(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    raw = request.POST.get("into", "").strip().lstrip("#")[:20]
    try:
        into = case_services.case_merge(
            actor=request.user, case_id=case.pk, into_id=int(raw) if raw.isdigit() else 0
        )
    except CXMError as exc:
        return _failed(request, case.pk, "merge", exc, {"into": raw})
    messages.success(request, f"Case {case.pk} was merged into this case.")
    return _back_to(into.pk)


@console_view(Permission.CASE_WORK, methods=("POST",))
def case_split(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.case_get(actor=request.user, case_id=case_id)
    ids = [int(raw) for raw in request.POST.getlist("interaction_ids")[:1000] if raw.isdigit()]
    try:
        new = case_services.case_split(actor=request.user, case_id=case.pk, interaction_ids=ids)
    except CXMError as exc:
        return _failed(request, case.pk, "split", exc, {})
    messages.success(
        request,
        f"Split from case {case.pk}: {len(ids)} interaction{'s' if len(ids) != 1 else ''} "
        "now make this case.",
    )
    return _back_to(new.pk)


# The fairness audit ----------------------------------------------------------------------

GROUPINGS = (
    ("influence", "Influence tiers", fairness.INFLUENCE_LABELS),
    ("account_value", "Account-value tiers", fairness.VALUE_LABELS),
)
AUDITED = (("first_response", "First response"), ("resolution", "Resolution"))


@dataclass(frozen=True)
class AuditTable:
    grouping: str
    title: str
    measure: str
    measure_label: str
    rows: list[tuple[str, fairness.TierResult, bool]]  # label, result, alerted
    audit: fairness.Audit


@console_view(Permission.SERVICE_REPORT_VIEW)
def fairness_audit(request: HttpRequest) -> HttpResponse:
    try:
        days = _whole(request.GET.get("days", ""), "days", default=90)
        channel = _channel_param(request)
        result = case_selectors.fairness_audit(actor=request.user, days=days, channel=channel)
    except CXMError as exc:
        messages.error(request, f"{_clause(exc)}; showing the last 90 days.")
        return redirect("console:fairness")
    tables: list[AuditTable] = []
    alerts: list[tuple[str, str, fairness.Alert]] = []
    for grouping, title, labels in GROUPINGS:
        for measure, measure_label in AUDITED:
            audit = result.audits[grouping][measure]
            alerted = {a.tier for a in audit.alerts}
            tables.append(
                AuditTable(
                    grouping,
                    title,
                    measure,
                    measure_label,
                    [(labels.get(t.tier, t.tier), t, t.tier in alerted) for t in audit.tiers],
                    audit,
                )
            )
            alerts.extend((title, measure_label, a) for a in audit.alerts)
    return render(
        request,
        "console/fairness.html",
        {
            "result": result,
            "tables": tables,
            "alerts": alerts,
            "days": days,
            "channel": channel or "",
            "channels": Channel.choices,
            "method": AUDIT_METHOD,
        },
    )


# Channel scorecards ----------------------------------------------------------------------


@console_view(Permission.SERVICE_REPORT_VIEW)
def scorecards(request: HttpRequest) -> HttpResponse:
    try:
        days = _whole(request.GET.get("days", ""), "days", default=30)
        result = channel_selectors.scorecards(actor=request.user, days=days)
    except CXMError as exc:
        messages.error(request, f"{_clause(exc)}; showing the last 30 days.")
        return redirect("console:scorecards")
    return render(
        request,
        "console/scorecards.html",
        {
            "result": result,
            "cards": result.cards,
            "consistency": result.consistency,
            "measures": channel_selectors.MEASURES,
            "days": days,
        },
    )


# The channel charter ---------------------------------------------------------------------


@public_view
@require_http_methods(["GET"])
def charter(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "console/charter.html",
        {
            "lines": channel_selectors.charter(),
            "time_basis": TIME_BASIS,
            "can_edit": actor_can(request.user, Permission.CHANNEL_MANAGE)
            if request.user.is_authenticated
            else False,
        },
    )


CHARTER_FIELDS = (
    "name",
    "how_to_reach",
    "hours",
    "handles",
    "does_not_handle",
    "target",
    "position",
)
EXAMPLE_HOURS = {
    "timezone": "Europe/London",
    "weekly": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "GB",
}


def _charter_form(entry: CharterEntry) -> dict[str, Any]:
    return {
        "channel": entry.channel,
        "name": entry.name,
        "how_to_reach": entry.how_to_reach,
        "hours": json.dumps(entry.hours, indent=2, ensure_ascii=False),
        "handles": entry.handles,
        "does_not_handle": entry.does_not_handle,
        "target": str(entry.target_first_response_minutes),
        "position": str(entry.position),
        "published": entry.published,
    }


def _charter_edit_page(
    request: HttpRequest,
    *,
    sent: dict[str, Any] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    lines = channel_selectors.charter_manage(actor=request.user)
    forms = []
    for line in lines:
        form = _charter_form(line.entry)
        if sent is not None and sent["channel"] == line.entry.channel:
            form, sent = {**sent, "error": error}, None
        forms.append({"line": line, "form": form})
    listed = {line.entry.channel for line in lines}
    new = {
        "channel": "",
        "name": "",
        "how_to_reach": "",
        "hours": json.dumps(EXAMPLE_HOURS, indent=2),
        "handles": "",
        "does_not_handle": "",
        "target": "",
        "position": str(len(lines)),
        "published": True,
        "error": "",
    }
    if sent is not None:  # a new channel's form came back with an error
        new = {**sent, "error": error}
    return render(
        request,
        "console/charter_edit.html",
        {
            "forms": forms,
            "new": new,
            "unlisted": [(v, label) for v, label in Channel.choices if v not in listed],
        },
        status=status,
    )


@console_view(Permission.CHANNEL_MANAGE)
def charter_edit(request: HttpRequest) -> HttpResponse:
    return _charter_edit_page(request)


@console_view(Permission.CHANNEL_MANAGE, methods=("POST",))
def charter_save(request: HttpRequest) -> HttpResponse:
    sent: dict[str, Any] = {
        name: request.POST.get(name, "")[:5000] for name in ("channel", *CHARTER_FIELDS)
    }
    sent["published"] = request.POST.get("published") == "on"
    try:
        try:
            hours = json.loads(sent["hours"])
        except json.JSONDecodeError as error:
            raise ValidationFailed(
                f"hours: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
            ) from None
        if not isinstance(hours, dict):
            raise ValidationFailed('hours: must be a JSON object such as {"timezone": ...}')
        entry = channel_services.charter_set(
            actor=request.user,
            channel=sent["channel"],
            entry=channel_services.CharterIn(
                name=sent["name"],
                how_to_reach=sent["how_to_reach"],
                hours=hours,
                handles=sent["handles"],
                does_not_handle=sent["does_not_handle"],
                target_first_response_minutes=_whole(
                    sent["target"], "the target first response (minutes)", default=0
                ),
                position=_whole(sent["position"], "position", default=0),
                published=sent["published"],
            ),
        )
    except CXMError as exc:
        return _charter_edit_page(
            request,
            sent=sent,
            error=f"Not saved: {_reason(exc)}.",
            status=exc.status,
        )
    messages.success(
        request,
        f"Saved the charter entry of {entry.name}"
        + (" (published)." if entry.published else " (not published)."),
    )
    return redirect(reverse("console:charter-edit") + f"#charter-{entry.channel}")


@console_view(Permission.CHANNEL_MANAGE, methods=("POST",))
def charter_remove(request: HttpRequest, channel: str) -> HttpResponse:
    try:
        channel_services.charter_delete(actor=request.user, channel=channel[:40])
    except CXMError as exc:
        messages.error(request, f"Not removed: {_reason(exc)}.")
    else:
        messages.success(request, f"Removed {channel} from the charter.")
    return redirect("console:charter-edit")
