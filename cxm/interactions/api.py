from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from cxm.access.permissions import Permission
from cxm.access.throttles import IngestThrottle
from cxm.connectors.auth import TokenAuth
from cxm.connectors.models import ApiToken
from cxm.errors import CXMError
from cxm.interactions import services
from cxm.interactions.parsing import iter_ndjson
from cxm.interactions.schemas import (
    BulkIngestOut,
    ErrorOut,
    IngestErrorOut,
    IngestOneOut,
    InteractionIn,
    inline_json_schema,
)

router = Router(tags=["interactions"])

MAX_BULK_LINES = 10_000


class PayloadTooLarge(CXMError):
    code = "too_many_lines"
    status = 413


def _errors(result: services.IngestResult) -> list[dict[str, Any]]:
    return [{"line": r.line, "field": r.field, "message": r.message} for r in result.rejected]


@router.post(
    "",
    auth=TokenAuth(Permission.INTERACTION_INGEST),
    throttle=IngestThrottle(),
    response={
        200: IngestOneOut,
        201: IngestOneOut,
        401: ErrorOut,
        403: ErrorOut,
        422: IngestErrorOut,
        429: ErrorOut,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_json_schema(InteractionIn)}},
        }
    },
    summary="Send one interaction",
)
def interaction_create(request: HttpRequest) -> Status[dict[str, Any]]:
    """Store one interaction. 201 when new, 200 when it was already stored."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    policy = services.SourcePolicy(default=token.source, bound=True)
    records = list(iter_ndjson([request.body.replace(b"\n", b" ")]))
    if not records:
        return Status(
            422, {"code": "invalid", "message": "the request body is empty", "errors": []}
        )
    result = services.interactions_ingest(records=records, policy=policy, keep_outcomes=True)
    if result.rejected:
        errors = _errors(result)
        return Status(
            422,
            {
                "code": "invalid",
                "message": "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                "errors": errors,
            },
        )
    outcome = result.outcomes[0]
    status = 201 if outcome.status == "accepted" else 200
    return Status(
        status,
        {
            "status": outcome.status,
            "interaction_id": outcome.interaction_id,
            "customer_id": outcome.customer_id,
            "merge_proposals": result.proposals,
        },
    )


@router.post(
    "/bulk",
    auth=TokenAuth(Permission.INTERACTION_INGEST),
    throttle=IngestThrottle(),
    response={200: BulkIngestOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 429: ErrorOut},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "NDJSON: one interaction object per line, up to 10,000 lines.",
            "content": {
                "application/x-ndjson": {
                    "schema": {
                        "type": "array",
                        "items": inline_json_schema(InteractionIn),
                        "maxItems": MAX_BULK_LINES,
                    }
                }
            },
        }
    },
    summary="Send up to 10,000 interactions as NDJSON",
)
def interaction_bulk_create(request: HttpRequest) -> HttpResponse | dict[str, Any]:
    """Good lines are stored even when others are bad; each bad line is reported."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    lines = request.body.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()
    if len(lines) > MAX_BULK_LINES:
        raise PayloadTooLarge(
            f"this batch has {len(lines)} lines; send at most {MAX_BULK_LINES} per request"
        )
    policy = services.SourcePolicy(default=token.source, bound=True)
    result = services.interactions_ingest(records=iter_ndjson(lines), policy=policy)
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": len({r.line for r in result.rejected}),
        "merge_proposals": result.proposals,
        "errors": _errors(result),
    }
