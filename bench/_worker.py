"""One database's half of bench/ingest.py, run in its own process.

The environment names a freshly migrated database (DATABASE_URL, CXM_DATA_DIR).
Ingests the generated lines through the ingestion service, then inserts the
rows it stored again with the database's raw bulk path (sqlite3 executemany, or
psycopg COPY) into the emptied interaction table, and prints the figures as one
JSON object on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from _lines import generate_lines

COLUMNS = (
    "source_id, external_id, customer_id, identity_id, channel, direction, "
    "occurred_at, subject, body, attributes, received_at, "
    "sentiment_label, sentiment_score, sentiment_model, topics, enriched_at"
)
TABLE = "interactions_interaction"


class TimedLines:
    """Hands out the generated lines and counts the time (wall and CPU) spent
    generating them, so the service's figures are the service's alone."""

    def __init__(self, lines: Iterable[tuple[int, dict[str, Any]]]) -> None:
        self._lines = iter(lines)
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        wall, cpu = time.perf_counter, time.process_time
        while True:
            start, start_cpu = wall(), cpu()
            item = next(self._lines, None)
            self.seconds += wall() - start
            self.cpu_seconds += cpu() - start_cpu
            if item is None:
                return
            yield item


def _batches(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def raw_sqlite(path: str, batch: int) -> dict[str, Any]:
    # The same pragmas as CXM's connections (settings.py plus Django's foreign_keys).
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("PRAGMA wal_autocheckpoint=10000")
    rows = conn.execute(f"SELECT {COLUMNS} FROM {TABLE} ORDER BY id").fetchall()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE customers_mergeproposal SET interaction_id = NULL")
    conn.execute(f"DELETE FROM {TABLE}")
    conn.execute("COMMIT")
    # VACUUM gives the table back its pages so the insert grows the file as the service's did.
    conn.execute("VACUUM")
    placeholders = ", ".join("?" * len(COLUMNS.split(",")))
    insert = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({placeholders})"
    start, start_cpu = time.perf_counter(), time.process_time()
    for chunk in _batches(rows, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(insert, chunk)
        conn.execute("COMMIT")
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    stored = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    conn.close()
    assert stored == len(rows), (stored, len(rows))
    return {"method": f"sqlite3 executemany, commit every {batch}", "rows": len(rows),
            "seconds": seconds, "cpu_seconds": cpu}  # fmt: skip


def raw_postgres(url: str, batch: int) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        select = COLUMNS.replace("attributes", "attributes::text").replace("topics", "topics::text")
        rows = conn.execute(f"SELECT {select} FROM {TABLE} ORDER BY id").fetchall()
        # TRUNCATE gives a fresh heap and fresh indexes; CASCADE empties the merge
        # proposals that point at interactions, which the timing does not need.
        conn.execute(f"TRUNCATE {TABLE} CASCADE")
        conn.commit()
        start, start_cpu = time.perf_counter(), time.process_time()
        for chunk in _batches(rows, batch):
            with (
                conn.transaction(),
                conn.cursor().copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN") as copy,
            ):
                for row in chunk:
                    copy.write_row(row)
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        stored = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]
    assert stored == len(rows), (stored, len(rows))
    return {"method": f"psycopg COPY, commit every {batch}", "rows": len(rows),
            "seconds": seconds, "cpu_seconds": cpu}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--profile", help="write a cProfile of the service run here")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxm.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from cxm.connectors import services as connector_services
    from cxm.customers.models import Customer, Identity, MergeProposal
    from cxm.interactions import services as interaction_services
    from cxm.interactions.models import Interaction

    source = connector_services.source_get_or_create(name="bench")
    policy = interaction_services.SourcePolicy(default=source, bound=False)
    lines = TimedLines(
        enumerate(generate_lines(rows=args.rows, customers=args.customers, seed=args.seed), start=1)
    )
    profiler = cProfile.Profile() if args.profile else None
    start, start_cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    result = interaction_services.interactions_ingest(records=lines, policy=policy)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    wall = time.perf_counter() - start
    cpu = time.process_time() - start_cpu

    figures: dict[str, Any] = {
        "vendor": connection.vendor,
        "rows": args.rows,
        "customers_generated": args.customers,
        "service": {
            "seconds": wall - lines.seconds,
            "cpu_seconds": cpu - lines.cpu_seconds,
            "generation_seconds": lines.seconds,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected_lines": len({r.line for r in result.rejected}),
            "merge_proposals": result.proposals,
            "customers": Customer.objects.count(),
            "identities": Identity.objects.count(),
            "stored": Interaction.objects.count(),
            "proposals_stored": MergeProposal.objects.count(),
            "chunk_size": interaction_services.CHUNK_SIZE,
        },
    }
    # What the worker then does for the texts the chunks left to it.
    from cxm.insights import services as insight_services

    start, start_cpu = time.perf_counter(), time.process_time()
    enriched = insight_services.interactions_enrich_all()
    figures["enrichment"] = {
        "texts": enriched,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - start_cpu,
    }
    connection.close()
    batch = interaction_services.CHUNK_SIZE
    if connection.vendor == "sqlite":
        figures["raw"] = raw_sqlite(str(settings.DATABASES["default"]["NAME"]), batch)
    else:
        figures["raw"] = raw_postgres(os.environ["DATABASE_URL"], batch)
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
