"""Identity resolution by the match model: one model, two paths.

The strong identifiers (email, phone, CRM id, handle) tie an interaction to a
customer exactly, at ingest (``services.BatchResolver``). The weaker ones —
names, date of birth, postcode, city, company, an email's local part, a
phone's digits — go through the Fellegi-Sunter model of
``cxm.customers.matching``:

- every live customer has a ``MatchRecord``: the cleaned values the model
  compares and its blocking keys, indexed, kept in step at ingest, merge,
  un-merge and erasure;
- ``model_train`` fits the model to the deployment's own customers without
  labels (u from random pairs, m by EM, λ from near-certain rules) and stores
  it with the term frequencies of its values; ``cxm dedupe`` trains;
- online: ``customers_resolve`` scores each new or changed customer of an
  ingested chunk against the customers sharing a blocking key with it, read
  through the indexes, so that its cost does not grow with the customer base;
- batch: ``cxm.customers.dedupe`` scores every candidate pair of the base.

Both paths decide alike (``pairs_decide``): merge automatically at or above
``CXM_MATCH_AUTO_MERGE`` (undoably), propose for review from
``CXM_MATCH_REVIEW``, leave the rest; a pair a person rejected or un-merged is
never merged or proposed again.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from cxm.customers import matching
from cxm.customers.enums import MatchMethod, MergeProposalStatus
from cxm.customers.models import (
    Account,
    Customer,
    Identity,
    MatchFrequency,
    MatchModel,
    MatchRecord,
    MergeProposal,
)
from cxm.db import rows_insert

logger = logging.getLogger(__name__)

Record = dict[str, str | None]

FIELDS = (
    "first_name",
    "surname",
    "dob",
    "postcode",
    "city",
    "company",
    "email_local",
    "phone",
)

# Blocking: two customers are compared when they share one of these keys.
# Each key is a MatchRecord column holding the listed fields (a prefix when a
# length is given) joined by "|"; a record missing any part has no such key.
BLOCKING: dict[str, tuple[tuple[str, int | None], ...]] = {
    "name_key": (("surname", None), ("first_name", 1)),
    "dob": (("dob", None),),
    "postcode_key": (("postcode", None), ("surname", 1)),
    "email_local": (("email_local", None),),
    "phone": (("phone", None),),
    "place_key": (("first_name", None), ("city", None)),
}
# A key value shared by more customers than this says little (the commonest
# surname, a default date) and would make the cost quadratic: it blocks nothing.
MAX_BLOCK = 200

# Pseudo-matches behind the customary m of each comparison: enough that a base
# with a handful of duplicates keeps sane weights, few against thousands.
PRIOR_STRENGTH = 100.0


NAMES = ("first_name", "surname")


def comparisons() -> list[matching.Comparison]:
    return [
        matching.name_comparison("first name", "first_name", aliases=matching.is_nickname),
        matching.name_comparison("surname", "surname"),
        matching.date_comparison("date of birth", "dob"),
        matching.place_comparison("place", "postcode", "city"),
        matching.name_comparison("company", "company", term_frequency=False),
        matching.local_part_comparison("email local part", "email_local"),
        matching.exact_comparison("phone digits", "phone", term_frequency=False),
    ]


def block_value(record: Mapping[str, str | None], parts: Sequence[tuple[str, int | None]]) -> str:
    """The record's value of one blocking key, '' when a part is missing."""
    values = []
    for column, length in parts:
        value = record.get(column)
        if not value:
            return ""
        values.append(value[:length] if length else value)
    return "|".join(values)


def blocking_keys() -> list[matching.BlockingKey]:
    def key_of(parts: tuple[tuple[str, int | None], ...]) -> matching.BlockingKey:
        return lambda record: block_value(record, parts) or None

    return [key_of(parts) for parts in BLOCKING.values()]


def prior_rules() -> list[matching.BlockingKey]:
    """Combinations that almost only true duplicates share, for estimating λ."""
    key, both = matching.column_key, matching.compound_key
    return [
        both(key("first_name"), key("surname"), key("dob")),
        both(key("surname"), key("dob"), key("postcode")),
        both(key("email_local"), key("surname")),
    ]


# ---------------------------------------------------------------------------
# Match records
# ---------------------------------------------------------------------------


def customer_records(customer_ids: Collection[int] | None = None) -> dict[int, Record]:
    """Live customers (all, or these) as the records the model compares.

    Names split into first name and surname; the first email's local part and
    the last nine digits of the first phone stand for the strong identifiers,
    which the exact matcher already joins when they are equal. Plain SQL: this
    runs for every new customer at ingest.
    """
    ids = sorted(customer_ids) if customer_ids is not None else None
    if ids is not None and not ids:
        return {}
    customer_table, customer = _sql(Customer)
    identity_table, identity = _sql(Identity)
    account_table, account = _sql(Account)
    only_identities = only_customers = ""
    if ids is not None:
        marks = ", ".join(["%s"] * len(ids))
        only_identities = f" AND {identity['customer']} IN ({marks})"
        only_customers = f" AND c.{customer['id']} IN ({marks})"
    emails: dict[int, str] = {}
    phones: dict[int, str] = {}
    records: dict[int, Record] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {identity['customer']}, {identity['kind']}, "  # noqa: S608
            f"{identity['value_normalized']} FROM {identity_table} "
            f"WHERE {identity['kind']} IN ('email', 'phone'){only_identities} "
            f"ORDER BY {identity['customer']}, {identity['id']}",
            ids or [],
        )
        for customer_id, kind, value in cursor:
            if kind == "email":
                emails.setdefault(customer_id, value.split("@", 1)[0])
            else:
                phones.setdefault(customer_id, value[-9:])
        cursor.execute(
            f"SELECT c.{customer['id']}, c.{customer['display_name']}, "  # noqa: S608
            f"c.{customer['birth_date']}, c.{customer['postcode']}, c.{customer['city']}, "
            f"a.{account['name']} FROM {customer_table} c "
            f"LEFT JOIN {account_table} a ON a.{account['id']} = c.{customer['account']} "
            f"WHERE c.{customer['merged_into']} IS NULL AND c.{customer['erased_at']} IS NULL"
            f"{only_customers} ORDER BY c.{customer['id']}",
            ids or [],
        )
        for pk, display_name, birth_date, postcode, city, company in cursor:
            words = (matching.clean_text(display_name) or "").split()
            records[pk] = {
                "first_name": words[0][:100] if len(words) > 1 else None,
                "surname": words[-1][:100] if words else None,
                # SQLite answers a text, PostgreSQL a date: both print as ISO.
                "dob": str(birth_date)[:10] if birth_date else None,
                "postcode": (postcode or "").replace(" ", "").upper()[:20] or None,
                "city": (matching.clean_text(city) or "")[:100] or None,
                "company": (matching.clean_text(company) or "")[:200] or None,
                "email_local": emails.get(pk),
                "phone": phones.get(pk),
            }
    return records


@functools.cache
def _sql(model: type[models.Model]) -> tuple[str, dict[str, str]]:
    """A model's quoted table name, and each field's quoted column, for the
    plain SQL of the online path (only names from the model's own metadata)."""
    quote = connection.ops.quote_name
    meta = model._meta
    return quote(meta.db_table), {f.name: quote(f.column) for f in meta.concrete_fields}


def _row_of_record(customer_id: int, record: Record) -> tuple[Any, ...]:
    return (
        customer_id,
        *(record[name] or "" for name in FIELDS),
        *(block_value(record, parts) for key, parts in BLOCKING.items() if key not in FIELDS),
    )


_COLUMNS = ("customer", *FIELDS, *(key for key in BLOCKING if key not in FIELDS))


def match_records_refresh(customer_ids: Collection[int]) -> dict[int, Record]:
    """Bring these customers' match records up to date.

    Returns the records that are new or changed: the customers worth scoring
    again. A merged or erased customer loses its record.
    """
    if not customer_ids:
        return {}
    fresh = customer_records(customer_ids)
    table, column = _sql(MatchRecord)
    ids = sorted(customer_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column['customer']}, {', '.join(column[f] for f in FIELDS)} "  # noqa: S608
            f"FROM {table} WHERE {column['customer']} IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
        stored = {
            row[0]: {name: row[i] or None for i, name in enumerate(FIELDS, start=1)}
            for row in cursor.fetchall()
        }
        changed = {pk: record for pk, record in fresh.items() if stored.get(pk) != record}
        gone = [pk for pk in stored if pk not in fresh or pk in changed]
        if gone:
            cursor.execute(
                f"DELETE FROM {table} "  # noqa: S608
                f"WHERE {column['customer']} IN ({', '.join(['%s'] * len(gone))})",
                gone,
            )
    if changed:
        rows_insert(MatchRecord, _COLUMNS, [_row_of_record(pk, r) for pk, r in changed.items()])
    return changed


def match_records_rebuild(*, chunk: int = 5000) -> dict[int, Record]:
    """Every live customer's match record written anew; returns them all."""
    records = customer_records()
    with transaction.atomic():
        MatchRecord.objects.all().delete()
        items = list(records.items())
        for start in range(0, len(items), chunk):
            rows_insert(
                MatchRecord,
                _COLUMNS,
                [_row_of_record(pk, record) for pk, record in items[start : start + chunk]],
            )
    return records


# ---------------------------------------------------------------------------
# The stored model
# ---------------------------------------------------------------------------


@dataclass
class TrainedModel:
    row: MatchModel | None  # None when not stored
    model: matching.Model
    pairs: set[matching.Pair]


def model_train(
    ids: Sequence[int], records: Sequence[Record], *, store: bool = True
) -> TrainedModel:
    """Fit the model to these customers, without labels, and store it (the
    online path uses the newest)."""
    model, pairs = matching.train(
        comparisons(),
        records,
        blocking_keys(),
        prior_strength=PRIOR_STRENGTH,
        prior_rules=prior_rules(),
        names=NAMES,
    )
    if not store:
        return TrainedModel(None, model, pairs)
    with transaction.atomic():
        row = MatchModel.objects.create(
            customers=len(ids),
            candidate_pairs=len(pairs),
            prior=model.prior,
            parameters={
                "comparisons": [
                    {
                        "name": c.name,
                        "column": c.column,
                        "levels": list(c.levels),
                        "m": model.m[c.name],
                        "u": model.u[c.name],
                    }
                    for c in model.comparisons
                ]
            },
        )
        # Older models stay as a history of parameters; their frequencies go.
        MatchFrequency.objects.exclude(model=row).delete()
        rows_insert(
            MatchFrequency,
            ("model", "column", "value", "share"),
            [
                (row.pk, column, value[:320], share)
                for column, shares in model.frequencies.items()
                for value, share in shares.items()
            ],
        )
    model_cache_clear()
    return TrainedModel(row, model, pairs)


@dataclass(frozen=True)
class StoredModel:
    pk: int
    model: matching.Model
    customers: int  # how many it was trained on


@dataclass
class _ModelCache:
    """The model in use in this process, and when the database was last asked
    whether another process trained a newer one (training in this process
    clears it)."""

    pk: int | None = None
    stored: StoredModel | None = None  # None: no model, or one this version cannot use
    model: StoredModel | None = None  # the stored one, its λ scaled to today's base
    checked_at: float = -1e9


_cache = _ModelCache()
MODEL_CHECK_SECONDS = 30.0


def model_cache_clear() -> None:
    global _cache
    _cache = _ModelCache()


def model_load() -> StoredModel | None:
    """The newest stored model, without its term frequencies (read per use), or
    None when none was trained or the comparisons changed since."""
    now = time.monotonic()
    if now - _cache.checked_at < MODEL_CHECK_SECONDS:
        return _cache.model
    newest = MatchModel.objects.order_by("-trained_at", "-id").values_list("id", flat=True).first()
    _cache.checked_at = now
    if newest != _cache.pk:
        _cache.pk = newest
        _cache.stored = None if newest is None else _model_read(newest)
    _cache.model = _scaled(_cache.stored)
    return _cache.model


def _scaled(stored: StoredModel | None) -> StoredModel | None:
    """The model with λ for the customer base as it is now.

    λ, the chance that two customers picked at random are one person, falls as
    1/(N-1) when the base grows and each person keeps about as many duplicate
    records: a model trained on 1,000 customers would otherwise take a base
    grown to 100,000 for one where a random pair is a hundred times likelier
    to match, and merge strangers.
    """
    if stored is None:
        return None
    live = MatchRecord.objects.count()
    if live <= stored.customers:
        return stored
    prior = stored.model.prior * (stored.customers - 1) / (live - 1)
    return dataclasses.replace(stored, model=dataclasses.replace(stored.model, prior=prior))


def _model_read(pk: int) -> StoredModel | None:
    row = MatchModel.objects.get(pk=pk)
    current = comparisons()
    stored = row.parameters.get("comparisons", [])
    if [(c.name, c.column, list(c.levels)) for c in current] != [
        (s["name"], s["column"], s["levels"]) for s in stored
    ]:
        logger.warning(
            "The stored match model %s compares other fields than this version of CXM; "
            "run `cxm dedupe` to train a new one. Until then new customers are not scored.",
            row.pk,
        )
        return None
    model = matching.Model(
        current,
        names=NAMES,
        prior=row.prior,
        m={s["name"]: s["m"] for s in stored},
        u={s["name"]: s["u"] for s in stored},
    )
    return StoredModel(row.pk, model, row.customers)


def _with_frequencies(stored: StoredModel, records: Iterable[Record]) -> matching.Model:
    """The model with the term frequencies of just these records' values."""
    model = stored.model
    columns = [c.column for c in model.comparisons if c.term_frequency]
    wanted: dict[str, set[str]] = {column: set() for column in columns}
    for record in records:
        for column in columns:
            if value := record.get(column):
                wanted[column].add(value)
    # The model inside each branch, so that each uses the (model, column,
    # value) index rather than reading every frequency of the model.
    table, field = _sql(MatchFrequency)
    branches: list[str] = []
    params: list[int | str] = []
    for column, values in wanted.items():
        if values:
            branches.append(
                f"({field['model']} = %s AND {field['column']} = %s "
                f"AND {field['value']} IN ({', '.join(['%s'] * len(values))}))"
            )
            params.extend([stored.pk, column, *sorted(values)])
    frequencies: dict[str, dict[str, float]] = {column: {} for column in columns}
    if branches:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {field['column']}, {field['value']}, {field['share']} "  # noqa: S608
                f"FROM {table} WHERE {' OR '.join(branches)}",
                params,
            )
            for column, value, share in cursor.fetchall():
                frequencies[column][value] = share
    return dataclasses.replace(model, frequencies=frequencies)


# ---------------------------------------------------------------------------
# Decisions, on both paths
# ---------------------------------------------------------------------------


@dataclass
class Decisions:
    merged: list[tuple[int, int, float]] = field(default_factory=list)
    proposed: list[tuple[int, int, float]] = field(default_factory=list)
    kept_apart: int = 0  # pairs a person had rejected or un-merged
    # merged customer -> the customer it now lives in
    merged_into: dict[int, int] = field(default_factory=dict)


def evidence(model: matching.Model, a: Record, b: Record) -> list[dict[str, Any]]:
    """Every comparison of the pair: both values, the level, its weight (0 when
    a value is missing, which says nothing either way)."""
    score = model.score(a, b)
    weights = {c.comparison: c for c in score.contributions}
    rows: list[dict[str, Any]] = []
    for comparison in model.comparisons:
        contribution = weights.get(comparison.name)
        rows.append(
            {
                "comparison": comparison.name,
                "left": comparison.shown(a),
                "right": comparison.shown(b),
                "level": contribution.level if contribution else "no data",
                "weight": round(contribution.weight, 2) if contribution else 0.0,
            }
        )
    return rows


def _summary(score: matching.Score) -> str:
    agreeing = [c.comparison for c in score.contributions if c.weight > 0]
    return f"Match probability {score.probability:.3f}" + (
        f": {', '.join(agreeing)} agree" if agreeing else ""
    )


def pairs_decide(
    scored: Iterable[tuple[int, int, matching.Score, list[dict[str, Any]]]],
    *,
    decided: Mapping[tuple[int, int], str],
    auto: float,
    review: float,
    dry_run: bool = False,
) -> Decisions:
    """Merge, propose or leave each scored pair (customer ids, score, evidence),
    most probable first; ``decided`` holds the status of pairs already proposed."""
    result = Decisions()
    known = dict(decided)
    ranked = sorted(scored, key=lambda item: -item[2].probability)
    for a, b, score, shown in ranked:
        probability = score.probability
        if probability < review:
            break
        low, high = sorted((a, b))
        status = known.get((low, high))
        if status == MergeProposalStatus.REJECTED:
            result.kept_apart += 1
            continue
        if probability >= auto:
            if dry_run:
                result.merged.append((low, high, probability))
                continue
            merged = _auto_merge(low, high, score, shown, status)
            if merged is not None:
                result.merged.append((low, high, probability))
                result.merged_into[merged[1]] = merged[0]
        elif status is None:
            if not dry_run:
                MergeProposal.objects.create(
                    customer_low_id=low,
                    customer_high_id=high,
                    method=MatchMethod.PROBABILISTIC,
                    score=probability,
                    evidence=shown,
                    reason=f"{_summary(score)}; a person should decide.",
                )
            result.proposed.append((low, high, probability))
            known[(low, high)] = MergeProposalStatus.PENDING
    return result


def _auto_merge(
    low: int,
    high: int,
    score: matching.Score,
    shown: list[dict[str, Any]],
    status: str | None,
) -> tuple[int, int] | None:
    """Merge the pair's customers (the younger into the older); None when they
    already are one. ``status``: the pair's proposal's, None when it has none.
    Returns (survivor, merged)."""
    from cxm.customers import services  # services keeps match records in step

    pair = Customer.objects.in_bulk([low, high])
    first, second = services.customer_root(pair[low]), services.customer_root(pair[high])
    if first.pk == second.pk:
        return None
    survivor, merged = (first, second) if first.pk < second.pk else (second, first)
    # The pair's proposal records the evidence, and the merge settles it.
    proposal = None
    if status is None:
        proposal = MergeProposal.objects.create(
            customer_low_id=low,
            customer_high_id=high,
            method=MatchMethod.PROBABILISTIC,
            score=score.probability,
            evidence=shown,
            reason=f"{_summary(score)}.",
        )
    elif status == MergeProposalStatus.PENDING:
        proposal = MergeProposal.objects.get(customer_low_id=low, customer_high_id=high)
    services.customer_merge(
        survivor=survivor,
        merged=merged,
        actor=None,
        reason=f"Automatic merge. {_summary(score)}.",
        proposal=proposal,
    )
    return survivor.pk, merged.pk


def decided_pairs(pairs: Collection[tuple[int, int]] | None = None) -> dict[tuple[int, int], str]:
    """The status of every proposal (or of these (low, high) pairs')."""
    proposals = MergeProposal.objects.all()
    if pairs is not None:
        if not pairs:
            return {}
        proposals = proposals.filter(
            customer_low_id__in={low for low, _ in pairs},
            customer_high_id__in={high for _, high in pairs},
        )
    return {
        (low, high): status
        for low, high, status in proposals.values_list(
            "customer_low_id", "customer_high_id", "status"
        )
    }


# ---------------------------------------------------------------------------
# The online path
# ---------------------------------------------------------------------------


def candidates(records: Mapping[int, Record]) -> tuple[set[tuple[int, int]], dict[int, Record]]:
    """Pairs (low, high) of each of these customers with every customer that
    shares a blocking key with it, and the records of all of them.

    Two statements, whatever the number of keys: first the size of each block,
    counted in the blocking keys' indexes, so that a key value shared by more
    than ``MAX_BLOCK`` customers is skipped, as in the batch path, without
    reading its rows; then the rows of every other block. Plain SQL on the
    model's own table and column names: this runs for every new customer.
    """
    known: dict[int, Record] = dict(records)
    wanted: dict[str, list[str]] = {}
    for key, parts in BLOCKING.items():
        values = sorted({v for record in records.values() if (v := block_value(record, parts))})
        if values:
            wanted[key] = values
    table, columns = _sql(MatchRecord)
    allowed: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        if wanted:
            statements, params = [], []
            for index, (key, values) in enumerate(wanted.items()):
                column = columns[key]
                statements.append(
                    f"SELECT {index}, {column}, COUNT(*) FROM {table} "  # noqa: S608
                    f"WHERE {column} IN ({', '.join(['%s'] * len(values))}) GROUP BY {column}"
                )
                params.extend(values)
            keys = list(wanted)
            cursor.execute(" UNION ALL ".join(statements), params)
            for index, value, n in cursor.fetchall():
                if n <= MAX_BLOCK:
                    allowed.setdefault(keys[index], set()).add(value)
        blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
        if allowed:
            conditions, params = [], []
            for key, kept in allowed.items():
                conditions.append(f"{columns[key]} IN ({', '.join(['%s'] * len(kept))})")
                params.extend(sorted(kept))
            selected = _COLUMNS
            cursor.execute(
                f"SELECT {', '.join(columns[name] for name in selected)} "  # noqa: S608
                f"FROM {table} WHERE {' OR '.join(conditions)}",
                params,
            )
            positions = {name: i for i, name in enumerate(selected)}
            for row in cursor.fetchall():
                customer_id = row[0]
                for key, kept in allowed.items():
                    value = row[positions[key]]
                    if value in kept:
                        blocks[(key, value)].append(customer_id)
                if customer_id not in known:
                    known[customer_id] = {
                        name: row[i] or None for i, name in enumerate(FIELDS, start=1)
                    }
    pairs: set[tuple[int, int]] = set()
    for customer_id, record in records.items():
        for key, parts in BLOCKING.items():
            for other in blocks.get((key, block_value(record, parts)), ()):
                if other != customer_id:
                    pairs.add((min(customer_id, other), max(customer_id, other)))
    return pairs, known


def customers_resolve(customer_ids: Collection[int], *, dry_run: bool = False) -> Decisions:
    """The online path: score these (new or changed) customers against the
    customers that share a blocking key with them, and decide.

    Their match records are brought up to date first, whether or not a model
    has been trained yet, so that they are found as candidates later.
    """
    changed = match_records_refresh(customer_ids)
    if not changed:
        return Decisions()
    stored = model_load()
    if stored is None:
        return Decisions()
    pairs, records = candidates(changed)
    if not pairs:
        return Decisions()
    # Term frequencies are read for the changed customers' values: an exact
    # agreement, the only level they adjust, is on one of those.
    model = _with_frequencies(stored, changed.values())
    scored = []
    for low, high in pairs:
        a, b = records[low], records[high]
        score = model.score(a, b)
        if score.probability >= settings.CXM_MATCH_REVIEW:
            scored.append((low, high, score, evidence(model, a, b)))
    if not scored:
        return Decisions()
    return pairs_decide(
        scored,
        decided=decided_pairs([(low, high) for low, high, _, _ in scored]),
        auto=settings.CXM_MATCH_AUTO_MERGE,
        review=settings.CXM_MATCH_REVIEW,
        dry_run=dry_run,
    )
