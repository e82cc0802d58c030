"""The audit trail: what is recorded, and that the application cannot rewrite it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from cxm.access import services
from cxm.access.enums import AuditAction
from cxm.access.models import AuditEvent, AuditPurgePermit
from cxm.access.tests.conftest import World
from cxm.customers import services as customer_services


def _events(action: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (e.actor_label, e.object_type, e.object_id, e.detail)
        for e in AuditEvent.objects.filter(action=action).order_by("id")
    ]


def test_reading_a_profile_in_the_console_and_the_api_is_audited(world: World) -> None:
    client = Client()
    client.force_login(world.users["analyst"])
    client.get(f"/customers/{world.sam.pk}/", REMOTE_ADDR="203.0.113.5")
    client.get(f"/api/v1/customers/{world.sam.pk}")
    token: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['read']}"}
    client.get(f"/api/v1/customers/{world.nora.pk}/timeline", **token)
    prefix = world.token_rows["read"].prefix

    assert _events(AuditAction.CUSTOMER_VIEWED) == [
        ("analyst", "customer", str(world.sam.pk), {"via": "console"}),
        ("analyst", "customer", str(world.sam.pk), {"via": "api"}),
        (
            f"token {prefix}… (helpdesk, read)",
            "customer",
            str(world.nora.pk),
            {"via": "api timeline"},
        ),
    ]
    first = AuditEvent.objects.filter(action=AuditAction.CUSTOMER_VIEWED).order_by("id")[0]
    assert first.ip == "203.0.113.5"


def test_a_refused_read_writes_no_audit_row(world: World) -> None:
    client = Client()
    client.force_login(world.users["agent"])

    response = client.get(f"/customers/{world.sam.pk}/")

    assert response.status_code == 404
    assert _events(AuditAction.CUSTOMER_VIEWED) == []


def test_merges_un_merges_and_rejections_are_audited(world: World) -> None:
    administrator = world.users["administrator"]
    event = customer_services.merge_proposal_accept(
        proposal=world.proposal, actor=administrator, note="Same phone", ip="203.0.113.5"
    )
    customer_services.customer_unmerge(
        event=event, actor=administrator, reason="Shared family phone", ip="203.0.113.5"
    )

    merged = _events(AuditAction.MERGE_ACCEPTED)
    undone = _events(AuditAction.MERGE_UNDONE)
    # The fixture's own merge was done by CXM itself.
    assert [m[0] for m in merged] == ["CXM", "administrator"]
    assert merged[1][3]["merge_event"] == event.pk
    assert merged[1][3]["proposal"] == world.proposal.pk
    assert undone == [
        (
            "administrator",
            "customer",
            str(event.merged_id),
            {
                "merge_event": event.pk,
                "unmerge_event": event.pk + 1,
                "survivor": event.survivor_id,
            },
        )
    ]


def test_role_changes_are_audited_with_before_and_after(world: World) -> None:
    agent = world.users["agent"]
    services.membership_set(
        user=agent,
        role="supervisor",
        teams=[world.north, world.south],
        actor=world.users["administrator"],
    )

    last = AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).order_by("-id").first()
    assert last is not None
    assert (last.actor_label, last.object_id, last.detail) == (
        "administrator",
        str(agent.pk),
        {
            "before": {"role": "agent", "teams": [world.north.pk]},
            "after": {"role": "supervisor", "teams": sorted([world.north.pk, world.south.pk])},
        },
    )


def test_audit_details_hold_no_personal_data(world: World) -> None:
    client = Client()
    client.force_login(world.users["administrator"])
    client.get(f"/customers/{world.sam.pk}/")

    text = json.dumps([e.detail for e in AuditEvent.objects.all()]) + " ".join(
        AuditEvent.objects.values_list("actor_label", flat=True)
    )
    for personal in ("sam.south@example.org", "Southgate", "+442079460001"):
        assert personal not in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard is a PostgreSQL trigger")
def test_postgresql_refuses_to_change_or_delete_audit_rows(world: World) -> None:
    event = services.audit_record(action=AuditAction.CUSTOMER_VIEWED, object_type="customer")

    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(actor_label="someone else"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()

    assert AuditEvent.objects.get(pk=event.pk).actor_label == "CXM"


def test_the_retention_purge_deletes_only_rows_older_than_its_cut_off(db: None) -> None:
    now = timezone.now()
    for days in (400, 366, 364, 1):
        AuditEvent.objects.create(
            at=now - timedelta(days=days), action=AuditAction.CUSTOMER_VIEWED, actor_label=str(days)
        )

    deleted = services.audit_purge(before=now - timedelta(days=365))

    assert deleted == 2
    assert sorted(AuditEvent.objects.values_list("actor_label", flat=True)) == ["1", "364"]
    assert not AuditPurgePermit.objects.exists()


def test_administrators_use_the_admin_and_their_reads_there_are_audited(world: World) -> None:
    client = Client()
    client.force_login(world.users["administrator"])

    index = client.get("/admin/")
    page = client.get(f"/admin/customers/customer/{world.sam.pk}/change/")

    assert index.status_code == page.status_code == 200
    assert _events(AuditAction.CUSTOMER_VIEWED) == [
        ("administrator", "customer", str(world.sam.pk), {"via": "admin"})
    ]


def test_an_out_of_range_id_in_the_admin_is_not_found(world: World) -> None:
    client = Client()
    client.force_login(world.users["administrator"])

    response = client.get("/admin/customers/customer/99999999999999999999/change/")

    assert response.status_code in (302, 404)
    assert _events(AuditAction.CUSTOMER_VIEWED) == []
