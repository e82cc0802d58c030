from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from cxm.customers.dedupe import customers_dedupe


class Command(BaseCommand):
    help = (
        "Find customers who are the same person by their names, dates of birth, places and "
        "partial identifiers: merge the near-certain (undoably), propose the likely for review."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--auto", type=float, help="auto-merge at or above this probability")
        parser.add_argument("--review", type=float, help="propose at or above this probability")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = tqdm(
            unit=" pairs", desc="Scoring", disable=options["no_progress"] or None, file=sys.stderr
        )
        try:
            report = customers_dedupe(
                auto_threshold=options["auto"],
                review_threshold=options["review"],
                dry_run=options["dry_run"],
                progress=bar.update,
            )
        finally:
            bar.close()
        verb = "would merge" if options["dry_run"] else "merged"
        self.stdout.write(
            f"{report.customers:,} customers, {report.pairs_scored:,} candidate pairs scored: "
            f"{verb} {len(report.merged):,}, proposed {len(report.proposed):,} for review, "
            f"kept {report.kept_apart:,} rejected pairs apart."
        )
