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


@task()
def interactions_enrich_task(ids: list[int] | None = None) -> dict[str, int]:
    """Sentiment and topics for a large batch's texts, after it is stored; then the
    batch goes on to cases, which need the topic and the sentiment.

    Without ids, the periodic sweep: everything still waiting, in chunks.
    """
    from cxm.cases import services as case_services

    if ids is not None:
        enriched = services.interactions_enrich(ids=ids, limit=len(ids))
        # Everything routable, oldest first: the batch's answers (stored enriched, as
        # they carry no customer text) must follow the messages they answer.
        return {"enriched": enriched, "routed": case_services.interactions_route_all()}
    enriched = services.interactions_enrich_all()
    return {"enriched": enriched, "routed": case_services.interactions_route_all()}
