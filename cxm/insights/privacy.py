"""What the insights app holds about a person, and how it is exported and erased."""

from __future__ import annotations

from collections.abc import Sequence

from cxm.access import privacy
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
