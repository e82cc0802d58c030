from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from cxm.interactions.enums import Channel, Direction


class CustomerRefIn(Schema):
    email: str | None = None
    phone: str | None = None
    crm_id: str | None = None
    twitter: str | None = None
    facebook: str | None = None
    instagram: str | None = None
    youtube: str | None = None
    chat_visitor: str | None = None
    other: str | None = None
    name: str | None = None
    company: str | None = None
    kind: str | None = None
    birth_date: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None


class InteractionIn(Schema):
    """One interaction as a channel or system sends it (documentation of the body)."""

    source: str | None = None
    external_id: str
    channel: Channel
    direction: Direction
    occurred_at: datetime
    customer: CustomerRefIn
    subject: str | None = None
    body: str | None = None
    attributes: dict[str, Any] | None = None
    automated: bool = Field(
        False,
        description="A notice or record a system sent (a bill, a reminder, an account "
        "change): kept on the timeline and evidence for promises and journeys, but it opens "
        "no case and answers none.",
    )


class LineErrorOut(Schema):
    line: int
    field: str
    message: str


class IngestOneOut(Schema):
    status: str
    interaction_id: int
    customer_id: int
    merge_proposals: int


class IngestErrorOut(Schema):
    code: str
    message: str
    errors: list[LineErrorOut] = []


class BulkIngestOut(Schema):
    accepted: int
    duplicates: int
    rejected: int
    merge_proposals: int
    errors: list[LineErrorOut]


class ErrorOut(Schema):
    code: str
    message: str


class SentimentOut(Schema):
    label: str
    score: float
    model: str


class InteractionOut(Schema):
    id: int
    source: str
    external_id: str
    channel: str
    direction: str
    occurred_at: datetime
    subject: str
    body: str
    attributes: dict[str, Any]
    automated: bool
    sentiment: SentimentOut | None
    topics: list[str]

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return str(obj.source.name)

    @staticmethod
    def resolve_sentiment(obj: Any) -> dict[str, Any] | None:
        """What the customer's words say; None for outbound or empty texts."""
        if not obj.sentiment_label:
            return None
        return {
            "label": obj.sentiment_label,
            "score": obj.sentiment_score if obj.sentiment_score is not None else 0.0,
            "model": obj.sentiment_model,
        }


class TimelineOut(Schema):
    customer_id: int
    items: list[InteractionOut]
    next_cursor: str | None


def inline_json_schema(model: type[Schema]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` written in place.

    Embedded in an OpenAPI document, pydantic's ``#/$defs/...`` references would
    point at the document's root, where there are none.
    """
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
