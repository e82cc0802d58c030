"""Background work of the feedback app, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.feedback import services


@task()
def relationship_surveys_task() -> dict[str, int]:
    """Today's wave of every periodic relationship survey: a random sample."""
    return services.relationship_waves_send()
