"""Background work of the access app, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.access import retention


@task()
def retention_apply_task() -> dict[str, int]:
    return retention.retention_apply()
