"""Export and erasure of one customer's personal data, in every table."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client

from cxm.access import privacy
from cxm.access.enums import AuditAction
from cxm.access.models import AuditEvent
from cxm.access.tests.conftest import World, _ingest
from cxm.customers.models import Customer, Identity, MergeEvent, MergeProposal
from cxm.interactions.models import Interaction

CXM_APPS = {c.label for c in apps.get_app_configs() if c.name.startswith("cxm.")}


def test_every_cxm_model_says_what_it_holds_about_customers() -> None:
    known = set(privacy.handlers()) | set(privacy.not_personal())
    models_ = {m._meta.label for m in apps.get_models() if m._meta.app_label in CXM_APPS}

    assert sorted(models_ - known) == []
    assert set(privacy.handlers()) & set(privacy.not_personal()) == set()


def test_every_model_that_points_at_a_customer_has_a_handler() -> None:
    pointing = {
        model._meta.label
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey | models.OneToOneField)
        and field.related_model is Customer
    }

    assert pointing  # the check looks at something
    assert sorted(pointing - set(privacy.handlers())) == []


@pytest.fixture
def ann(world: World) -> Customer:
    """Ann reached the company twice, was merged, and her proposal mentions her phone."""
    first = _ingest(
        world.source,
        "a1",
        {"email": "Ann.Lee@Example.org", "name": "Ann Lee", "crm_id": "C-1042"},
    )
    second = _ingest(world.source, "a2", {"phone": "020 7946 0958", "twitter": "@annlee"})
    # One message with both: a proposal; accepting it merges the two.
    _ingest(world.source, "a3", {"email": "ann.lee@example.org", "phone": "+442079460958"})
    proposal = MergeProposal.objects.get(customer_low_id=first, customer_high_id=second)
    from cxm.customers import services as customer_services

    customer_services.merge_proposal_accept(proposal=proposal, actor=None, note="Ann Lee twice")
    Interaction.objects.filter(customer_id=first).update(attributes={"plan": "fibre", "ann": "yes"})
    return Customer.objects.get(pk=first)


ANN_TRACES = [
    "ann.lee@example.org",
    "Ann.Lee@Example.org",
    "Ann Lee",
    "+442079460958",
    "020 7946 0958",
    "annlee",
    "C-1042",
]


def _text_and_json_values() -> list[tuple[str, str, str]]:
    """Every text and JSON value of every table, as (table, column, text)."""
    found = []
    for model in apps.get_models():
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not columns:
            continue
        for row in model._default_manager.values_list(*columns):
            for column, value in zip(columns, row, strict=True):
                if value not in (None, "", {}, []):
                    text = value if isinstance(value, str) else json.dumps(value)
                    found.append((model._meta.label, column, text))
    return found


def test_export_holds_everything_about_the_person_with_a_summary(
    world: World, ann: Customer
) -> None:
    document = privacy.customer_export(actor=world.users["administrator"], customer_id=ann.pk)

    group = [ann.pk, *Customer.objects.filter(merged_into=ann).values_list("pk", flat=True)]
    assert document["customer_ids"] == group and len(group) == 2
    assert document["summary"] == {
        # Two cases: each customer's messages opened one before the two were merged.
        "cases.Case": 2,
        "cases.CaseEvent": 3,
        "cases.CaseInteraction": 3,
        "cases.Reply": 0,
        "cases.SlaClock": 0,  # no service-level policy here
        "cases.Standing": 0,
        "customers.Customer": 2,
        "customers.Identity": 4,
        "customers.MatchFrequency": 0,  # no match model trained here
        "customers.MatchRecord": 1,  # the survivor's; the merged customer has none
        "customers.MergeEvent": 1,
        "customers.MergeProposal": 1,
        "feedback.FollowUp": 0,
        "feedback.Invitation": 0,
        "feedback.Response": 0,
        "insights.LabelledText": 0,
        "interactions.Interaction": 3,
        # Each customer's first message made them a prospect, before the merge.
        "journeys.MilestoneReached": 0,
        "journeys.Purchase": 0,
        "journeys.StageVisit": 2,
        "promises.Promise": 0,
        "promises.PromiseAlert": 0,
        "promises.PromiseEvent": 0,
        "promises.PromiseSuggestion": 0,
    }
    text = json.dumps(document)
    for trace in ("ann.lee@example.org", "Ann Lee", "+442079460958", "annlee", "C-1042"):
        assert trace in text
    assert "nora.north@example.org" not in text and "sam.south" not in text
    event = AuditEvent.objects.get(action=AuditAction.CUSTOMER_EXPORTED)
    assert event.detail["rows"] == document["summary"]


def test_export_of_a_merged_customer_covers_the_whole_person(world: World, ann: Customer) -> None:
    absorbed = Customer.objects.get(merged_into=ann)

    document = privacy.customer_export(actor=None, customer_id=absorbed.pk)

    assert document["customer_id"] == ann.pk
    assert document["customer_ids"] == [ann.pk, absorbed.pk]


def test_after_an_erasure_no_text_or_json_column_holds_the_person(
    world: World, ann: Customer
) -> None:
    before = Interaction.objects.count()
    assert any(t in text for _, _, text in _text_and_json_values() for t in ANN_TRACES)

    report = privacy.customer_erase(
        actor=world.users["administrator"], customer_id=ann.pk, reason="Request E-77"
    )

    leftovers = [
        (table, column, trace)
        for table, column, text in _text_and_json_values()
        for trace in ANN_TRACES
        if trace.lower() in text.lower()
    ]
    assert leftovers == []
    # Aggregate counts stay: the interactions are still there, without their texts.
    assert Interaction.objects.count() == before
    kept = Interaction.objects.filter(customer_id__in=report.customer_ids)
    assert kept.count() == 3
    assert set(kept.values_list("subject", "body")) == {("", "")}
    assert not Identity.objects.filter(customer_id__in=report.customer_ids).exists()
    assert all(c.erased_at for c in Customer.objects.filter(pk__in=report.customer_ids))
    assert report.counts["customers.Identity"] == 4
    # Other customers are untouched.
    assert Identity.objects.filter(value_normalized="nora.north@example.org").exists()
    event = AuditEvent.objects.get(action=AuditAction.CUSTOMER_ERASED)
    assert (event.actor_label, event.object_id) == ("administrator", str(ann.pk))
    assert event.detail["reason"] == "Request E-77"
    assert MergeEvent.objects.filter(survivor=ann).get().merged_snapshot == {}


def test_a_message_after_the_erasure_starts_a_new_customer(world: World, ann: Customer) -> None:
    privacy.customer_erase(actor=None, customer_id=ann.pk)

    new_id = _ingest(world.source, "a9", {"email": "ann.lee@example.org"})

    assert new_id != ann.pk


def test_an_erasure_needs_the_privacy_permission(world: World, ann: Customer) -> None:
    from cxm.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        privacy.customer_erase(actor=world.users["supervisor"], customer_id=ann.pk)
    with pytest.raises(PermissionDenied):
        privacy.customer_export(actor=world.users["analyst"], customer_id=ann.pk)
    assert Identity.objects.filter(customer=ann).exists()


def test_privacy_command_exports_then_refuses_to_erase_without_yes(
    world: World, ann: Customer, tmp_path: Any
) -> None:
    target = tmp_path / "ann.json"
    call_command("privacy", "export", str(ann.pk), "-o", str(target), stderr=io.StringIO())
    assert json.loads(target.read_text())["customer_id"] == ann.pk

    with pytest.raises(CommandError, match="cannot be undone"):
        call_command("privacy", "erase", str(ann.pk), stdout=io.StringIO())
    assert Identity.objects.filter(customer=ann).exists()

    out = io.StringIO()
    call_command("privacy", "erase", str(ann.pk), "--yes", "--reason", "E-1", stdout=out)
    assert out.getvalue().startswith(f"Erased customer {ann.pk} ")
    with pytest.raises(CommandError, match="There is no customer 999999"):
        call_command("privacy", "export", "999999", stderr=io.StringIO())


def test_administrators_export_and_erase_from_the_console_and_the_api(
    world: World, ann: Customer
) -> None:
    client = Client()
    client.force_login(world.users["administrator"])

    download = client.get(f"/customers/{ann.pk}/export/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="cxm-customer-{ann.pk}.json"'
    assert download.json()["summary"]["customers.Identity"] == 4

    unconfirmed = client.post(f"/customers/{ann.pk}/erase/", {"confirm": "yes"})
    assert unconfirmed.status_code == 302
    assert Identity.objects.filter(customer=ann).exists()

    token: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['admin']}"}
    refused = client.post(
        f"/api/v1/customers/{ann.pk}/erase",
        data={"confirm": False},
        content_type="application/json",
        **token,
    )
    assert refused.status_code == 422
    erased = client.post(
        f"/api/v1/customers/{ann.pk}/erase",
        data={"confirm": True, "reason": "API request"},
        content_type="application/json",
        **token,
    )
    assert erased.status_code == 200
    assert erased.json()["counts"]["customers.Identity"] == 4
    assert not Identity.objects.filter(customer=ann).exists()
    page = client.get(f"/customers/{ann.pk}/")
    assert b"Erased on" in page.content and b"Ann Lee" not in page.content
