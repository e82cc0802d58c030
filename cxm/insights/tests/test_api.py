"""The sentiment learning loop end to end through the API, and topics."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from django.test import Client

from cxm.errors import ValidationFailed
from cxm.insights import services
from cxm.insights.models import LabelledText, SentimentModelRun
from cxm.interactions.models import Interaction

# A deployment's own language: words the general lexicon knows nothing about.
NEGATIVE = [
    "the hub is blinking amber again",
    "hub blinking amber since this morning",
    "amber light on the hub and the tv box keeps buffering",
    "my tv box keeps buffering every evening",
    "line dropped twice, hub blinking amber",
    "the tv box is buffering during the match",
]
POSITIVE = [
    "hub shows solid white now",
    "solid white light on the hub since the engineer came",
    "tv box streams in 4k now",
    "after the swap the hub is solid white",
    "speed test shows 900 down on the new hub",
    "tv box streams without a pause now",
]
NEUTRAL = [
    "what are your opening hours on saturday",
    "please send the bill to my new address",
    "can I move my direct debit to the 15th",
    "which port does the tv box go into",
    "is the hub the one with the white label",
    "my account number is 5521907",
]


def call(client: Client, method: str, url: str, body: Any = None, token: str = "") -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "get":
        return client.get(url, headers=headers)
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json", headers=headers
    )


def _labels(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        label, pool = (("negative", NEGATIVE), ("positive", POSITIVE), ("neutral", NEUTRAL))[i % 3]
        prefix = rng.choice(("", "hi, ", "morning - ", "update: "))
        suffix = rng.choice(("", ".", " (ref 12)", " - sent from my phone"))
        out.append({"label": label, "text": prefix + rng.choice(pool) + suffix})
    return out


def test_labels_train_a_model_that_takes_over_and_enriches_new_interactions(
    client: Client, admin_token: str, ingest_token: str, read_token: str
) -> None:
    before = call(client, "get", "/api/v1/sentiment/model", token=read_token).json()
    assert before["model"] == "cxm-vader-1"
    assert before["run"] is None

    too_few = call(client, "post", "/api/v1/sentiment/model/train", token=admin_token)
    assert too_few.status_code == 409
    assert "a model needs at least 60" in too_few.json()["message"]

    posted = call(
        client, "post", "/api/v1/sentiment/labels", {"labels": _labels(150, 1)}, admin_token
    )
    assert posted.status_code == 200
    assert posted.json() == {
        "stored": 150,
        "replaced": 0,
        "errors": [],
        "labels_total": 150,
        "training_due": True,
    }
    trained = call(client, "post", "/api/v1/sentiment/model/train", token=admin_token).json()
    run = trained["run"]
    assert run["labels"] == 150
    assert run["held_out"] == 45
    assert run["chosen"] == "learned"
    assert run["learned"]["macro_f1"]["value"] > run["baseline"]["macro_f1"]["value"]
    # Measured, with intervals, on the held-back labels only.
    assert run["learned"]["n"] == 45
    for key in ("low", "high"):
        assert key in run["learned"]["accuracy"]
    assert trained["model"].startswith("learned-")

    sent = call(
        client,
        "post",
        "/api/v1/interactions",
        {
            "external_id": "m-1",
            "channel": "chat",
            "direction": "inbound",
            "occurred_at": "2026-11-20T10:00:00Z",
            "customer": {"email": "ada@example.org"},
            "body": "hub blinking amber since this morning",
        },
        ingest_token,
    )
    assert sent.status_code == 201, sent.content
    customer_id = sent.json()["customer_id"]
    timeline = call(
        client, "get", f"/api/v1/customers/{customer_id}/timeline", token=read_token
    ).json()
    sentiment = timeline["items"][0]["sentiment"]
    assert sentiment["label"] == "negative"
    assert sentiment["model"].startswith("learned-")


def test_a_correction_replaces_the_label_and_bad_labels_are_reported_by_position(
    client: Client, admin_token: str, ingest_token: str
) -> None:
    sent = call(
        client,
        "post",
        "/api/v1/interactions",
        {
            "external_id": "m-2",
            "channel": "email",
            "direction": "inbound",
            "occurred_at": "2026-11-20T10:00:00Z",
            "customer": {"email": "bo@example.org"},
            "subject": "Great",
            "body": "Great, the engineer did not turn up again.",
        },
        ingest_token,
    ).json()
    interaction = Interaction.objects.get(pk=sent["interaction_id"])
    said = interaction.sentiment_label
    assert said in ("negative", "neutral", "positive")
    labels = [
        {"label": "negative", "interaction_id": interaction.pk},
        {"label": "neutral", "interaction_id": 10**12},
        {"label": "positive"},
        {"label": "positive", "text": "   "},
    ]
    report = call(client, "post", "/api/v1/sentiment/labels", {"labels": labels}, admin_token)
    body = report.json()
    assert (body["stored"], body["replaced"]) == (1, 0)
    assert body["errors"] == [
        {"index": 1, "message": f"no interaction {10**12}"},
        {"index": 2, "message": "give an interaction_id or a text"},
        {"index": 3, "message": "give an interaction_id or a text"},
    ]
    again = call(
        client,
        "post",
        "/api/v1/sentiment/labels",
        {"labels": [{"label": "neutral", "interaction_id": interaction.pk}]},
        admin_token,
    ).json()
    assert (again["stored"], again["replaced"]) == (1, 1)
    label = LabelledText.objects.get()
    assert (label.label, label.predicted, label.text) == (
        "neutral",
        said,
        "Great\nGreat, the engineer did not turn up again.",
    )
    assert label.labelled_by_label.startswith("token ")

    bad = call(
        client,
        "post",
        "/api/v1/sentiment/labels",
        {"labels": [{"label": "angry", "text": "x"}]},
        admin_token,
    )
    assert bad.status_code == 422


def test_only_label_permission_may_post_labels_or_train(
    client: Client, read_token: str, ingest_token: str
) -> None:
    body = {"labels": [{"label": "neutral", "text": "hello"}]}
    for token in (read_token, ingest_token):
        assert call(client, "post", "/api/v1/sentiment/labels", body, token).status_code == 403
        assert call(client, "post", "/api/v1/sentiment/model/train", token=token).status_code == 403
    assert not LabelledText.objects.exists()
    assert not SentimentModelRun.objects.exists()


def test_topics_are_applied_at_ingest_and_bad_rules_refused(
    client: Client, admin_token: str, ingest_token: str
) -> None:
    put = call(
        client,
        "put",
        "/api/v1/topics/engineer-no-show",
        {
            "name": "Engineer no-show",
            "any_phrases": ["engineer"],
            "all_phrases": ["no show*", "turn* up"][:1],
        },
        admin_token,
    )
    assert put.status_code == 200, put.content
    bad = call(
        client, "put", "/api/v1/topics/Bad Key", {"name": "x", "any_phrases": ["a*"]}, admin_token
    )
    assert bad.status_code == 422
    assert "wildcard" in bad.json()["message"]
    call(
        client,
        "put",
        "/api/v1/topics/engineer-no-show",
        {
            "name": "Engineer no-show",
            "any_phrases": ["engineer"],
            "near": [["engineer", "turn", 4]],
        },
        admin_token,
    )
    services.cache_clear()
    sent = call(
        client,
        "post",
        "/api/v1/interactions",
        {
            "external_id": "m-3",
            "channel": "sms",
            "direction": "inbound",
            "occurred_at": "2026-11-20T10:00:00Z",
            "customer": {"phone": "+44 7911 123456"},
            "body": "The engineer didn't turn up today",
        },
        ingest_token,
    )
    assert sent.status_code == 201, sent.content
    assert Interaction.objects.get(pk=sent.json()["interaction_id"]).topics == ["engineer-no-show"]
    gone = call(client, "delete", "/api/v1/topics/engineer-no-show", token=admin_token)
    assert gone.json()["active"] is False
    assert call(client, "delete", "/api/v1/topics/nothing", token=admin_token).status_code == 404


@pytest.mark.parametrize("count", [0, 1001])
def test_label_batches_are_bounded(client: Client, admin_token: str, count: int) -> None:
    labels = [{"label": "neutral", "text": "hi"}] * count
    answer = call(client, "post", "/api/v1/sentiment/labels", {"labels": labels}, admin_token)
    assert answer.status_code == 422


def test_discovered_topics_are_listed_with_quotes_and_adopted_in_one_call(
    client: Client, admin_token: str, post_bulk: Any
) -> None:
    themes = (
        "my router light is blinking red and there is no internet",
        "refund for the cancelled order has not arrived",
        "the engineer missed the appointment again",
    )
    lines = [
        {
            "external_id": f"t-{i}",
            "channel": "email",
            "direction": "inbound",
            "occurred_at": "2026-11-20T10:00:00Z",
            "customer": {"email": f"person{i}@example.org"},
            "body": f"{themes[i % 3]} (message {i})",
        }
        for i in range(36)
    ]
    assert post_bulk(lines).json()["accepted"] == 36
    found = call(client, "post", "/api/v1/topics/discover", token=admin_token)
    assert found.status_code == 200, found.content
    items = found.json()["items"]
    assert len(items) == 3
    assert all(item["size"] == 12 and item["quotes"] for item in items)
    listed = call(client, "get", "/api/v1/topics/suggestions", token=admin_token).json()["items"]
    assert [s["id"] for s in listed] == [s["id"] for s in items]
    engineer = next(s for s in items if "appointment" in s["terms"])
    adopted = call(
        client,
        "post",
        f"/api/v1/topics/suggestions/{engineer['id']}/adopt",
        {"key": "missed-visit", "name": "Missed engineer visit"},
        admin_token,
    )
    assert adopted.status_code == 200, adopted.content
    # The suggestion's texts are tagged at once (a JSON list: counted in Python,
    # the same on SQLite and PostgreSQL).
    assert sum("missed-visit" in i.topics for i in Interaction.objects.all()) == 12
    again = call(
        client,
        "post",
        f"/api/v1/topics/suggestions/{engineer['id']}/adopt",
        {"key": "other", "name": "Other"},
        admin_token,
    )
    assert again.status_code == 409


def test_a_learned_model_whose_labels_are_gone_gives_way_to_the_baseline(
    client: Client, admin_token: str, read_token: str
) -> None:
    call(client, "post", "/api/v1/sentiment/labels", {"labels": _labels(150, 2)}, admin_token)
    trained = call(client, "post", "/api/v1/sentiment/model/train", token=admin_token).json()
    assert trained["run"]["chosen"] == "learned"
    # An erasure or the retention purge can take every label but one kind.
    LabelledText.objects.exclude(label="neutral").delete()
    services.cache_clear()
    state = call(client, "get", "/api/v1/sentiment/model", token=read_token).json()
    assert state["model"] == "cxm-vader-1"
    [scored] = services.texts_enrich(["hub blinking amber again"])
    assert scored.model == "cxm-vader-1"


def test_a_large_batch_is_stored_first_and_enriched_by_the_worker(
    post_bulk: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.CXM_ENRICH_INLINE_MAX = 3
    lines = [
        {
            "external_id": f"big-{i}",
            "channel": "email",
            "direction": "inbound" if i < 4 else "outbound",
            "occurred_at": "2026-11-20T10:00:00Z",
            "customer": {"email": f"big{i}@example.org"},
            "body": "Still no answer after three calls, awful service" if i < 4 else "Sorry!",
        }
        for i in range(5)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert post_bulk(lines).json()["accepted"] == 5
    waiting = Interaction.objects.filter(enriched_at__isnull=True)
    # The four customer texts wait; the outbound one has nothing to enrich.
    assert sorted(waiting.values_list("external_id", flat=True)) == [
        "big-0",
        "big-1",
        "big-2",
        "big-3",
    ]
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "cxm.insights.tasks.interactions_enrich_task"
    assert sorted(queued.args_kwargs["kwargs"]["ids"]) == sorted(
        waiting.values_list("pk", flat=True)
    )

    assert services.interactions_enrich(ids=queued.args_kwargs["kwargs"]["ids"]) == 4
    assert services.interactions_enrich_all() == 0  # a run again finds nothing
    enriched = Interaction.objects.filter(direction="inbound")
    assert set(enriched.values_list("sentiment_label", "sentiment_model")) == {
        ("negative", "cxm-vader-1")
    }


def test_a_small_batch_is_enriched_at_ingest(post_bulk: Any) -> None:
    line = {
        "external_id": "small-1",
        "channel": "chat",
        "direction": "inbound",
        "occurred_at": "2026-11-20T10:00:00Z",
        "customer": {"email": "small@example.org"},
        "body": "Thank you so much, the engineer was brilliant!",
    }
    assert post_bulk([line]).json()["accepted"] == 1
    stored = Interaction.objects.get()
    assert (stored.sentiment_label, stored.enriched_at is not None) == ("positive", True)


@pytest.mark.parametrize("inline", [True, False], ids=["at ingest", "by the worker"])
def test_a_systems_record_gets_its_topics_but_no_sentiment(
    client: Client, admin_token: str, post_bulk: Any, line: Any, settings: Any, inline: bool
) -> None:
    put = call(
        client,
        "put",
        "/api/v1/topics/engineer-visit",
        {"name": "Engineer visit", "any_phrases": ["engineer"]},
        admin_token,
    )
    assert put.status_code == 200, put.content
    services.cache_clear()
    settings.CXM_ENRICH_INLINE_MAX = 100 if inline else 0
    text = "Great news! Your engineer visit is complete and your line is working."
    lines = [
        line(external_id=f"visit-{automated}", subject="", body=text, automated=automated)
        for automated in (True, False)
    ]
    assert post_bulk(lines).json()["accepted"] == 2
    if not inline:
        assert services.interactions_enrich_all() == 2
    record, said = (Interaction.objects.get(external_id=f"visit-{a}") for a in (True, False))
    assert (record.sentiment_label, record.sentiment_score, record.topics) == (
        "",
        None,
        ["engineer-visit"],
    )
    assert (said.sentiment_label, said.topics) == ("positive", ["engineer-visit"])
    assert record.enriched_at is not None  # enriched, not left waiting for a sweep


def test_the_migration_clears_the_sentiment_of_records_scored_before_the_rule(
    post_bulk: Any, line: Any
) -> None:
    from importlib import import_module

    from django.apps import apps

    lines = [
        line(external_id=f"old-{i}", subject="", body="Great news, all working!") for i in (1, 2)
    ]
    assert post_bulk(lines).json()["accepted"] == 2
    # As stored before the rule: a system's record with a sentiment.
    Interaction.objects.filter(external_id="old-1").update(automated=True)
    migration = import_module("cxm.interactions.migrations.0007_automated_records_unscored")

    migration.unscore(apps, None)

    record, said = (Interaction.objects.get(external_id=f"old-{i}") for i in (1, 2))
    assert (record.sentiment_label, record.sentiment_score, record.sentiment_model) == (
        "",
        None,
        "",
    )
    assert said.sentiment_label == "positive"


def test_discovery_reads_what_customers_wrote_not_systems_records(
    client: Client, admin_token: str, post_bulk: Any, line: Any
) -> None:
    lines = [
        line(
            external_id=f"bill-{i}",
            customer={"email": f"bill{i}@example.org"},
            subject="",
            body=f"Your monthly bill is ready to view online (account {i})",
            automated=True,
        )
        for i in range(24)
    ]
    assert post_bulk(lines).json()["accepted"] == 24
    found = call(client, "post", "/api/v1/topics/discover", token=admin_token)
    assert found.status_code == 200, found.content
    assert found.json()["items"] == []


@pytest.mark.parametrize(
    ("key", "name", "message"),
    [
        ("k" * 61, "Refunds", "the key is 61 characters; at most 60 fit"),
        ("refunds", "n" * 121, "the name is 121 characters; at most 120 fit"),
    ],
)
def test_an_overlong_topic_key_or_name_is_refused_not_a_500(
    client: Client, admin_token: str, key: str, name: str, message: str
) -> None:
    answer = call(
        client,
        "put",
        f"/api/v1/topics/{key}",
        {"name": name, "any_phrases": ["refund"]},
        admin_token,
    )
    assert answer.status_code == 422
    assert "characters" in answer.json()["message"]
    with pytest.raises(ValidationFailed, match=message):
        services.topic_save(key=key, name=name, any_phrases=["refund"], actor=None)
