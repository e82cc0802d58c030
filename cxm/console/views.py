"""The console: thin views over the customers and interactions selectors and services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from cxm.access import privacy
from cxm.access.decorators import console_view, request_ip
from cxm.access.permissions import Permission
from cxm.customers import selectors, services
from cxm.customers.enums import MergeAction
from cxm.customers.selectors import ChannelCount
from cxm.errors import CXMError
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
