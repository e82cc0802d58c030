"""Background work of journeys, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.journeys import services


@task()
def journeys_sweep_task() -> dict[str, int]:
    """Move customers whose time in a stage has run out (e.g. adoption to steady)."""
    return {"moved": services.journeys_sweep()}
