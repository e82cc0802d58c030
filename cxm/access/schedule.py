"""Periodic jobs, queued by ``cxm worker`` when due.

Each worker checks the schedule between batches; a row lock on the job's
``ScheduledRun`` makes sure that with several workers a due job is queued once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cxm.access.models import ScheduledRun


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    enqueue: Callable[[], Any]


def _retention() -> Any:
    from cxm.access.tasks import retention_apply_task

    return retention_apply_task.enqueue()


def _dedupe() -> Any:
    from cxm.customers.tasks import customers_dedupe_task

    return customers_dedupe_task.enqueue()


def _relationship_surveys() -> Any:
    from cxm.feedback.tasks import relationship_surveys_task

    return relationship_surveys_task.enqueue()


def _enrichment_sweep() -> Any:
    from cxm.insights.tasks import interactions_enrich_task

    return interactions_enrich_task.enqueue()


def _sentiment_train() -> Any:
    from cxm.insights.tasks import sentiment_train_task

    return sentiment_train_task.enqueue()


def _promises_sweep() -> Any:
    from cxm.promises.tasks import promises_sweep_task

    return promises_sweep_task.enqueue()


def _journeys_sweep() -> Any:
    from cxm.journeys.tasks import journeys_sweep_task

    return journeys_sweep_task.enqueue()


def _sla_sweep() -> Any:
    from cxm.cases.tasks import sla_sweep_task

    return sla_sweep_task.enqueue()


SCHEDULE = [
    # At-risk flags and breaches are recorded within a few minutes of happening.
    Periodic("sla_sweep", timedelta(minutes=2), _sla_sweep),
    # Owners hear of a promise at risk within minutes of its lead time starting.
    Periodic("promises_sweep", timedelta(minutes=5), _promises_sweep),
    Periodic("journeys_sweep", timedelta(hours=1), _journeys_sweep),
    Periodic("retention", timedelta(days=1), _retention),
    Periodic("relationship_surveys", timedelta(days=1), _relationship_surveys),
    # Refits only when labels have grown by a fifth since the last training.
    Periodic("sentiment_train", timedelta(days=1), _sentiment_train),
    # Catches any large batch whose enrichment task was lost.
    Periodic("enrichment_sweep", timedelta(hours=1), _enrichment_sweep),
]
if settings.CXM_MATCH_RETRAIN_DAYS > 0:
    # The match model learns from the base; a grown base teaches it better.
    SCHEDULE.append(Periodic("dedupe", timedelta(days=settings.CXM_MATCH_RETRAIN_DAYS), _dedupe))


def schedule_due(
    *, now: datetime | None = None, schedule: list[Periodic] | None = None
) -> list[str]:
    """Queue every job whose period has passed since it was last queued."""
    now = now or timezone.now()
    queued = []
    for job in schedule or SCHEDULE:
        with transaction.atomic():
            ScheduledRun.objects.get_or_create(
                name=job.name, defaults={"last_queued_at": now - job.every}
            )
            run = ScheduledRun.objects.select_for_update().get(name=job.name)
            if now - run.last_queued_at < job.every:
                continue
            run.last_queued_at = now
            run.save(update_fields=["last_queued_at"])
            job.enqueue()
            queued.append(job.name)
    return queued
