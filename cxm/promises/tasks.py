"""Background work of the promise ledger, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.promises import services


@task()
def promises_sweep_task() -> dict[str, int]:
    """Flag promises whose lead time has begun, break those past due."""
    return services.promises_sweep()
