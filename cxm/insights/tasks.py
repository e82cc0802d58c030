"""Background work of the insights app, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.insights import services


@task()
def sentiment_train_task() -> dict[str, object]:
    """Refit the learned sentiment model when enough new labels have come in."""
    if not services.sentiment_train_due():
        return {"trained": False}
    run = services.sentiment_train()
    return {"trained": True, "run": run.pk, "chosen": run.chosen, "why": run.why}
