"""The insights API: sentiment labels, the learned model's record, and topics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from cxm.access.permissions import Permission
from cxm.connectors.auth import acting_party, requires
from cxm.insights import selectors, services
from cxm.insights.models import Topic, TopicSuggestion
from cxm.interactions.schemas import ErrorOut

router = Router(tags=["sentiment and topics"])

VIEW_AUTH = requires(Permission.FEEDBACK_VIEW)
LABEL_AUTH = requires(Permission.SENTIMENT_LABEL)
TOPIC_AUTH = requires(Permission.TOPIC_MANAGE)
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class LabelIn(Schema):
    label: Literal["negative", "neutral", "positive"]
    interaction_id: int | None = Field(None, ge=1, le=2**63 - 1)
    text: str | None = Field(None, max_length=services.MAX_TEXT)


class LabelsIn(Schema):
    labels: list[LabelIn] = Field(min_length=1, max_length=services.MAX_LABELS_PER_REQUEST)


class LabelErrorOut(Schema):
    index: int
    message: str


class LabelsOut(Schema):
    stored: int
    replaced: int
    errors: list[LabelErrorOut]
    labels_total: int
    training_due: bool


class ModelOut(Schema):
    model: str
    labels: int
    run: dict[str, Any] | None


class TopicIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    any_phrases: list[str] = Field(min_length=1, max_length=200)
    all_phrases: list[str] = Field(default_factory=list, max_length=50)
    none_phrases: list[str] = Field(default_factory=list, max_length=50)
    near: list[tuple[str, str, int]] = Field(default_factory=list, max_length=20)


class TopicOut(Schema):
    key: str
    name: str
    any_phrases: list[str]
    all_phrases: list[str]
    none_phrases: list[str]
    near: list[list[Any]]
    active: bool


class TopicListOut(Schema):
    items: list[TopicOut]


class SuggestionOut(Schema):
    id: int
    terms: list[str]
    phrases: list[str]
    size: int
    quotes: list[str]
    adopted: str | None
    discovered_at: datetime


class SuggestionListOut(Schema):
    items: list[SuggestionOut]


class AdoptIn(Schema):
    key: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=120)


def _topic(topic: Topic) -> dict[str, Any]:
    return {
        "key": topic.key,
        "name": topic.name,
        "any_phrases": topic.any_phrases,
        "all_phrases": topic.all_phrases,
        "none_phrases": topic.none_phrases,
        "near": topic.near,
        "active": topic.active,
    }


def _suggestion(item: TopicSuggestion, quotes: dict[int, str]) -> dict[str, Any]:
    return {
        "id": item.pk,
        "terms": item.terms,
        "phrases": item.phrases,
        "size": item.size,
        "quotes": [quotes[i] for i in item.quote_ids if quotes.get(i)],
        "adopted": item.adopted.key if item.adopted else None,
        "discovered_at": item.discovered_at,
    }


@router.post(
    "/sentiment/labels",
    auth=LABEL_AUTH,
    response={200: LabelsOut, **ERRORS},
    summary="Teach CXM the sentiment of texts (corrections or fresh labels)",
)
def labels_create(request: HttpRequest, payload: LabelsIn) -> dict[str, Any]:
    """Each label names an interaction (its text is taken from there) or carries a
    text. Good labels are kept even when others are refused; each refusal says why."""
    actor = acting_party(request)
    report = services.sentiment_labels_record(
        labels=[
            services.LabelIn(label=item.label, interaction_id=item.interaction_id, text=item.text)
            for item in payload.labels
        ],
        actor=actor,
        visible=selectors.visible_interactions(actor),
    )
    return {
        "stored": report.stored,
        "replaced": report.replaced,
        "errors": [{"index": i, "message": m} for i, m in report.errors],
        "labels_total": selectors.label_count(),
        "training_due": services.sentiment_train_due(),
    }


@router.post(
    "/sentiment/model/train",
    auth=LABEL_AUTH,
    response={200: ModelOut, **ERRORS},
    summary="Fit the learned model and judge it against the baseline on held-back labels",
)
def model_train(request: HttpRequest) -> dict[str, Any]:
    services.sentiment_train()
    return selectors.model_state()


@router.get(
    "/sentiment/model",
    auth=VIEW_AUTH,
    response={200: ModelOut, **ERRORS},
    summary="Which sentiment model is in use, and how it measured on held-back labels",
)
def model_get(request: HttpRequest) -> dict[str, Any]:
    return selectors.model_state()


@router.get("/topics", auth=VIEW_AUTH, response={200: TopicListOut, **ERRORS}, summary="Taxonomy")
def topic_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": [_topic(t) for t in selectors.topic_list()]}


@router.post(
    "/topics/discover",
    auth=TOPIC_AUTH,
    response={200: SuggestionListOut, **ERRORS},
    summary="Cluster recent texts that no topic matched into suggested topics",
)
def topics_discover(request: HttpRequest) -> dict[str, Any]:
    found = services.topics_discover()
    return {"items": [_suggestion(s, selectors.quotes(found)) for s in found]}


@router.get(
    "/topics/suggestions",
    auth=VIEW_AUTH,
    response={200: SuggestionListOut, **ERRORS},
    summary="Suggested topics, with representative quotes",
)
def suggestion_list(request: HttpRequest) -> dict[str, Any]:
    items = selectors.suggestion_list(actor=acting_party(request))
    return {"items": [_suggestion(s, selectors.quotes(items)) for s in items]}


@router.post(
    "/topics/suggestions/{suggestion_id}/adopt",
    auth=TOPIC_AUTH,
    response={200: TopicOut, **ERRORS},
    summary="Adopt a suggestion into the taxonomy (its texts are tagged at once)",
)
def suggestion_adopt(request: HttpRequest, suggestion_id: int, payload: AdoptIn) -> dict[str, Any]:
    actor = acting_party(request)
    suggestion = selectors.suggestion_get(suggestion_id=suggestion_id)
    topic = services.topic_suggestion_adopt(
        suggestion=suggestion, key=payload.key, name=payload.name, actor=actor
    )
    return _topic(topic)


# After every literal /topics/... path, which this pattern would otherwise catch.
@router.put(
    "/topics/{key}",
    auth=TOPIC_AUTH,
    response={200: TopicOut, **ERRORS},
    summary="Create a topic or replace its rule",
)
def topic_put(request: HttpRequest, key: str, payload: TopicIn) -> dict[str, Any]:
    topic = services.topic_save(
        key=key,
        name=payload.name,
        any_phrases=payload.any_phrases,
        all_phrases=payload.all_phrases,
        none_phrases=payload.none_phrases,
        near=[list(n) for n in payload.near],
        actor=acting_party(request),
    )
    return _topic(topic)


@router.delete(
    "/topics/{key}",
    auth=TOPIC_AUTH,
    response={200: TopicOut, **ERRORS},
    summary="Switch a topic off (texts already tagged keep it)",
)
def topic_delete(request: HttpRequest, key: str) -> dict[str, Any]:
    return _topic(services.topic_deactivate(key=key[:60]))
