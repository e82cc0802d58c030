from __future__ import annotations

import base64
import binascii
import math
from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from cxm.access import privacy
from cxm.access.decorators import request_ip
from cxm.access.permissions import Permission
from cxm.connectors.auth import acting_party, requires
from cxm.customers import selectors, services
from cxm.customers.models import Customer, MergeEvent, MergeProposal
from cxm.customers.schemas import (
    CustomerLinksOut,
    CustomerListOut,
    CustomerOut,
    CustomerSummaryOut,
    MergeEventOut,
    MergeProposalListOut,
    MergeProposalOut,
)
from cxm.errors import ValidationFailed
from cxm.interactions import selectors as interaction_selectors
from cxm.interactions.schemas import ErrorOut, TimelineOut

router = Router(tags=["customers"])
# Merge proposals and merges: mounted at the API's root, beside /customers.
merges_router = Router(tags=["identity resolution"])
READ_AUTH = requires(Permission.CUSTOMER_VIEW)
MERGE_AUTH = requires(Permission.CUSTOMER_MERGE)
# The HTTP server itself (gunicorn) refuses a request line over 8 KB before CXM
# sees it, with an HTML page; documented so that clients know to expect it.
URI_TOO_LONG = {
    "responses": {
        "414": {
            "description": "The URL is too long (answered by the HTTP server)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    }
}


class SearchParams(Schema):
    q: str = Field("", max_length=200, description="Any identifier, or part of a name")
    limit: int = Field(50, ge=1, le=200)


class ErasureIn(Schema):
    confirm: bool = Field(description="Must be true: an erasure cannot be undone")
    reason: str = Field("", max_length=500, description="Why, e.g. the request's reference")


class ErasureOut(Schema):
    customer_id: int
    customer_ids: list[int]
    counts: dict[str, int]


class TimelineParams(Schema):
    channel: str | None = Field(None, description="Only this channel")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page")
    limit: int = Field(50, ge=1, le=200)


def _summary(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "display_name": customer.display_name,
        "kind": customer.kind,
        "account": {"id": customer.account.pk, "name": customer.account.name}
        if customer.account
        else None,
    }


@router.get(
    "",
    openapi_extra=URI_TOO_LONG,
    auth=READ_AUTH,
    response={200: CustomerListOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Search customers by any identifier or name",
)
def customer_list(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    customers = selectors.customer_search(
        actor=acting_party(request), query=params.q, limit=params.limit
    )
    return {"items": [_summary(c) for c in customers], "count": len(customers)}


@router.get(
    "/{customer_id}",
    openapi_extra=URI_TOO_LONG,
    auth=READ_AUTH,
    response={200: CustomerOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="The unified profile of one customer",
)
def customer_detail(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    actor = acting_party(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    channels = selectors.customer_channel_counts(customer=customer)
    services.customer_read_record(customer=customer, actor=actor, ip=request_ip(request), via="api")
    return {
        **_summary(customer),
        "merged_into": customer.merged_into_id,
        "created_at": customer.created_at,
        "identities": [
            {
                "kind": i.kind,
                "value": i.value_normalized,
                "raw": i.value_raw,
                "source": i.source.name,
                "first_seen": i.first_seen,
                "last_seen": i.last_seen,
            }
            for i in selectors.customer_identities(customer=customer)
        ],
        "channels": [{"channel": c.channel, "count": c.count} for c in channels],
        "interaction_count": sum(c.count for c in channels),
    }


@router.get(
    "/{customer_id}/timeline",
    openapi_extra=URI_TOO_LONG,
    auth=READ_AUTH,
    response={200: TimelineOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Every interaction of a customer on every channel, newest first",
)
def customer_timeline(
    request: HttpRequest, customer_id: int, params: Query[TimelineParams]
) -> dict[str, Any]:
    actor = acting_party(request)
    customer = selectors.customer_get(actor=actor, customer_id=customer_id)
    if not params.cursor:
        services.customer_read_record(
            customer=customer, actor=actor, ip=request_ip(request), via="api timeline"
        )
    page = interaction_selectors.customer_timeline(
        customer=customer, channel=params.channel, cursor=params.cursor, limit=params.limit
    )
    return {"customer_id": customer.pk, "items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/{customer_id}/export",
    openapi_extra=URI_TOO_LONG,
    auth=requires(Permission.PRIVACY_EXPORT),
    response={200: dict[str, Any], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Everything CXM holds about one customer (administrators)",
)
def customer_export(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    actor = acting_party(request)
    customer = selectors.customer_get(
        actor=actor, customer_id=customer_id, permission=Permission.PRIVACY_EXPORT
    )
    return privacy.customer_export(actor=actor, customer_id=customer.pk, ip=request_ip(request))


@router.post(
    "/{customer_id}/erase",
    auth=requires(Permission.PRIVACY_ERASE),
    response={200: ErasureOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Erase one customer's personal data everywhere (administrators)",
)
def customer_erase(request: HttpRequest, customer_id: int, payload: ErasureIn) -> dict[str, Any]:
    actor = acting_party(request)
    customer = selectors.customer_get(
        actor=actor, customer_id=customer_id, permission=Permission.PRIVACY_ERASE
    )
    if not payload.confirm:
        raise ValidationFailed(
            "Send confirm: true to erase; an erasure cannot be undone", code="not_confirmed"
        )
    report = privacy.customer_erase(
        actor=actor, customer_id=customer.pk, reason=payload.reason, ip=request_ip(request)
    )
    return {
        "customer_id": report.customer_id,
        "customer_ids": report.customer_ids,
        "counts": report.counts,
    }


@router.get(
    "/{customer_id}/links",
    openapi_extra=URI_TOO_LONG,
    auth=READ_AUTH,
    response={200: CustomerLinksOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Why this customer's rows were linked into one profile, or kept apart",
)
def customer_links(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """For the customer's group (the surviving profile and every customer merged
    into it; a merged customer's id answers for its group): every merge and
    un-merge, newest first, with who, when, why and the evidence of the proposal
    it settled; and every proposal involving one of the group that is pending,
    rejected (kept apart), or accepted without a merge of its own."""
    actor = acting_party(request)
    links = selectors.customer_links(actor=actor, customer_id=customer_id)
    services.customer_read_record(
        customer=links.customer, actor=actor, ip=request_ip(request), via="api links"
    )
    undoes = {e.undone_by_id: e.pk for e in links.events if e.undone_by_id is not None}
    return {
        "customer_id": links.customer.pk,
        "survivor_id": links.survivor_id,
        "customers": [_linked(c) for c in links.customers],
        "merges": [_merge_event(e, undoes=undoes.get(e.pk)) for e in links.events],
        "proposals": [_proposal(p) for p in links.proposals],
    }


# ---- merge proposals and merges --------------------------------------------


# What deciding on a merge can answer besides success.
_DECISION_ANSWERS: dict[int, Any] = {code: ErrorOut for code in (401, 403, 404, 409, 422)}


class ProposalListParams(Schema):
    status: Literal["pending", "accepted", "rejected"] = Field(
        "pending", description="Proposals awaiting review, merged, or kept apart"
    )
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page")
    limit: int = Field(50, ge=1, le=200)


class DecisionIn(Schema):
    note: str = Field("", max_length=2000, description="Why; kept with the decision")


class UndoIn(Schema):
    # Not marked required so that an unknown merge is a 404 whatever the body;
    # an empty reason is refused (422, reason_required) once the merge is found.
    reason: str = Field("", max_length=2000, description="Required: why these are different people")


_EVIDENCE_TEXT = ("kind", "value", "comparison", "left", "right", "level")


def _evidence(items: Any) -> list[dict[str, Any]]:
    # Evidence is stored JSON written by several versions of CXM: read it
    # defensively, so that an odd row shows as nulls rather than failing.
    rows = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        row: dict[str, Any] = {
            key: None if item.get(key) is None else str(item[key]) for key in _EVIDENCE_TEXT
        }
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            weight = None
        row["weight"] = float(weight) if weight is not None and math.isfinite(weight) else None
        rows.append(row)
    return rows


def _linked(customer: Customer) -> dict[str, Any]:
    return {**_summary(customer), "merged_into": customer.merged_into_id}


def _proposal(proposal: MergeProposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "status": proposal.status,
        "method": proposal.method,
        "score": proposal.score,
        "reason": proposal.reason,
        "evidence": _evidence(proposal.evidence),
        "customer_low": _linked(proposal.customer_low),
        "customer_high": _linked(proposal.customer_high),
        "interaction_id": proposal.interaction_id,
        "created_at": proposal.created_at,
        "decided_at": proposal.decided_at,
        "decided_by": proposal.decided_by_label
        or (proposal.decided_by.get_username() if proposal.decided_by else None),
        "decision_note": proposal.decision_note,
    }


def _merge_event(event: MergeEvent, *, undoes: int | None = None) -> dict[str, Any]:
    proposal = event.proposal
    return {
        "id": event.pk,
        "action": event.action,
        "survivor_id": event.survivor_id,
        "merged_id": event.merged_id,
        "actor": event.actor_label,
        "reason": event.reason,
        "created_at": event.created_at,
        "undone": event.undone_by_id is not None,
        "undone_by": event.undone_by_id,
        "undoes": undoes,
        "proposal": {
            "id": proposal.pk,
            "status": proposal.status,
            "method": proposal.method,
            "score": proposal.score,
            "reason": proposal.reason,
            "evidence": _evidence(proposal.evidence),
        }
        if proposal is not None
        else None,
    }


def _cursor(position: tuple[datetime, int] | None) -> str | None:
    if position is None:
        return None
    raw = f"{position[0].isoformat()}|{position[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            raise ValueError("a naive time")
        # astimezone: a time with no UTC equivalent (year 1, east of UTC) overflows here.
        return parsed.astimezone(UTC), int(ident)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            "This cursor is not one CXM gave out; start again without it", code="bad_cursor"
        ) from None


@merges_router.get(
    "/merge-proposals",
    openapi_extra=URI_TOO_LONG,
    auth=READ_AUTH,
    response={200: MergeProposalListOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Merge proposals in one status, newest first",
)
def merge_proposal_list(request: HttpRequest, params: Query[ProposalListParams]) -> dict[str, Any]:
    """Pairs of customers that might be one person: tied by an identifier one
    interaction carried, or scored by the match model (``score``, the match
    probability). Page with ``cursor``."""
    page = selectors.merge_proposal_page(
        actor=acting_party(request),
        status=params.status,
        after=_position(params.cursor) if params.cursor else None,
        limit=params.limit,
    )
    return {
        "items": [_proposal(p) for p in page.items],
        "count": len(page.items),
        "next_cursor": _cursor(page.next_after),
    }


@merges_router.get(
    "/merge-proposals/{proposal_id}",
    openapi_extra=URI_TOO_LONG,
    auth=READ_AUTH,
    response={200: MergeProposalOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="One merge proposal",
)
def merge_proposal_detail(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    return _proposal(
        selectors.merge_proposal_detail(actor=acting_party(request), proposal_id=proposal_id)
    )


@merges_router.post(
    "/merge-proposals/{proposal_id}/accept",
    auth=MERGE_AUTH,
    response=_DECISION_ANSWERS | {200: MergeEventOut},
    summary="Merge the proposal's two customers (undoably)",
)
def merge_proposal_accept(
    request: HttpRequest, proposal_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    """The younger customer moves into the older; the merge event is returned.
    409 when the proposal was already decided, or its customers are already one."""
    actor = acting_party(request)
    proposal = selectors.merge_proposal_get(actor=actor, proposal_id=proposal_id)
    event = services.merge_proposal_accept(
        proposal=proposal,
        actor=actor,
        note=payload.note if payload else "",
        ip=request_ip(request),
    )
    return _merge_event(event)


@merges_router.post(
    "/merge-proposals/{proposal_id}/reject",
    auth=MERGE_AUTH,
    response=_DECISION_ANSWERS | {200: MergeProposalOut},
    summary="Keep the proposal's two customers apart; the pair is never proposed again",
)
def merge_proposal_reject(
    request: HttpRequest, proposal_id: int, payload: DecisionIn | None = None
) -> dict[str, Any]:
    actor = acting_party(request)
    proposal = selectors.merge_proposal_get(actor=actor, proposal_id=proposal_id)
    services.merge_proposal_reject(
        proposal=proposal,
        actor=actor,
        note=payload.note if payload else "",
        ip=request_ip(request),
    )
    return _proposal(selectors.merge_proposal_detail(actor=actor, proposal_id=proposal.pk))


@merges_router.post(
    "/merges/{event_id}/undo",
    auth=MERGE_AUTH,
    response=_DECISION_ANSWERS | {200: MergeEventOut},
    summary="Undo a merge: the merged customer gets back what it had",
)
def merge_undo(
    request: HttpRequest, event_id: int, payload: UndoIn | None = None
) -> dict[str, Any]:
    """Returns the un-merge event. The pair is kept apart from then on (its
    proposal is rejected). 409 when the merge was already undone, or its
    survivor was itself merged since (undo that merge first)."""
    actor = acting_party(request)
    event = selectors.merge_event_get(actor=actor, event_id=event_id)
    undo = services.customer_unmerge(
        event=event,
        actor=actor,
        reason=payload.reason if payload else "",
        ip=request_ip(request),
    )
    return _merge_event(undo, undoes=event.pk)


__all__ = ["CustomerSummaryOut", "merges_router", "router"]
