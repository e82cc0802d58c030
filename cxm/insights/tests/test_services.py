"""Training the learned sentiment model: the texts it reads without labels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from cxm.insights import sentiment, services
from cxm.insights.models import LabelledText
from cxm.interactions.models import Interaction

from .test_api import _labels


def _received(minutes: dict[str, int]) -> Any:
    """Sets each interaction's reception time, by external id, in minutes after a start."""
    start = timezone.now() - timedelta(days=1)
    for external_id, offset in minutes.items():
        Interaction.objects.filter(external_id=external_id).update(
            received_at=start + timedelta(minutes=offset)
        )
    return start


def test_unlabelled_texts_are_the_newest_inbound_received_by_then(
    post_bulk: Callable[..., Any], line: Callable[..., dict[str, Any]]
) -> None:
    response = post_bulk(
        [
            line(external_id="a", subject="", body="first complaint"),
            line(external_id="b", subject="Router", body="second"),
            line(external_id="c", direction="outbound", subject="", body="our answer"),
            line(external_id="d", subject="", body="third"),
            line(external_id="e", subject="", body="received after"),
            # A system's record is nobody's words: the model does not read it.
            line(external_id="f", subject="", body="Router online", automated=True),
        ]
    )
    assert response.status_code == 200, response.content
    start = _received({"a": 1, "b": 2, "c": 3, "d": 4, "e": 10, "f": 4})
    until = start + timedelta(minutes=5)
    assert services._unlabelled_texts(until=until) == ["third", "Router\nsecond", "first complaint"]
    assert services._unlabelled_texts(until=until, limit=2) == ["third", "Router\nsecond"]
    assert services._unlabelled_texts(until=start) == []


def test_a_refit_reads_what_its_training_read_not_texts_received_since(
    post_bulk: Callable[..., Any], line: Callable[..., dict[str, Any]]
) -> None:
    inbound = [
        "the hub is blinking amber again, awful",
        "terrible evening, hub blinking amber",
        "love the new tv box, brilliant picture",
        "great speed since the swap, thanks",
        "when does the engineer come",
    ]
    response = post_bulk(
        [line(external_id=f"m{i}", subject="", body=body) for i, body in enumerate(inbound)]
    )
    assert response.status_code == 200, response.content
    start = _received({f"m{i}": i for i in range(len(inbound))})
    now = timezone.now()
    for item in _labels(90, 2):
        LabelledText.objects.create(
            text=item["text"], label=item["label"], labelled_by_label="test", labelled_at=now
        )
    trained_at = start + timedelta(minutes=2, seconds=30)  # m0, m1 and m2 received by then
    assert len(services._unlabelled_texts(until=trained_at)) == 3
    run = services.sentiment_train(now=trained_at)

    refitted = services._learned_for(run)
    labels = list(LabelledText.objects.order_by("pk"))
    _, held = services._split(labels, run.seed)
    again = sentiment.evaluate(
        [labels[i].label for i in held],
        [s.label for s in refitted.score_many([labels[i].text for i in held])],
        seed=run.seed,
    )
    assert again.macro_f1.value == run.learned["macro_f1"]["value"]
    probe = ["hub blinking amber", "tv box streams fine", "opening hours?"]
    learn, _ = services._split(labels, run.seed)
    refit_with_all = sentiment.LearnedModel.fit(
        [labels[i].text for i in learn],
        [labels[i].label for i in learn],
        baseline=services.baseline(),
        unlabelled=services._unlabelled_texts(until=now),
        seed=run.seed,
    )
    # The texts received after the training would change the model: they are left out.
    assert refitted.score_many(probe) != refit_with_all.score_many(probe)
