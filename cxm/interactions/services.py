"""The one ingestion path behind every entry point: API, bulk API, file import, demo.

validate -> skip what is already stored -> resolve identities -> store, in
chunks that each commit on their own, so that a crash loses at most one chunk
and a replay of any of it creates nothing new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from cxm.cases import services as case_services
from cxm.connectors.models import Source
from cxm.customers import resolution
from cxm.customers import services as customer_services
from cxm.db import rows_insert
from cxm.insights import services as insight_services
from cxm.interactions.models import Interaction
from cxm.interactions.parsing import LineProblem, Record
from cxm.interactions.validation import InteractionInput, InvalidLine, validate_line

CHUNK_SIZE = 1000
MAX_RETRIES = 3


@dataclass(frozen=True)
class RejectedLine:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class LineOutcome:
    line: int
    status: str  # accepted | duplicate
    interaction_id: int
    customer_id: int


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    outcomes: list[LineOutcome] = field(default_factory=list)
    proposals: int = 0
    merged: int = 0  # customers merged automatically by the match model

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
        self.outcomes.extend(other.outcomes)
        self.proposals += other.proposals
        self.merged += other.merged


class SourcePolicy:
    """Decides which source a line belongs to.

    A token's batch is bound to the token's source: a line naming another
    source is rejected. A file import by an operator may name any source, and
    unknown ones are created.
    """

    def __init__(self, *, default: Source | None, bound: bool) -> None:
        self.default = default
        self.bound = bound
        self._cache: dict[str, Source] = {default.name: default} if default else {}

    def source_for(self, name: str | None) -> Source:
        if name is None:
            if self.default is None:
                raise ValueError("is required (the system this interaction comes from)")
            return self.default
        if self.bound:
            assert self.default is not None
            if name != self.default.name:
                raise ValueError(
                    f"'{name}' does not match this token's source '{self.default.name}'"
                )
            return self.default
        source = self._cache.get(name)
        if source is None:
            from django.utils.text import slugify

            slug = slugify(name)[:100]
            if not slug or slug != name:
                raise ValueError(
                    f"'{name}' is not a source name (lowercase letters, digits, - and _)"
                )
            source, _ = Source.objects.get_or_create(name=name)
            self._cache[name] = source
        return source


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def interactions_ingest(
    *,
    records: Iterable[Record],
    policy: SourcePolicy,
    keep_outcomes: bool = False,
    chunk_size: int = CHUNK_SIZE,
    on_chunk: Callable[[IngestResult, list[Record]], None] | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store every valid record; report each invalid one with its line and reason.

    ``on_chunk`` runs inside each chunk's transaction after its rows are
    written, so a checkpoint saved there commits together with the rows.
    """
    total = IngestResult()
    resolver_region = settings.CXM_PHONE_REGION
    placeholders = frozenset(settings.CXM_PLACEHOLDER_VALUES) | frozenset(
        settings.CXM_OWN_IDENTIFIERS
    )
    for chunk in _chunks(records, chunk_size):
        result = _ingest_chunk(
            chunk,
            policy=policy,
            region=resolver_region,
            placeholders=placeholders,
            keep_outcomes=keep_outcomes,
            on_chunk=on_chunk,
            now=now or datetime.now(UTC),
        )
        total.add(result)
    return total


def _ingest_chunk(
    chunk: list[Record],
    *,
    policy: SourcePolicy,
    region: str,
    placeholders: frozenset[str],
    keep_outcomes: bool,
    on_chunk: Callable[[IngestResult, list[Record]], None] | None,
    now: datetime,
) -> IngestResult:
    result = IngestResult()
    valid: list[tuple[int, InteractionInput, Source]] = []
    for number, data in chunk:
        if isinstance(data, LineProblem):
            result.rejected.append(RejectedLine(number, data.field, data.message))
            continue
        try:
            item = validate_line(data, default_region=region, now=now, placeholders=placeholders)
        except InvalidLine as exc:
            result.rejected.extend(RejectedLine(number, e.field, e.message) for e in exc.errors)
            continue
        try:
            source = policy.source_for(item.source)
        except ValueError as exc:
            result.rejected.append(RejectedLine(number, "source", str(exc)))
            continue
        valid.append((number, item, source))

    for attempt in range(MAX_RETRIES):
        try:
            with transaction.atomic():
                written = _store(valid, keep_outcomes=keep_outcomes)
                result.accepted = written.accepted
                result.duplicates = written.duplicates
                result.outcomes = written.outcomes
                result.proposals = written.proposals
                result.merged = written.merged
                if on_chunk is not None:
                    on_chunk(result, chunk)
            break
        except IntegrityError:
            # Another writer stored the same interaction or identity between our
            # read and our write (PostgreSQL, concurrent ingests): read again.
            if attempt == MAX_RETRIES - 1:
                raise
    return result


def _store(
    valid: list[tuple[int, InteractionInput, Source]], *, keep_outcomes: bool
) -> IngestResult:
    result = IngestResult()
    if not valid:
        return result

    by_source: dict[int, set[str]] = {}
    for _, item, source in valid:
        by_source.setdefault(source.pk, set()).add(item.external_id)
    existing: dict[tuple[int, str], tuple[int, int]] = {}
    for source_id, external_ids in by_source.items():
        for ext_id, interaction_id, customer_id in Interaction.objects.filter(
            source_id=source_id, external_id__in=external_ids
        ).values_list("external_id", "id", "customer_id"):
            existing[(source_id, ext_id)] = (interaction_id, customer_id)

    fresh: list[tuple[int, InteractionInput, Source]] = []
    seen: set[tuple[int, str]] = set()
    for number, item, source in valid:
        key = (source.pk, item.external_id)
        if key in existing or key in seen:
            result.duplicates += 1
            if keep_outcomes and key in existing:
                interaction_id, customer_id = existing[key]
                result.outcomes.append(
                    LineOutcome(number, "duplicate", interaction_id, customer_id)
                )
            continue
        seen.add(key)
        fresh.append((number, item, source))
    if not fresh:
        return result

    resolver = customer_services.BatchResolver()
    resolver.load(ident.key for _, item, _ in fresh for ident in item.identifiers)
    resolutions = []
    for _, item, source in fresh:
        resolutions.append(
            resolver.resolve(
                customer_services.ResolutionLine(
                    keys=[(i.kind, i.raw, i.normalized) for i in item.identifiers],
                    source_id=source.pk,
                    occurred_at=item.occurred_at,
                    name=item.name,
                    company=item.company,
                    customer_kind=item.customer_kind,
                    details=item.details,
                )
            )
        )
    resolver.write()

    received_at = datetime.now(UTC)
    enrichments, pending = _enrich([item for _, item, _ in fresh], received_at=received_at)
    rows = [
        (
            source.pk,
            item.external_id,
            resolved.customer_id,
            resolved.identity_id,
            item.channel,
            item.direction,
            item.occurred_at,
            item.subject,
            item.body,
            item.attributes,
            item.automated,
            enrichment.label,
            enrichment.score if enrichment.label else None,
            enrichment.model,
            enrichment.topics,
            None if waits else received_at,
        )
        for (_, item, source), resolved, enrichment, waits in zip(
            fresh, resolutions, enrichments, pending, strict=True
        )
    ]
    ids = _interactions_insert(rows, received_at=received_at)
    result.accepted = len(rows)
    waiting = [pk for pk, waits in zip(ids, pending, strict=True) if waits]
    if waiting:
        transaction.on_commit(partial(insight_services.interactions_enrich_later, waiting))

    result.proposals = customer_services.merge_proposals_record(
        candidates=(
            (resolved.customer_id, other if isinstance(other, int) else other.id, evidence, pk)
            for pk, resolved in zip(ids, resolutions, strict=True)
            for other, evidence in resolved.conflicts
        )
    )

    # The online match path: new and changed customers against the rest.
    decisions = resolution.customers_resolve(resolver.touched)
    result.proposals += len(decisions.proposed)
    result.merged = len(decisions.merged)

    # A small batch reaches its cases now, after the merges it caused (so a case
    # opens on the surviving customer). A large one waits for the worker in full:
    # routed now, its answers would find no case open for the texts they answer,
    # which are not enriched yet, and be lost; the worker's task routes all of it
    # once the texts are enriched, oldest first.
    if ids and not waiting:
        case_services.interactions_route(ids=ids, limit=len(ids))

    if keep_outcomes:
        for (number, _, _), pk, row in zip(fresh, ids, rows, strict=True):
            customer_id = row[2]
            while customer_id in decisions.merged_into:
                customer_id = decisions.merged_into[customer_id]
            result.outcomes.append(LineOutcome(number, "accepted", pk, customer_id))
    return result


_INSERTED_FIELDS = (
    "source",
    "external_id",
    "customer",
    "identity",
    "channel",
    "direction",
    "occurred_at",
    "subject",
    "body",
    "attributes",
    "automated",
    "sentiment_label",
    "sentiment_score",
    "sentiment_model",
    "topics",
    "enriched_at",
)


def _enrich(
    items: list[InteractionInput], *, received_at: datetime
) -> tuple[list[insight_services.Enrichment], list[bool]]:
    """Sentiment and topics of what customers wrote; nothing for what was sent to them.

    A small batch (an API call, a webhook) is enriched here and now; the texts of
    a large one are left to the worker (see ``insight_services.enrich_inline``),
    which keeps a bulk load at the database's pace. Returns the enrichments and,
    for each item, whether it waits for the worker.
    """
    texts = [
        insight_services.interaction_text(item.subject, item.body)
        if insight_services.enrich_inbound(item.direction, item.subject, item.body)
        else ""
        for item in items
    ]
    if insight_services.enrich_inline(sum(1 for text in texts if text)):
        automated = [item.automated for item in items]
        return insight_services.texts_enrich(texts, automated=automated), [False] * len(items)
    nothing = insight_services.Enrichment("", 0.0, "", [])
    return [nothing] * len(items), [bool(text) for text in texts]


def _interactions_insert(rows: list[tuple[Any, ...]], *, received_at: datetime) -> list[int]:
    """Insert rows of ``_INSERTED_FIELDS`` values; return their ids, in order.

    One prepared INSERT for every row, then one read of the new ids by
    (source, external_id), which identifies an interaction.
    """
    rows_insert(
        Interaction, (*_INSERTED_FIELDS, "received_at"), [(*row, received_at) for row in rows]
    )
    by_source: dict[int, list[str]] = {}
    for row in rows:
        by_source.setdefault(row[0], []).append(row[1])
    ids: dict[tuple[int, str], int] = {}
    for source_id, external_ids in by_source.items():
        for external_id, pk in Interaction.objects.filter(
            source_id=source_id, external_id__in=external_ids
        ).values_list("external_id", "id"):
            ids[(source_id, external_id)] = pk
    return [ids[(row[0], row[1])] for row in rows]


def interaction_ingest_one(*, data: Any, policy: SourcePolicy) -> IngestResult:
    """The single-interaction API: the same path as a batch of one."""
    return interactions_ingest(records=[(1, data)], policy=policy, keep_outcomes=True)
