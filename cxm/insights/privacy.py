"""What the insights app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Q

from cxm.access import privacy, retention
from cxm.insights.models import LabelledText, SentimentModelRun, Topic, TopicSuggestion


def _erase_labels(ids: Sequence[int]) -> int:
    deleted, _ = LabelledText.objects.filter(customer_id__in=ids).delete()
    return deleted


privacy.register(
    LabelledText,
    export=lambda ids: privacy.rows(LabelledText.objects.filter(customer_id__in=ids)),
    erase=_erase_labels,
    erasure="deleted (the learned model no longer learns from them)",
    order=100,
)
privacy.declare_not_personal(
    SentimentModelRun, reason="figures about a model: counts and accuracy, no texts"
)
privacy.declare_not_personal(Topic, reason="the taxonomy's rules")
privacy.declare_not_personal(
    TopicSuggestion,
    reason="terms and interaction ids; its quotes are read from the interactions, "
    "whose texts an erasure blanks",
)


def _purge_labels(before: datetime) -> int:
    deleted, _ = LabelledText.objects.filter(
        Q(interaction__occurred_at__lt=before) | Q(interaction__isnull=True, labelled_at__lt=before)
    ).delete()
    return deleted


# A labelled text is a copy of a customer's words: it goes when the words do.
retention.register(
    name="labelled_texts",
    setting="CXM_RETAIN_INTERACTION_TEXT_DAYS",
    purge=_purge_labels,
    what="texts labelled for the sentiment model (with their labels)",
)
