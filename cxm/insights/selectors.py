"""Reads of the insights app: the model's record, suggestions and their quotes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from cxm.access.selectors import Actor, customer_visibility
from cxm.errors import NotFound
from cxm.insights import services
from cxm.insights.models import LabelledText, SentimentModelRun, Topic, TopicSuggestion
from cxm.interactions.enums import Direction
from cxm.interactions.models import Interaction

MAX_ID = 2**63 - 1


def visible_interactions(actor: Actor) -> QuerySet[Interaction]:
    return Interaction.objects.filter(customer_visibility(actor, prefix="customer__"))


def recent_inbound(*, actor: Actor, label: str = "", limit: int = 50) -> list[Interaction]:
    """The newest texts customers wrote that the actor may see, to check and correct."""
    interactions = (
        visible_interactions(actor)
        .filter(direction=Direction.INBOUND, automated=False)
        .exclude(subject="", body="")
    )
    if label:
        interactions = interactions.filter(sentiment_label=label)
    return list(
        interactions.select_related("customer", "labelled_text").order_by("-occurred_at", "-pk")[
            :limit
        ]
    )


def topic_list(*, active_first: bool = False) -> list[Topic]:
    order = ("-active", "key") if active_first else ("key",)
    return list(Topic.objects.order_by(*order))


def label_count() -> int:
    return LabelledText.objects.count()


def latest_run() -> SentimentModelRun | None:
    return SentimentModelRun.objects.order_by("-trained_at", "-id").first()


def model_state() -> dict[str, Any]:
    run = latest_run()
    in_use = services.active_model_name()
    return {
        "model": in_use,
        "labels": label_count(),
        "run": None
        if run is None
        else {
            "id": run.pk,
            "trained_at": run.trained_at.isoformat(),
            "labels": run.labels,
            "held_out": run.held_out,
            "chosen": run.chosen,
            "why": run.why,
            "baseline": run.baseline,
            "learned": run.learned,
        },
    }


def suggestion_list(*, actor: Actor) -> list[TopicSuggestion]:
    return list(TopicSuggestion.objects.filter(dismissed=False).select_related("adopted")[:50])


def suggestion_get(*, suggestion_id: int) -> TopicSuggestion:
    found = (
        TopicSuggestion.objects.filter(pk=suggestion_id).first()
        if 0 < suggestion_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound(f"no topic suggestion {suggestion_id}")
    return found


def quotes(suggestions: Iterable[TopicSuggestion]) -> dict[int, str]:
    """The texts of the suggestions' quotes, read now: erased texts are gone."""
    ids = {pk for s in suggestions for pk in s.quote_ids}
    return {
        pk: services.interaction_text(subject, body)[:500]
        for pk, subject, body in Interaction.objects.filter(pk__in=ids).values_list(
            "pk", "subject", "body"
        )
    }
