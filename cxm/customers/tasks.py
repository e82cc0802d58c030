"""Background work of the customers app, queued on the database task backend."""

from __future__ import annotations

from django_tasks import task

from cxm.customers.dedupe import customers_dedupe


@task()
def customers_dedupe_task() -> dict[str, int | None]:
    """Retrain the match model on the grown customer base and decide on its pairs."""
    report = customers_dedupe()
    return {
        "customers": report.customers,
        "pairs_scored": report.pairs_scored,
        "model_id": report.model_id,
        "merged": len(report.merged),
        "proposed": len(report.proposed),
    }
