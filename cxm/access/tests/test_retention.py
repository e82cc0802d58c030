"""Retention per data class, applied by a scheduled task."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from cxm.access import retention
from cxm.access.enums import AuditAction
from cxm.access.models import AuditEvent, ScheduledRun
from cxm.access.schedule import Periodic, schedule_due
from cxm.access.tests.conftest import World
from cxm.interactions.models import Interaction


@pytest.fixture
def aged(world: World) -> World:
    """Sam's messages 400 days old, Nora's 10; audit rows 800 and 10 days old."""
    now = timezone.now()
    Interaction.objects.filter(customer=world.sam).update(occurred_at=now - timedelta(days=400))
    Interaction.objects.filter(customer=world.nora).update(occurred_at=now - timedelta(days=10))
    for days in (800, 10):
        AuditEvent.objects.create(
            at=now - timedelta(days=days), action=AuditAction.LOGOUT, actor_label=f"{days}d"
        )
    return world


def test_texts_past_their_retention_are_blanked_and_the_rows_stay(
    settings: Any, aged: World
) -> None:
    settings.CXM_RETAIN_INTERACTION_TEXT_DAYS = 365
    settings.CXM_RETAIN_AUDIT_DAYS = 730
    count = Interaction.objects.count()

    counts = retention.retention_apply()

    old = Interaction.objects.filter(customer=aged.sam)
    assert counts == {
        "audit_rows": 1,
        "interaction_texts": old.count(),
        "survey_comments": 0,
        "labelled_texts": 0,
    }
    assert set(old.values_list("subject", "body")) == {("", "")}
    assert list(Interaction.objects.filter(customer=aged.nora).values_list("body", flat=True)) == [
        "Message n1"
    ]
    assert Interaction.objects.count() == count
    assert not AuditEvent.objects.filter(actor_label="800d").exists()
    assert AuditEvent.objects.filter(actor_label="10d").exists()
    applied = AuditEvent.objects.get(action=AuditAction.RETENTION_APPLIED)
    assert applied.detail == {"purged": counts}
    # A second run finds nothing more to do.
    assert retention.retention_apply() == {
        "audit_rows": 0,
        "interaction_texts": 0,
        "survey_comments": 0,
        "labelled_texts": 0,
    }


def test_a_data_class_without_retention_is_kept(settings: Any, aged: World) -> None:
    settings.CXM_RETAIN_INTERACTION_TEXT_DAYS = None
    settings.CXM_RETAIN_AUDIT_DAYS = None

    assert retention.retention_apply() == {}
    assert Interaction.objects.filter(customer=aged.sam).exclude(body="").exists()
    out = io.StringIO()
    call_command("retention", "show", stdout=out)
    assert "interaction_texts    for ever" in out.getvalue()


def test_the_schedule_queues_a_job_once_per_period(db: None) -> None:
    queued: list[str] = []
    job = Periodic("probe", timedelta(days=1), lambda: queued.append("probe"))
    start = timezone.now()

    assert schedule_due(now=start, schedule=[job]) == ["probe"]
    assert schedule_due(now=start + timedelta(hours=23), schedule=[job]) == []
    assert schedule_due(now=start + timedelta(hours=24), schedule=[job]) == ["probe"]
    assert queued == ["probe", "probe"]
    assert ScheduledRun.objects.get(name="probe").last_queued_at == start + timedelta(hours=24)


def test_the_worker_queues_retention_and_runs_it(
    transactional_db: None, settings: Any, aged: World
) -> None:
    # Transactional: the task worker closes and reopens its database connection.
    settings.CXM_RETAIN_INTERACTION_TEXT_DAYS = 365

    call_command("worker", "--once", stdout=io.StringIO())

    assert not Interaction.objects.filter(customer=aged.sam).exclude(body="").exists()
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_APPLIED).count() == 1
    # Within the day, the worker does not queue it again.
    call_command("worker", "--once", stdout=io.StringIO())
    assert AuditEvent.objects.filter(action=AuditAction.RETENTION_APPLIED).count() == 1
