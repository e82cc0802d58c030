"""Sentiment and topics on every inbound text, and what analysts teach CXM.

At ingest ``texts_enrich`` gives each text a sentiment (the baseline, or the
model learned from this deployment's labels where that one proved better on
labels it never saw) and the keys of the taxonomy topics it matches. Analysts
correct sentiments (``sentiment_labels_record``); ``sentiment_train`` refits
and judges the learned model; topics are edited, discovered and adopted here.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from cxm.access import services as access_services
from cxm.errors import Conflict, NotFound, ValidationFailed
from cxm.insights import sentiment, topics
from cxm.insights.enums import ModelChoice, SentimentLabel
from cxm.insights.models import LabelledText, SentimentModelRun, Topic, TopicSuggestion
from cxm.interactions.enums import Direction
from cxm.interactions.models import Interaction

# Fewer labels than this teach a model nothing it can be trusted with.
MIN_LABELS = 60
HELD_OUT_SHARE = 0.3
MAX_LABELS_PER_REQUEST = 1000
MAX_TEXT = 10_000
CACHE_SECONDS = 30.0
KEY_MAX = Topic._meta.get_field("key").max_length or 60
NAME_MAX = Topic._meta.get_field("name").max_length or 120


@dataclass(frozen=True)
class Enrichment:
    label: str
    score: float
    model: str
    topics: list[str]


# The scorer and the taxonomy in use, refreshed at most every CACHE_SECONDS.


@dataclass
class _Cache:
    loaded_at: float = -1e9
    run_id: int | None = None
    scorer: Any = None
    taxonomy_version: tuple[Any, ...] = ()
    taxonomy: topics.Taxonomy | None = None


_cache = _Cache()
_lock = threading.Lock()
_baseline: sentiment.Baseline | None = None


def cache_clear() -> None:
    global _cache
    with _lock:
        _cache = _Cache()


def baseline() -> sentiment.Baseline:
    global _baseline
    if _baseline is None:
        _baseline = sentiment.Baseline()
    return _baseline


def _split(labels: list[LabelledText], seed: int) -> tuple[list[int], list[int]]:
    return sentiment.holdout_split([t.label for t in labels], share=HELD_OUT_SHARE, seed=seed)


def _learned_for(run: SentimentModelRun) -> Any:
    """Refit the run's model on exactly the labels it was trained on.

    The labels, not a pickled model, are what is stored: fitting takes a
    moment, and nothing executable is ever read back from the database.
    """
    labels = list(LabelledText.objects.filter(pk__lte=run.last_label_id).order_by("pk"))
    train, _ = _split(labels, run.seed)
    return sentiment.LearnedModel.fit(
        [labels[i].text for i in train],
        [labels[i].label for i in train],
        baseline=baseline(),
        unlabelled=_unlabelled_texts(until=run.trained_at),
        seed=run.seed,
    )


def _unlabelled_texts(*, until: datetime, limit: int = sentiment.UNLABELLED_MAX) -> list[str]:
    """The texts of the newest ``limit`` inbound interactions received by ``until``.

    What the learned model reads without labels. By reception time, so that a
    refit of a run finds the texts its training found (less any erased since),
    however much history is imported later.
    """
    rows = (
        Interaction.objects.filter(
            direction=Direction.INBOUND, automated=False, received_at__lte=until
        )
        .order_by("-received_at", "-pk")
        .values_list("subject", "body")[:limit]
    )
    texts = (interaction_text(subject, body)[:MAX_TEXT] for subject, body in rows)
    return [text for text in texts if text.strip()]


def _scorer() -> Any:
    now = time.monotonic()
    if now - _cache.loaded_at < CACHE_SECONDS:
        return _cache.scorer or baseline()
    with _lock:
        run = SentimentModelRun.objects.order_by("-trained_at", "-id").first()
        run_id = run.pk if run is not None else None
        if run_id != _cache.run_id or _cache.scorer is None:
            scorer: Any = baseline()
            if run is not None and run.chosen == ModelChoice.LEARNED:
                try:
                    scorer = _learned_for(run)
                except ValueError:
                    # Its labels were erased or purged down to one kind: what is
                    # left cannot be refitted, so the baseline scores until the
                    # next training.
                    scorer = baseline()
            _cache.scorer = scorer
            _cache.run_id = run_id
        _cache.loaded_at = now
    return _cache.scorer


def active_model_name() -> str:
    """The name of the scorer that enriches texts now."""
    scorer = _scorer()
    return str(getattr(scorer, "name", "learned"))


def _taxonomy() -> topics.Taxonomy:
    # Any edit moves the latest update time; a deletion moves the count.
    version = tuple(Topic.objects.aggregate(latest=Max("updated_at"), n=Count("id")).values())
    if _cache.taxonomy is None or version != _cache.taxonomy_version:
        _cache.taxonomy = topics.Taxonomy([_rule(t) for t in Topic.objects.filter(active=True)])
        _cache.taxonomy_version = version
    return _cache.taxonomy


def _rule(topic: Topic) -> topics.TopicRule:
    return topics.TopicRule(
        key=topic.key,
        name=topic.name,
        any_phrases=tuple(topic.any_phrases),
        all_phrases=tuple(topic.all_phrases),
        none_phrases=tuple(topic.none_phrases),
        near=tuple((a, b, int(n)) for a, b, n in topic.near),
    )


def texts_enrich(
    texts: Sequence[str], *, automated: Sequence[bool] | None = None
) -> list[Enrichment]:
    """Sentiment and topics of each text, in order; an empty text gets neither.

    A text a system sent (``automated``: a bill, an account opened, a router
    online) gets its topics, which can be a promise's or a milestone's evidence,
    but no sentiment: nobody felt anything in it, and a score would dilute what
    customers did feel in every mean that reads sentiment.
    """
    if not texts:
        return []
    present = [i for i, text in enumerate(texts) if text.strip()]
    felt = [i for i in present if not (automated and automated[i])]
    scored = dict(zip(felt, _scorer().score_many([texts[i] for i in felt]), strict=True))
    matched = _taxonomy().match_many([texts[i] for i in present]) if present else []
    out = [Enrichment("", 0.0, "", []) for _ in texts]
    for i, found in zip(present, matched, strict=True):
        result = scored.get(i)
        out[i] = (
            Enrichment(result.label, round(result.score, 4), result.model, list(found))
            if result is not None
            else Enrichment("", 0.0, "", list(found))
        )
    return out


def enrich_inline(texts: int) -> bool:
    """Whether a batch with this many texts is enriched at ingest, not by the worker."""
    return texts <= int(getattr(settings, "CXM_ENRICH_INLINE_MAX", 100))


def interactions_enrich_later(ids: list[int]) -> None:
    """Queue the enrichment of these interactions (run when a batch commits)."""
    from cxm.insights.tasks import interactions_enrich_task

    interactions_enrich_task.enqueue(ids=ids)


def interactions_enrich(*, ids: Sequence[int] | None = None, limit: int = 5000) -> int:
    """Enrich interactions still waiting (``ids``, or the oldest ``limit``); returns how many.

    Idempotent: a row enriched already is left alone, so a task run twice, or a
    sweep after a task, does nothing more.
    """
    waiting = Interaction.objects.filter(enriched_at__isnull=True)
    if ids is not None:
        waiting = waiting.filter(pk__in=list(ids))
    rows = list(
        waiting.order_by("pk").values_list("pk", "direction", "subject", "body", "automated")[
            :limit
        ]
    )
    if not rows:
        return 0
    texts = [
        interaction_text(subject, body) if enrich_inbound(direction, subject, body) else ""
        for _, direction, subject, body, _ in rows
    ]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    found = texts_enrich(texts, automated=[row[4] for row in rows])
    params = [
        (e.label, e.score if e.label else None, e.model, json.dumps(e.topics), now, row[0])
        for row, e in zip(rows, found, strict=True)
    ]
    table = Interaction._meta.db_table
    columns = {f.name: f.column for f in Interaction._meta.concrete_fields}
    quote = connection.ops.quote_name
    # One prepared UPDATE per row: far cheaper than Django's bulk_update CASE
    # expressions. Only rows still waiting: another worker may have come first.
    template = (
        "UPDATE {} SET {} = %s, {} = %s, {} = %s, {} = %s, {} = %s WHERE {} = %s AND {} IS NULL"
    )
    sql = template.format(  # quoted names from the model's own metadata only
        quote(table),
        *(
            quote(columns[name])
            for name in (
                "sentiment_label",
                "sentiment_score",
                "sentiment_model",
                "topics",
                "enriched_at",
                "id",
                "enriched_at",
            )
        ),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
        updated = cursor.rowcount
    return updated if updated >= 0 else len(params)


def interactions_enrich_all(*, chunk: int = 5000) -> int:
    """Enrich every waiting interaction, a chunk at a time (the demo, the sweep)."""
    total = 0
    while done := interactions_enrich(limit=chunk):
        total += done
    return total


def interaction_text(subject: str, body: str) -> str:
    return f"{subject}\n{body}".strip() if subject else body


def enrich_inbound(direction: str, subject: str, body: str) -> bool:
    """Whether ingest enriches this interaction: what customers wrote, not what we sent."""
    return direction == Direction.INBOUND and bool(subject.strip() or body.strip())


# Labels and the learned model -------------------------------------------------


@dataclass(frozen=True)
class LabelIn:
    label: str
    interaction_id: int | None = None
    text: str | None = None


@dataclass
class LabelsReport:
    stored: int = 0
    replaced: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def _person(actor: Any) -> User | None:
    return actor if isinstance(actor, User) and actor.is_authenticated else None


@transaction.atomic
def sentiment_labels_record(
    *, labels: Sequence[LabelIn], actor: Any, visible: Any = None, now: datetime | None = None
) -> LabelsReport:
    """Store each good label; report each bad one by its position and reason.

    ``visible`` is the queryset of interactions the actor may see: a label on
    any other interaction is refused as not found.
    """
    if len(labels) > MAX_LABELS_PER_REQUEST:
        raise ValidationFailed(
            f"send at most {MAX_LABELS_PER_REQUEST} labels at a time, not {len(labels)}",
            code="too_many",
        )
    now = now or timezone.now()
    report = LabelsReport()
    ids = [item.interaction_id for item in labels if item.interaction_id is not None]
    interactions = Interaction.objects.filter(pk__in=ids)
    if visible is not None:
        interactions = interactions.filter(pk__in=visible.values("pk"))
    found = {i.pk: i for i in interactions}
    existing = {
        t.interaction_id: t for t in LabelledText.objects.filter(interaction_id__in=list(found))
    }
    author = access_services.actor_label(actor)[:150]
    for position, item in enumerate(labels):
        if item.label not in SentimentLabel.values:
            report.errors.append(
                (position, f"label '{item.label}' is not one of {', '.join(SentimentLabel.values)}")
            )
            continue
        if item.interaction_id is not None:
            interaction = found.get(item.interaction_id)
            if interaction is None:
                report.errors.append((position, f"no interaction {item.interaction_id}"))
                continue
            text = interaction_text(interaction.subject, interaction.body)
            if not text.strip():
                report.errors.append((position, "this interaction has no text to learn from"))
                continue
            previous = existing.get(interaction.pk)
            if previous is not None:
                # A new id, so that the next training sees the corrected label.
                previous.delete()
                report.replaced += 1
            existing[interaction.pk] = LabelledText.objects.create(
                interaction=interaction,
                customer_id=interaction.customer_id,
                text=text[:MAX_TEXT],
                label=item.label,
                predicted=interaction.sentiment_label,
                labelled_by=_person(actor),
                labelled_by_label=author,
                labelled_at=now,
            )
        elif item.text is not None and item.text.strip():
            if len(item.text) > MAX_TEXT:
                report.errors.append((position, f"the text is over {MAX_TEXT} characters"))
                continue
            LabelledText.objects.create(
                text=item.text.strip(),
                label=item.label,
                labelled_by=_person(actor),
                labelled_by_label=author,
                labelled_at=now,
            )
        else:
            report.errors.append((position, "give an interaction_id or a text"))
            continue
        report.stored += 1
    return report


def sentiment_train(*, seed: int = 0, now: datetime | None = None) -> SentimentModelRun:
    """Fit the learned model on part of the labels and judge it on the rest.

    It takes over from the baseline only where it did better on those held-back
    labels (``sentiment.choose``); either way the run and both evaluations are kept.
    """
    labels = list(LabelledText.objects.order_by("pk"))
    if len(labels) < MIN_LABELS:
        raise Conflict(
            f"{len(labels)} labels so far; a model needs at least {MIN_LABELS} to be judged fairly",
            code="too_few_labels",
        )
    classes = {t.label for t in labels}
    if len(classes) < 2:
        raise Conflict(
            "every label says the same; label some texts of another sentiment", code="one_class"
        )
    train, held = _split(labels, seed)
    trained_at = now or timezone.now()
    learned = sentiment.LearnedModel.fit(
        [labels[i].text for i in train],
        [labels[i].label for i in train],
        baseline=baseline(),
        unlabelled=_unlabelled_texts(until=trained_at),
        seed=seed,
    )
    texts = [labels[i].text for i in held]
    truth = [labels[i].label for i in held]
    baseline_eval = sentiment.evaluate(
        truth, [s.label for s in baseline().score_many(texts)], seed=seed
    )
    learned_eval = sentiment.evaluate(
        truth, [s.label for s in learned.score_many(texts)], seed=seed
    )
    chosen = sentiment.choose(baseline_eval, learned_eval)
    why = (
        f"macro-F1 on {len(held)} held-back labels: learned "
        f"{learned_eval.macro_f1.value:.3f}, baseline {baseline_eval.macro_f1.value:.3f}"
    )
    run = SentimentModelRun.objects.create(
        trained_at=trained_at,
        last_label_id=labels[-1].pk,
        labels=len(labels),
        held_out=len(held),
        seed=seed,
        baseline=_jsonable(baseline_eval),
        learned=_jsonable(learned_eval),
        chosen=ModelChoice.LEARNED if chosen == "learned" else ModelChoice.BASELINE,
        why=why,
    )
    cache_clear()
    return run


def _jsonable(evaluation: Any) -> dict[str, Any]:
    value: dict[str, Any] = dataclasses.asdict(evaluation)
    return value


def sentiment_train_due(*, growth: float = 0.2) -> bool:
    """Enough labels, and enough new ones since the last run, to train again."""
    count = LabelledText.objects.count()
    if count < MIN_LABELS:
        return False
    last = SentimentModelRun.objects.order_by("-trained_at", "-id").first()
    return last is None or count >= last.labels * (1 + growth)


# Topics ---------------------------------------------------------------------


def _phrases(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"{name} must be a list of phrases", code="invalid")
    return [v.strip() for v in value if v.strip()]


def _near(value: Any) -> list[tuple[str, str, int]]:
    out = []
    for item in value or []:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 3
            or not isinstance(item[0], str)
            or not isinstance(item[1], str)
            or not isinstance(item[2], int)
            or isinstance(item[2], bool)
            or not 1 <= item[2] <= 50
        ):
            raise ValidationFailed(
                "near takes [word, word, distance] triples, the distance from 1 to 50 words",
                code="invalid",
            )
        out.append((item[0], item[1], item[2]))
    return out


@transaction.atomic
def topic_save(
    *,
    key: str,
    name: str,
    any_phrases: Any,
    all_phrases: Any = None,
    none_phrases: Any = None,
    near: Any = None,
    actor: Any,
    now: datetime | None = None,
) -> Topic:
    """Create the topic ``key`` or replace its rule; a bad rule is refused whole."""
    now = now or timezone.now()
    rule = topics.TopicRule(
        key=(key or "").strip(),
        name=(name or "").strip(),
        any_phrases=tuple(_phrases(any_phrases, "any_phrases")),
        all_phrases=tuple(_phrases(all_phrases, "all_phrases")),
        none_phrases=tuple(_phrases(none_phrases, "none_phrases")),
        near=tuple(_near(near)),
    )
    problems = topics.rule_problems(rule)
    if not rule.name:
        problems.insert(0, "the topic needs a name")
    if len(rule.key) > KEY_MAX:
        problems.insert(0, f"the key is {len(rule.key)} characters; at most {KEY_MAX} fit")
    if len(rule.name) > NAME_MAX:
        problems.insert(0, f"the name is {len(rule.name)} characters; at most {NAME_MAX} fit")
    if problems:
        raise ValidationFailed("; ".join(problems), code="bad_rule")
    topic = Topic.objects.filter(key=rule.key).first() or Topic(
        key=rule.key, created_at=now, created_by_label=access_services.actor_label(actor)[:150]
    )
    topic.name = rule.name
    topic.any_phrases = list(rule.any_phrases)
    topic.all_phrases = list(rule.all_phrases)
    topic.none_phrases = list(rule.none_phrases)
    topic.near = [list(n) for n in rule.near]
    topic.active = True
    topic.updated_at = now
    topic.full_clean()
    topic.save()
    return topic


def topic_deactivate(*, key: str, now: datetime | None = None) -> Topic:
    topic = Topic.objects.filter(key=key).first()
    if topic is None:
        raise NotFound(f"no topic '{key}'")
    topic.active = False
    topic.updated_at = now or timezone.now()
    topic.save(update_fields=["active", "updated_at"])
    return topic


def topics_retag(*, since: datetime, limit: int = 50_000) -> int:
    """Apply today's taxonomy to recent inbound texts; returns how many changed."""
    taxonomy = _taxonomy()
    rows = list(
        Interaction.objects.filter(direction=Direction.INBOUND, occurred_at__gte=since)
        .exclude(body="", subject="")
        .order_by("-occurred_at")
        .values_list("pk", "subject", "body", "topics")[:limit]
    )
    found = taxonomy.match_many([interaction_text(s, b) for _, s, b, _ in rows])
    updates = []
    for (pk, _, _, old), new in zip(rows, found, strict=True):
        if list(new) != list(old or []):
            updates.append(Interaction(pk=pk, topics=list(new)))
    for start in range(0, len(updates), 1000):
        Interaction.objects.bulk_update(updates[start : start + 1000], ["topics"])
    return len(updates)


def topics_discover(
    *, days: int = 90, limit: int = 5000, seed: int = 0, now: datetime | None = None
) -> list[TopicSuggestion]:
    """Cluster recent inbound texts that no topic matched into suggestions."""
    now = now or timezone.now()
    rows = list(
        Interaction.objects.filter(
            direction=Direction.INBOUND,
            automated=False,  # what customers wrote, not what systems record
            occurred_at__gte=now - timedelta(days=days),
            topics=[],
        )
        .exclude(body="", subject="")
        .order_by("-occurred_at", "-id")
        .values_list("pk", "subject", "body")[:limit]
    )
    texts = [interaction_text(s, b) for _, s, b in rows]
    found = topics.discover(texts, seed=seed)
    with transaction.atomic():
        TopicSuggestion.objects.filter(adopted__isnull=True, dismissed=False).delete()
        return [
            TopicSuggestion.objects.create(
                discovered_at=now,
                terms=list(s.terms),
                phrases=list(s.phrases or s.terms),
                size=s.size,
                interaction_ids=[rows[i][0] for i in s.indices],
                quote_ids=[rows[i][0] for i in s.quote_indices],
            )
            for s in found
        ]


@transaction.atomic
def topic_suggestion_adopt(
    *, suggestion: TopicSuggestion, key: str, name: str, actor: Any
) -> Topic:
    """The analyst's one click: the suggestion becomes a topic, and its texts are tagged."""
    if suggestion.adopted_id is not None:
        raise Conflict("this suggestion was adopted already", code="adopted")
    if Topic.objects.filter(key=key).exists():
        raise Conflict(f"a topic '{key}' exists already; choose another key", code="key_taken")
    topic = topic_save(key=key, name=name, any_phrases=suggestion.phrases, actor=actor)
    suggestion.adopted = topic
    suggestion.save(update_fields=["adopted"])
    cache_clear()
    rule = topics.Taxonomy([_rule(topic)])
    rows = list(
        Interaction.objects.filter(pk__in=suggestion.interaction_ids).values_list(
            "pk", "subject", "body", "topics"
        )
    )
    updates = [
        Interaction(pk=pk, topics=[*(old or []), topic.key])
        for (pk, subject, body, old), hit in zip(
            rows, rule.match_many([interaction_text(s, b) for _, s, b, _ in rows]), strict=True
        )
        if hit and topic.key not in (old or [])
    ]
    Interaction.objects.bulk_update(updates, ["topics"], batch_size=1000)
    return topic


def retag_days() -> int:
    return int(getattr(settings, "CXM_TOPIC_RETAG_DAYS", 90))
