from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from cxm.access import privacy
from cxm.access.decorators import request_ip
from cxm.access.permissions import Permission
from cxm.connectors.auth import acting_party, requires
from cxm.customers import selectors, services
from cxm.customers.models import Customer
from cxm.customers.schemas import CustomerListOut, CustomerOut, CustomerSummaryOut
from cxm.errors import ValidationFailed
from cxm.interactions import selectors as interaction_selectors
from cxm.interactions.schemas import ErrorOut, TimelineOut

router = Router(tags=["customers"])
READ_AUTH = requires(Permission.CUSTOMER_VIEW)
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


__all__ = ["CustomerSummaryOut", "router"]
