"""Background work of the cases app, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.cases import services


@task()
def sla_sweep_task() -> dict[str, int]:
    """Route what is waiting, then flag clocks at risk and record breaches as of now."""
    routed = services.interactions_route_all()
    return {"routed": routed, **services.sla_sweep()}
