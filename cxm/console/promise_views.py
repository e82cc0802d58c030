"""The console's pages of promises and journeys: the gaps (what is slipping, before the
customer has to call), the promise ledger and each promise, commitments suggested from
agents' messages, keeping rates with the sales view, and the journey funnel. Thin views
over the selectors and services of promises and journeys, the same ones the API calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxm.access.decorators import console_view
from cxm.access.permissions import Permission
from cxm.access.selectors import actor_can
from cxm.customers.models import Customer
from cxm.errors import CXMError, NotFound, ValidationFailed
from cxm.interactions.enums import Channel
from cxm.interactions.rules import InteractionRule
from cxm.journeys import selectors as journey_selectors
from cxm.journeys.enums import Stage
from cxm.promises import selectors, services
from cxm.promises.api import KEEPING_RULE
from cxm.promises.enums import PromiseKind, PromiseStatus

PERIODS = {"30": 30, "90": 90, "180": 180, "365": 365}


def _sentence(exc: CXMError) -> str:
    text = exc.message.rstrip(".")
    return f"{text[:1].upper()}{text[1:]}."


def _zone(team_id: int | None = None) -> str:
    """The time zone forms are read in: the one every console page shows times in."""
    return timezone.get_current_timezone_name()


def _local(raw: str, name: str, zone: str, *, required: bool = True) -> datetime | None:
    """A date and time typed in a form (``2026-12-08T13:00``), read in ``zone``."""
    raw = raw.strip()[:40]
    if not raw:
        if required:
            raise ValidationFailed(f"{name} is required")
        return None
    parsed = parse_datetime(raw) if "T" in raw or " " in raw else parse_datetime(f"{raw}T17:00")
    if parsed is None:
        raise ValidationFailed(f"{name} must be a date and time, e.g. 2026-12-08 13:00")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed


def _whole(raw: str, name: str) -> int | None:
    raw = raw.strip()[:15]
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(f"{name} must be a whole number, not '{raw}'")
    return int(raw)


# The gaps ---------------------------------------------------------------------------------


@console_view(Permission.PROMISE_VIEW)
def gaps(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    found = selectors.promise_gaps(actor=request.user, now=now)
    return render(
        request,
        "console/gaps.html",
        {
            "now": now,
            "gaps": found,
            "alerts": selectors.alerts_for(actor=request.user),
            "stalled": journey_selectors.onboardings_stalled(actor=request.user, now=now),
            "can_work": actor_can(request.user, Permission.PROMISE_WORK),
        },
    )


@console_view(Permission.PROMISE_WORK, methods=("POST",))
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    try:
        alert = services.promise_alert_acknowledge(actor=request.user, alert_id=alert_id)
    except NotFound:
        raise
    except CXMError as exc:
        messages.error(request, _sentence(exc))
        return redirect("console:gaps")
    messages.success(request, f"Alert on “{alert.promise.title}” acknowledged.")
    return redirect("console:gaps")


# The ledger ----------------------------------------------------------------------------------


@console_view(Permission.PROMISE_VIEW)
def promises(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")[:20]
    kind = request.GET.get("kind", "")[:20]
    try:
        offset = _whole(request.GET.get("offset", ""), "offset") or 0
        page = selectors.promise_list(
            actor=request.user,
            status=status or None,
            kind=kind or None,
            made_by=request.GET.get("made_by", "").strip()[:150] or None,
            offset=offset,
        )
    except CXMError as exc:
        messages.error(request, _sentence(exc))
        return redirect("console:promises")
    query = {k: v for k, v in (("status", status), ("kind", kind)) if v}
    return render(
        request,
        "console/promises.html",
        {
            "page": page,
            "now": timezone.now(),
            "status": status,
            "kind": kind,
            "statuses": PromiseStatus.choices,
            "kinds": PromiseKind.choices,
            "next_query": urlencode({**query, "offset": offset + page.limit})
            if offset + page.limit < page.total
            else "",
            "suggestions": len(selectors.suggestions_pending(actor=request.user)),
            "can_work": actor_can(request.user, Permission.PROMISE_WORK),
        },
    )


def _new_form(
    request: HttpRequest, form: dict[str, str], error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request,
        "console/promise_new.html",
        {
            "form": form,
            "error": error,
            "kinds": PromiseKind.choices,
            "channels": Channel.choices,
            "zone": _zone(),
        },
        status=status,
    )


FORM_FIELDS = ("customer_id", "kind", "title", "terms", "due_at", "channel", "document", "evidence")


@console_view(Permission.PROMISE_WORK, methods=("GET", "POST"))
def promise_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _new_form(request, {"customer_id": request.GET.get("customer", "")[:15]})
    form = {name: request.POST.get(name, "")[:10_000] for name in FORM_FIELDS}
    try:
        customer_id = _whole(form["customer_id"], "the customer number")
        if customer_id is None:
            raise ValidationFailed("say which customer (their number, as on their page)")
        due_at = _local(form["due_at"], "the due date", _zone())
        promise = services.promise_create(
            actor=request.user,
            promise=services.PromiseIn(
                customer_id=customer_id,
                kind=form["kind"],
                title=form["title"],
                terms=form["terms"],
                due_at=due_at or "",
                channel=form["channel"],
                document=form["document"],
                evidence=form["evidence"],
            ),
        )
    except CXMError as exc:
        return _new_form(request, form, _sentence(exc), status=422)
    messages.success(request, f"Promise recorded: due {promise.due_at:%Y-%m-%d %H:%M} UTC.")
    return redirect("console:promise", promise_id=promise.pk)


def _promise_page(
    request: HttpRequest,
    promise_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    promise = selectors.promise_get(actor=request.user, promise_id=promise_id)
    return render(
        request,
        "console/promise.html",
        {
            "promise": promise,
            "now": timezone.now(),
            "errors": errors or {},
            "form": form or {},
            "zone": _zone(promise.team_id),
            "pending": promise.status in (PromiseStatus.OPEN, PromiseStatus.AT_RISK),
            "can_work": actor_can(request.user, Permission.PROMISE_WORK),
            "evidence_rule": InteractionRule.from_dict(promise.evidence_rule).describe(),
            "evidence_automatic": bool(promise.evidence_rule),
        },
        status=status,
    )


@console_view(Permission.PROMISE_VIEW)
def promise_page(request: HttpRequest, promise_id: int) -> HttpResponse:
    return _promise_page(request, promise_id)


def _failed(
    request: HttpRequest, promise_id: int, field: str, exc: CXMError, form: dict[str, str]
) -> HttpResponse:
    status = 422 if isinstance(exc, NotFound) else exc.status
    return _promise_page(
        request, promise_id, errors={field: _sentence(exc)}, form=form, status=status
    )


@console_view(Permission.PROMISE_WORK, methods=("POST",))
def promise_deliver(request: HttpRequest, promise_id: int) -> HttpResponse:
    promise = selectors.promise_get(actor=request.user, promise_id=promise_id)
    form = {"note": request.POST.get("note", "")[:1001], "at": request.POST.get("at", "")[:40]}
    try:
        at = _local(form["at"], "the delivery time", _zone(promise.team_id), required=False)
        changed = services.promise_deliver(
            actor=request.user, promise_id=promise.pk, note=form["note"], at=at
        )
    except CXMError as exc:
        return _failed(request, promise.pk, "deliver", exc, form)
    messages.success(
        request,
        "Kept." if changed.status == PromiseStatus.KEPT else "Recorded as delivered late.",
    )
    return redirect("console:promise", promise_id=promise.pk)


@console_view(Permission.PROMISE_WORK, methods=("POST",))
def promise_break(request: HttpRequest, promise_id: int) -> HttpResponse:
    promise = selectors.promise_get(actor=request.user, promise_id=promise_id)
    form = {"reason": request.POST.get("reason", "")[:1001]}
    try:
        changed = services.promise_break(
            actor=request.user, promise_id=promise.pk, reason=form["reason"]
        )
    except CXMError as exc:
        return _failed(request, promise.pk, "break", exc, form)
    messages.success(
        request,
        "Marked broken; the owner is alerted"
        + (f" and case {changed.case_id} is open for the customer." if changed.case_id else "."),
    )
    return redirect("console:promise", promise_id=promise.pk)


@console_view(Permission.PROMISE_WORK, methods=("POST",))
def promise_renegotiate(request: HttpRequest, promise_id: int) -> HttpResponse:
    promise = selectors.promise_get(actor=request.user, promise_id=promise_id)
    form = {
        "due_at": request.POST.get("due_at", "")[:40],
        "note": request.POST.get("note", "")[:1001],
        "title": request.POST.get("title", "")[:201],
    }
    try:
        due = _local(form["due_at"], "the new due date", _zone(promise.team_id))
        successor = services.promise_renegotiate(
            actor=request.user,
            promise_id=promise.pk,
            due_at=due or "",
            note=form["note"],
            title=form["title"],
        )
    except CXMError as exc:
        return _failed(request, promise.pk, "renegotiate", exc, form)
    messages.success(request, "New terms recorded as a new promise.")
    return redirect("console:promise", promise_id=successor.pk)


# Suggestions ---------------------------------------------------------------------------------


@console_view(Permission.PROMISE_VIEW)
def suggestions(request: HttpRequest) -> HttpResponse:
    return _suggestions_page(request)


def _suggestions_page(
    request: HttpRequest, *, errors: dict[int, str] | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "console/promise_suggestions.html",
        {
            "suggestions": selectors.suggestions_pending(actor=request.user),
            "kinds": PromiseKind.choices,
            "errors": errors or {},
            "zone": _zone(),
            "can_work": actor_can(request.user, Permission.PROMISE_WORK),
        },
        status=status,
    )


@console_view(Permission.PROMISE_WORK, methods=("POST",))
def suggestion_confirm(request: HttpRequest, promise_suggestion_id: int) -> HttpResponse:
    suggestion = selectors.suggestion_get(actor=request.user, suggestion_id=promise_suggestion_id)
    try:
        due = _local(request.POST.get("due_at", ""), "the due date", _zone(), required=False)
        promise = services.suggestion_confirm(
            actor=request.user,
            suggestion_id=suggestion.pk,
            title=request.POST.get("title", "")[:201],
            kind=request.POST.get("kind", "")[:20],
            due_at=due,
        )
    except CXMError as exc:
        status = 422 if isinstance(exc, NotFound) else exc.status
        return _suggestions_page(request, errors={suggestion.pk: _sentence(exc)}, status=status)
    messages.success(request, f"“{promise.title}” is in the ledger.")
    return redirect("console:promise", promise_id=promise.pk)


@console_view(Permission.PROMISE_WORK, methods=("POST",))
def suggestion_dismiss(request: HttpRequest, promise_suggestion_id: int) -> HttpResponse:
    suggestion = selectors.suggestion_get(actor=request.user, suggestion_id=promise_suggestion_id)
    try:
        services.suggestion_dismiss(actor=request.user, suggestion_id=suggestion.pk)
    except CXMError as exc:
        return _suggestions_page(request, errors={suggestion.pk: _sentence(exc)}, status=exc.status)
    messages.success(request, "Dismissed: not a commitment.")
    return redirect("console:promise-suggestions")


# Reports -----------------------------------------------------------------------------------


def _period(request: HttpRequest, default: str) -> tuple[str, datetime, datetime]:
    days = request.GET.get("days", default)
    if days not in PERIODS:
        days = default
    until = timezone.now()
    return days, until - timedelta(days=PERIODS[days]), until


@console_view(Permission.SERVICE_REPORT_VIEW)
def keeping(request: HttpRequest) -> HttpResponse:
    days, since, until = _period(request, "90")
    by = request.GET.get("by", "person")
    if by not in selectors.GROUPINGS:
        by = "person"
    report = selectors.keeping_report(actor=request.user, since=since, until=until, by=by)
    return render(
        request,
        "console/keeping.html",
        {
            "report": report,
            "days": days,
            "periods": PERIODS,
            "by": by,
            "groupings": selectors.GROUPINGS,
            "rule": KEEPING_RULE,
            "kind_labels": dict(PromiseKind.choices),
        },
    )


@console_view(Permission.SERVICE_REPORT_VIEW)
def journey(request: HttpRequest) -> HttpResponse:
    days, since, until = _period(request, "180")
    now = timezone.now()
    report = journey_selectors.journey_report(actor=request.user, since=since, until=until, now=now)
    value = journey_selectors.time_to_value_report(
        actor=request.user, since=until - timedelta(days=365), until=until, now=now, by="kind"
    )
    funnel = [row for row in report.stages if row.stage not in (Stage.CHURNED, Stage.WON_BACK)]
    widest = max((row.entered for row in funnel), default=0) or 1
    return render(
        request,
        "console/journey.html",
        {
            "report": report,
            # Bars as SVG widths in pixels (the content security policy allows no inline style).
            "funnel": [(row, round(120 * row.entered / widest)) for row in funnel],
            "after": [row for row in report.stages if row not in funnel],
            "value": value,
            "days": days,
            "periods": PERIODS,
            "stage_labels": dict(Stage.choices),
        },
    )


def customer_context(
    request: HttpRequest, customer: Customer, group: Sequence[int]
) -> dict[str, Any]:
    """What the customer page shows of promises, journey and health, for a customer
    the page found visible (through ``customer_get``); ``group``: its rows
    (``customer_group_ids``)."""
    now = timezone.now()
    sees_promises = actor_can(request.user, Permission.PROMISE_VIEW)
    return {
        "journey": journey_selectors.customer_journey(customer=customer, group=group, now=now),
        "health": journey_selectors.customer_health(customer=customer, group=group, now=now),
        "sees_promises": sees_promises,
        "promises": selectors.customer_promises(
            actor=request.user, customer_id=customer.pk, group=group
        )
        if sees_promises
        else [],
        "promise_suggestions": selectors.suggestions_pending(
            actor=request.user, customer_id=customer.pk, group=group
        )
        if sees_promises
        else [],
        "now": now,
        "new_promise_url": reverse("console:promise-new") + f"?customer={customer.pk}",
    }
